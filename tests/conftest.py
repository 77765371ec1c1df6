"""Fixtures shared by the test modules (the project-wide set-up is the root conftest.py)."""

from __future__ import annotations

import gymnasium as gym
import pytest


@pytest.fixture(scope="session")
def make(tmp_path_factory):
    """``make(env_id, **kwargs)``: ``gym.make`` with a small WebShop catalogue cached once per session."""
    cache = tmp_path_factory.mktemp("webshop-cache")

    def make(env_id: str, **kwargs) -> gym.Env:
        if env_id == "SPA-WebShop-v0":  # a small catalogue: its index builds in well under a second
            kwargs = {"num_products": 300, "cache_dir": cache, **kwargs}
        return gym.make(env_id, **kwargs)

    return make
