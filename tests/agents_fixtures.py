"""Shared helpers of the agent tests: the project's tiny default model (~0.1M parameters) and the toy env."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from spa_gym.progress.small_model import build_small_model
from spa_gym.progress.toy import CountingEnv

# Two cores are shared by the xdist workers: more than one torch thread each only oversubscribes them.
torch.set_num_threads(1)


def toy_env(**kwargs) -> CountingEnv:
    """The progress package's number-line env: ``go up`` until the target (3..6) is reached."""
    return CountingEnv(expert=True, **kwargs)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny Llama with the shipped BPE tokenizer and chat template, built once per session."""
    return build_small_model(tmp_path_factory.mktemp("tiny-model") / "model", size="tiny", seed=0)


@pytest.fixture(scope="session")
def sft_toy_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model after SFT on the toy env's expert (greedy play then wins)."""
    from spa_gym.agents.policy import LLMPolicy
    from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft

    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=4)
    samples, _ = expert_samples(toy_env, [("train", i) for i in range(8)], policy.prompt_config)
    train_sft(policy, samples, SFTConfig(epochs=8, learning_rate=1e-2, batch_size=8))
    return policy.save_pretrained(tmp_path_factory.mktemp("sft-toy") / "model")
