"""The bundled agent's pieces: prompts, action parsing, LLMPolicy generation, SFT, rollouts, evaluation."""

from __future__ import annotations

import json

import pytest
import torch

from agents_fixtures import sft_toy_dir, tiny_model_dir, toy_env  # noqa: F401  (fixtures)
from spa_gym.agents.evaluate import episode_metrics, evaluate, task_list, write_report
from spa_gym.agents.parsing import format_reply, parse_action
from spa_gym.agents.policy import LLMPolicy, resolve_device
from spa_gym.agents.prompts import PromptConfig, build_messages, one_shot_example
from spa_gym.agents.rollout import make_env, run_episodes
from spa_gym.agents.sft import expert_samples


@pytest.mark.parametrize("reply, action", [
    ("Thought: fridge first.\nAction: open fridge 1\nextra", "open fridge 1"),
    ("ACTION:go to desk 1", "go to desk 1"),
    ("\n\n  look  ", "look"),
    ("Thought: only thinking", ""),
    ("\u00e9\u4e2d garbage", "\u00e9\u4e2d garbage"),
])
def test_parse_action(reply, action):
    assert parse_action(reply) == action
    assert parse_action(format_reply(action, thought="why")) == action


def test_history_truncation_keeps_first_observation_and_says_so():
    history = [(f"go to desk {i}", "x" * 2000) for i in range(6)]
    cfg = PromptConfig(history_turns=2, max_observation_chars=100, show_admissible=True)
    msgs = build_messages("find a pen", "You are in a room.", history, cfg, admissible=["look", "inventory"])
    assert msgs[1]["content"].startswith("Your task is to: find a pen.\nYou are in a room.")
    assert "(4 earlier steps are not shown.)" in msgs[1]["content"]
    assert [m["content"] for m in msgs if m["role"] == "assistant"] == ["go to desk 4", "go to desk 5"]
    assert all(len(m["content"]) <= 100 for m in msgs[3::2][:-1])
    assert msgs[-1]["content"].endswith("Admissible commands: look, inventory")
    with pytest.raises(ValueError, match="reply_style"):
        PromptConfig(reply_style="poem")


def test_one_shot_example_is_our_expert_transcript():
    text = one_shot_example(toy_env(), task_id=1)
    assert text.startswith("You stand at 0") and "> go up" in text and text.endswith("You reached the target!")
    msgs = build_messages("t", "o", [], PromptConfig(one_shot=text))
    assert text in msgs[0]["content"]


def test_generation_is_seeded_batched_and_matches_scoring(tiny_model_dir):
    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=6)
    prompts = [policy.encode_prompt(build_messages("reach 3", "You stand at 0 on a number line.",
                                                   [("go up", "You stand at 1 on a number line.")] * k))
               for k in range(3)]
    a = policy.generate(prompts, generator=torch.Generator().manual_seed(1))
    b = policy.generate(prompts, generator=torch.Generator().manual_seed(1))
    c = policy.generate(prompts, generator=torch.Generator().manual_seed(2))
    assert [g.response_ids for g in a] == [g.response_ids for g in b] != [g.response_ids for g in c]
    # Left padding must not change a prompt's reply: greedy alone == greedy in a batch with longer prompts.
    alone = policy.generate(prompts[:1], temperature=0)[0]
    batched = policy.generate(prompts, temperature=0)[0]
    assert alone.response_ids == batched.response_ids
    assert alone.logprobs == pytest.approx(batched.logprobs, abs=1e-4)
    scored = policy.score([g.prompt_ids for g in a], [g.response_ids for g in a])
    for g, lp, v in zip(a, scored["logprobs"], scored["values"]):
        assert lp.tolist() == pytest.approx(g.logprobs, abs=1e-4)
        assert v.tolist() == pytest.approx(g.values, abs=1e-4)
        assert len(g.response_ids) <= 6 and all(x < 0 for x in g.logprobs)


def test_top_p_keeps_only_the_nucleus(tiny_model_dir):
    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=3)
    prompt = [policy.encode_prompt(build_messages("reach 3", "You stand at 0.", []))]
    greedy = policy.generate(prompt, temperature=0)[0].response_ids
    tiny_nucleus = policy.generate(prompt, top_p=1e-6, generator=torch.Generator().manual_seed(0))[0]
    assert tiny_nucleus.response_ids == greedy
    with pytest.raises(ValueError, match="top_p"):
        policy.generate(prompt, top_p=0.0)


