"""Shared helpers of the agent tests: the project's tiny default model (~0.3M parameters), built once."""

from __future__ import annotations

from pathlib import Path

from spa_gym.progress.small_model import build_small_model


def tiny_model(tmp_path_factory) -> Path:
    """A tiny Llama with the shipped BPE tokenizer and chat template, in a temporary folder."""
    return build_small_model(tmp_path_factory.mktemp("tiny-model") / "model", size="tiny", seed=0)
