"""Fixtures shared by the test modules (the project-wide set-up is the root conftest.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import gymnasium as gym
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="session")
def make(tmp_path_factory):
    """``make(env_id, **kwargs)``: ``gym.make`` with a small WebShop catalogue cached once per session."""
    cache = tmp_path_factory.mktemp("webshop-cache")

    def make(env_id: str, **kwargs) -> gym.Env:
        if env_id == "SPA-WebShop-v0":  # a small catalogue: its index builds in well under a second
            kwargs = {"num_products": 300, "cache_dir": cache, **kwargs}
        return gym.make(env_id, **kwargs)

    return make


@pytest.fixture(scope="session")
def load_benchmark():
    """``load_benchmark(name)``: the script ``benchmarks/<name>.py`` imported as module ``name``."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
        return module

    return load