def test_save_and_load_round_trip(tiny_model_dir, tmp_path):
    policy = LLMPolicy.from_pretrained(tiny_model_dir, prompt_config=PromptConfig(history_turns=1),
                                       max_new_tokens=5)
    torch.nn.init.normal_(policy.value_head.weight)
    policy.save_pretrained(tmp_path / "p")
    policy.save_pretrained(tmp_path / "p")  # overwriting an existing folder works too
    again = LLMPolicy.from_pretrained(tmp_path / "p")
    assert again.prompt_config == PromptConfig(history_turns=1) and again.max_new_tokens == 5
    assert torch.equal(again.value_head.weight, policy.value_head.weight)
    assert not list(tmp_path.glob(".p*"))  # no staging folders left behind


def test_missing_model_and_absent_gpu_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="model folder not found"):
        LLMPolicy.from_pretrained(tmp_path / "nope")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="unknown environment id"):
        make_env("SPA-Nowhere-v0")


def test_expert_samples_and_sft_make_the_toy_agent_win(sft_toy_dir):
    samples, episodes = expert_samples(toy_env, [("train", 0), ("train", 1)])
    assert all(ep.won for ep in episodes) and len(samples) == sum(len(ep) for ep in episodes)
    policy = LLMPolicy.from_pretrained(sft_toy_dir)
    metrics, eps = evaluate(policy, toy_env, task_list(toy_env(), "test", 6), n_envs=3)
    assert metrics["success_rate"] == 1.0 and metrics["grounding"] == 1.0
    assert [s.action for s in eps[0].steps][0] == "go up"


def test_unparsable_replies_go_to_the_env_as_they_are(tiny_model_dir):
    # The untrained model writes noise; the env answers it, and the step counts as ungrounded.
    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=3)
    trajs = run_episodes(policy, lambda: toy_env(max_steps=3), [("train", 0), ("train", 1)], seed=0)
    steps = [s for t in trajs for s in t.episode.steps]
    assert len(steps) == 6 and all(s.observation == "Nothing happens." for s in steps if not s.action_valid)
    assert any(not s.action_valid for s in steps)
    for t in trajs:  # every step has its turn with per-token data
        assert len(t.turns) == len(t.episode.steps)
        assert all(len(x.response_ids) == len(x.logprobs) == len(x.values) > 0 for x in t.turns)


def test_snapping_sends_the_closest_admissible_command(tiny_model_dir):
    # Same seed, same replies: with snapping every reply that resembles a listed command becomes it.
    tasks = [("train", 0), ("train", 1)]
    plain = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=3)
    snapped = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=3,
                                        prompt_config=PromptConfig(snap_to_admissible=1.0))
    a = run_episodes(plain, lambda: toy_env(max_steps=3), tasks, seed=0)
    b = run_episodes(snapped, lambda: toy_env(max_steps=3), tasks, seed=0)
    for ta, tb in zip(a, b):
        assert [t.reply for t in ta.turns][:1] == [t.reply for t in tb.turns][:1]  # same first reply
        for turn, step in zip(tb.turns, tb.episode.steps):
            assert turn.action == step.action
            assert step.action_valid == (step.action in ("go up", "go down", "look"))
            if parse_action(turn.reply) != turn.action:  # snapped: always to a listed command
                assert turn.action in ("go up", "go down", "look")
    valid = lambda trajs: sum(s.action_valid for t in trajs for s in t.episode.steps)
    assert valid(b) > valid(a)


def test_rollouts_are_reproducible(tiny_model_dir):
    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=3)
    tasks = [("train", i) for i in range(4)]
    a = run_episodes(policy, lambda: toy_env(max_steps=2), tasks, seed=3, n_envs=2)
    b = run_episodes(policy, lambda: toy_env(max_steps=2), tasks, seed=3, n_envs=2)
    assert [t.episode.to_dict() for t in a] == [t.episode.to_dict() for t in b]
    assert [t.episode.task_id for t in a] == [0, 1, 2, 3]


def test_report_files(tmp_path):
    from spa_gym.progress.episodes import Episode, Step

    eps = [Episode("t", "o", [Step("a", "x", True, 1.0)], 1.0, True), Episode("t", "o", [Step("b", "y", False)])]
    m = episode_metrics(eps)
    assert m == {"success_rate": 0.5, "average_score": 0.5, "grounding": 0.5, "mean_steps": 1.0, "episodes": 2}
    curves = {"PPO-spa": [{"iteration": 1, "success_rate": 0.1, "grounding": 0.5, "kl_to_ref": 0.0},
                          {"iteration": 2, "success_rate": 0.3, "grounding": 0.7, "kl_to_ref": 0.01}]}
    paths = write_report(tmp_path, {"SFT": m}, curves, {"seed": 0})
    assert json.loads(paths["json"].read_text())["results"]["SFT"]["grounding"] == 0.5
    assert "| SFT | 50.0% |" in paths["markdown"].read_text()
    assert paths["plot"].read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no episodes"):
        episode_metrics([])
