"""RRO preference training: step-level DPO + SFT on rising steps with the tiny model, resume, the CLI."""

from __future__ import annotations

import json

import pytest
import torch

from agents_fixtures import tiny_model_dir, toy_env  # noqa: F401  (fixtures)
from spa_gym.agents.policy import LLMPolicy
from spa_gym.agents.rro import ExpertPlanProgress, RROConfig, collect_rising_trajectories, preference_pairs
from spa_gym.agents.rro.train import RROTrainConfig, dpo_loss, train_rro
from spa_gym.progress.episodes import NoisyExpertPolicy


@pytest.fixture(scope="module")
def rro_steps():
    """A handful of toy-env steps from a very noisy expert: most hard steps hold a pair or two."""
    steps = collect_rising_trajectories(toy_env(), NoisyExpertPolicy(epsilon=0.9, seed=0), ExpertPlanProgress(), 3,
                                        RROConfig(max_candidates=3, min_rise=1.0, max_steps=8), progress=False)
    assert 2 <= len(preference_pairs(steps)) <= 16
    return steps


CONFIG = RROTrainConfig(epochs=4, learning_rate=3e-3, batch_size=4, beta=0.5)


def test_dpo_loss_falls_and_the_margin_grows(tiny_model_dir, rro_steps, tmp_path):  # noqa: F811
    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=4)
    history = train_rro(policy, rro_steps, tmp_path, CONFIG)
    assert [h["epoch"] for h in history] == list(range(CONFIG.epochs + 1))
    dpo = [h["dpo_loss"] for h in history]
    assert dpo[0] == pytest.approx(0.6931, abs=1e-4) and dpo[-1] < dpo[1] < dpo[0]
    assert history[-1]["margin"] > history[0]["margin"] + 1.0
    assert history[-1]["reward_accuracy"] == 1.0
    assert history[-1]["sft_loss"] < history[1]["sft_loss"]
    saved = LLMPolicy.from_pretrained(tmp_path / "model")
    assert all(torch.equal(a, b) for a, b in zip(saved.state_dict().values(), policy.state_dict().values()))
    assert json.loads((tmp_path / "history.json").read_text())["history"] == history


def test_resume_continues_exactly(tiny_model_dir, rro_steps, tmp_path):  # noqa: F811
    config = RROTrainConfig(**{**CONFIG.__dict__, "epochs": 2})
    straight = train_rro(LLMPolicy.from_pretrained(tiny_model_dir), rro_steps, tmp_path / "a", config)
    first = RROTrainConfig(**{**CONFIG.__dict__, "epochs": 1})
    train_rro(LLMPolicy.from_pretrained(tiny_model_dir), rro_steps, tmp_path / "b", first)
    state = torch.load(tmp_path / "b" / "train_state.pt", weights_only=False)
    state["config"]["epochs"] = 2  # as if the 2-epoch run had been interrupted after epoch 1
    torch.save(state, tmp_path / "b" / "train_state.pt")
    resumed_policy = LLMPolicy.from_pretrained(tiny_model_dir)
    resumed = train_rro(resumed_policy, rro_steps, tmp_path / "b", config)
    assert resumed == pytest.approx(straight)
    again = train_rro(LLMPolicy.from_pretrained(tiny_model_dir), rro_steps, tmp_path / "b", config)
    assert again == pytest.approx(straight)  # finished: nothing more runs
    with pytest.raises(ValueError, match="other data or another config"):
        train_rro(LLMPolicy.from_pretrained(tiny_model_dir), rro_steps, tmp_path / "b",
                  RROTrainConfig(**{**config.__dict__, "beta": 0.2}))


def test_an_infinite_margin_leaves_the_sft_half_alone(tiny_model_dir, rro_steps, tmp_path):  # noqa: F811
    """``min_margin=inf`` (``rro_comparison.py --no-dpo``): no pair passes, the rising steps still train."""
    config = RROTrainConfig(**{**CONFIG.__dict__, "min_margin": float("inf")})
    history = train_rro(LLMPolicy.from_pretrained(tiny_model_dir), rro_steps, tmp_path, config)
    saved = json.loads((tmp_path / "history.json").read_text())
    assert saved["pairs"] == 0 and saved["sft_samples"] > 0
    assert all(h["dpo_loss"] is None for h in history[1:])
    assert history[-1]["sft_loss"] < history[1]["sft_loss"]


