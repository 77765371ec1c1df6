"""PPO for the text agent: advantages, one real update, reward modes, LoRA, and resuming after a crash."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents_fixtures import sft_toy_dir, tiny_model_dir, toy_env  # noqa: F401  (fixtures)
from spa_gym.agents.policy import LLMPolicy
from spa_gym.agents.ppo import CHECKPOINT_FILE, PPOConfig, episode_advantages, train_ppo, turn_rewards
from spa_gym.progress.episodes import Episode, Step

SMALL = dict(iterations=1, episodes_per_iteration=3, n_envs=3, update_epochs=1, minibatch_turns=8, grad_accum=2)


def short_env():
    return toy_env(max_steps=4)


def test_gae_discounts_only_between_turns():
    # Two turns of two tokens; reward 1 on the last token; zero values.
    turn_end = np.array([False, True, False, True])
    adv = episode_advantages(np.array([0, 0, 0, 1.0]), np.zeros(4), turn_end, gamma=0.5, lam=1.0)
    assert adv.tolist() == [0.5, 0.5, 1.0, 1.0]
    # With a perfect value function the advantages vanish.
    values = np.array([0.5, 0.5, 1.0, 1.0])
    assert np.allclose(episode_advantages(np.array([0, 0, 0, 1.0]), values, turn_end, 0.5, 0.9), 0)


def test_turn_rewards_modes():
    ep = Episode("t", "o", [Step("a", "x", True), Step("b", "Nothing happens.", False),
                            Step("c", "y", True, 1.0)], 1.0, True)
    assert turn_rewards([ep], "sparse") == [[0.0, 0.0, 1.0]]
    assert turn_rewards([ep], "uniform")[0] == pytest.approx([1 / 3] * 3)
    assert turn_rewards([ep], "grounding", beta=0.5) == [[0.5, 0.0, 1.5]]
    with pytest.raises(ValueError, match="estimator"):
        turn_rewards([ep], "spa")
    with pytest.raises(ValueError, match="reward must be one of"):
        PPOConfig(reward="dense")


def test_one_iteration_updates_the_policy_and_reports_metrics(sft_toy_dir, tmp_path):
    policy = LLMPolicy.from_pretrained(sft_toy_dir)
    before = {n: p.detach().clone() for n, p in policy.named_parameters()}
    history = train_ppo(policy, short_env, PPOConfig(reward="grounding", learning_rate=1e-3, **SMALL))
    (m,) = history
    assert m["iteration"] == 1 and 0 <= m["success_rate"] <= 1 and m["grounding"] > 0.5
    assert all(np.isfinite(v) for v in m.values())
    assert m["time_env"] < m["time_total"]
    changed = [n for n, p in policy.named_parameters() if not torch.equal(p, before[n])]
    assert "value_head.weight" in changed and any(n.startswith("model.") for n in changed)


def test_spa_rewards_with_a_progress_estimator(sft_toy_dir):
    from spa_gym.progress.estimator import ProgressEstimator

    policy = LLMPolicy.from_pretrained(sft_toy_dir)
    estimator = ProgressEstimator.from_pretrained(sft_toy_dir, device="cpu")
    (m,) = train_ppo(policy, short_env, PPOConfig(reward="spa", alpha=1.0, beta=0.5, **SMALL), estimator=estimator)
    assert np.isfinite(m["shaped_return"]) and m["time_rewards"] > 0


def test_lora_policy_trains_adapters_only_and_saves_a_plain_model(tiny_model_dir, tmp_path):
    policy = LLMPolicy.from_pretrained(tiny_model_dir, lora_r=4, max_new_tokens=3)
    trainable = [n for n, p in policy.named_parameters() if p.requires_grad]
    assert trainable and all("lora" in n or n.startswith("value_head") for n in trainable)
    (m,) = train_ppo(policy, short_env, PPOConfig(reward="sparse", learning_rate=1e-2, **SMALL))
    assert m["kl_to_ref"] == pytest.approx(m["kl_to_ref"])  # finite: the reference is the adapter-free base
    policy.save_pretrained(tmp_path / "merged")
    plain = LLMPolicy.from_pretrained(tmp_path / "merged")
    assert not hasattr(plain.model, "disable_adapter")


class Crash(Exception):
    pass


def test_a_crashed_run_resumes_where_it_stopped_and_matches_an_unbroken_run(sft_toy_dir, tmp_path):
    cfg = PPOConfig(reward="sparse", learning_rate=1e-3, **{**SMALL, "iterations": 2})

    def crash_after_first(iteration, metrics):
        if iteration == 0:
            raise Crash

    policy = LLMPolicy.from_pretrained(sft_toy_dir)
    with pytest.raises(Crash):
        train_ppo(policy, short_env, cfg, out_dir=tmp_path / "run", callback=crash_after_first)
    assert (tmp_path / "run" / CHECKPOINT_FILE).is_file()
    seen = []
    resumed_policy = LLMPolicy.from_pretrained(sft_toy_dir)
    resumed = train_ppo(resumed_policy, short_env, cfg, out_dir=tmp_path / "run",
                        callback=lambda i, m: seen.append(i))
    assert seen == [1] and [m["iteration"] for m in resumed] == [1, 2]

    unbroken_policy = LLMPolicy.from_pretrained(sft_toy_dir)
    unbroken = train_ppo(unbroken_policy, short_env, cfg, out_dir=tmp_path / "unbroken")
    assert [m["success_rate"] for m in unbroken] == [m["success_rate"] for m in resumed]
    for (n, a), b in zip(resumed_policy.named_parameters(), unbroken_policy.parameters()):
        assert torch.allclose(a, b, atol=1e-6), n
    # Other settings on the same folder are refused rather than silently mixed.
    with pytest.raises(ValueError, match="other PPO settings"):
        train_ppo(LLMPolicy.from_pretrained(sft_toy_dir), short_env, PPOConfig(reward="uniform", **SMALL),
                  out_dir=tmp_path / "run")