def test_supervised_samples_replace_the_rising_steps(tiny_model_dir, rro_steps, tmp_path):  # noqa: F811
    """``supervised=`` (``rro_comparison.py --sft-half demos``): the SFT half reads the given samples."""
    from spa_gym.agents.sft import SFTSample

    demo = [SFTSample(messages=[{"role": "user", "content": "count to 3"}], reply="go up")] * 3
    history = train_rro(LLMPolicy.from_pretrained(tiny_model_dir), rro_steps, tmp_path, CONFIG, supervised=demo)
    assert json.loads((tmp_path / "history.json").read_text())["sft_samples"] == 3
    assert history[-1]["sft_loss"] < history[1]["sft_loss"] and history[-1]["dpo_loss"] < history[0]["dpo_loss"]


def test_loss_and_config_edges():
    z = torch.zeros(3)
    assert dpo_loss(z + 2, z, z, z, 1.0) < dpo_loss(z, z, z, z, 1.0) < dpo_loss(z, z + 2, z, z, 1.0)
    assert dpo_loss(z + 2, z, z + 2, z, 1.0) == pytest.approx(dpo_loss(z, z, z, z, 1.0))  # relative to the reference
    with pytest.raises(ValueError, match="beta"):
        RROTrainConfig(beta=0)
    with pytest.raises(ValueError, match="no RRO training data"):
        train_rro(None, [], "unused")


def test_llm_candidates_snap_like_the_policy(tiny_model_dir):  # noqa: F811
    """RRO's LLM proposer follows PromptConfig.snap_to_admissible, as the policy's rollouts do."""
    from spa_gym.agents.prompts import PromptConfig

    admissible = {"go up", "go down", "look"}
    config = RROConfig(max_candidates=3, max_steps=3, reward="spa", seed=1)
    snapping = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=4,
                                         prompt_config=PromptConfig(snap_to_admissible=1.0))
    steps = collect_rising_trajectories(toy_env(), snapping, ExpertPlanProgress(), 2, config, progress=False)
    assert all(c.action in admissible for s in steps for c in s.candidates)
    plain = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=4)
    steps = collect_rising_trajectories(toy_env(), plain, ExpertPlanProgress(), 2, config, progress=False)
    assert any(c.action not in admissible for s in steps for c in s.candidates)  # the untrained model's words


def test_command_line_collect_train_eval(tiny_model_dir, tmp_path, capsys):  # noqa: F811
    from spa_gym.cli import main

    data, out = tmp_path / "rro", tmp_path / "train"
    assert main(["rro", "collect", "--env", "SPA-ALFWorld-v0", "--episodes", "1", "--out", str(data),
                 "--epsilon", "0.8", "--min-rise", "1", "--max-candidates", "3", "--max-steps", "6"]) == 0
    train = ["rro", "train", "--data", str(data), "--model", str(tiny_model_dir), "--out", str(out),
             "--epochs", "1", "--learning-rate", "1e-3"]
    assert main(train) == 0 and (out / "model" / "config.json").is_file()
    history = json.loads((out / "history.json").read_text())["history"]
    assert main(train) == 0  # finished: resumes to nothing
    assert json.loads((out / "history.json").read_text())["history"] == history
    assert main(["rro", "eval", "--env", "SPA-ALFWorld-v0", "--model", str(out / "model"), "--tasks", "1",
                 "--max-steps", "2", "--out", str(tmp_path / "eval")]) == 0
    assert json.loads((tmp_path / "eval" / "report.json").read_text())
    capsys.readouterr()
    assert main(["rro", "train", "--data", str(tmp_path / "none.jsonl"), "--model", str(tiny_model_dir),
                 "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err
