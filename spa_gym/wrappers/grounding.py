"""Grounding reward: a bonus for every action the env actually executed (SPA's ``g_t`` on its own).

A baseline beside :class:`~spa_gym.wrappers.SPAReward`: it teaches an agent to issue admissible
commands, but says nothing about progress; only the env's final reward does.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class GroundingReward(gym.Wrapper):
    """Reward ``beta * g_t`` (+ the env's own reward when ``add_final_reward``), ``g_t = info["action_valid"]``.

    ``info["spa"]`` holds ``contribution`` (always 0.0 here), ``grounding`` and ``env_reward``, the same
    keys :class:`~spa_gym.wrappers.SPAReward` fills, so logging code works with either.

    >>> from spa_gym.progress.toy import CountingEnv
    >>> env = GroundingReward(CountingEnv(), beta=0.5)
    >>> _ = env.reset(seed=0)
    >>> env.step("go up")[1], env.step("fly")[1]
    (0.5, 0.0)
    """

    def __init__(self, env: gym.Env, beta: float = 0.5, add_final_reward: bool = True) -> None:
        super().__init__(env)
        self.beta, self.add_final_reward = float(beta), bool(add_final_reward)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict]:
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        grounding = float(bool(info.get("action_valid", True)))
        reward = self.beta * grounding + (float(env_reward) if self.add_final_reward else 0.0)
        info = dict(info, spa={"contribution": 0.0, "grounding": grounding, "env_reward": float(env_reward)})
        return obs, reward, terminated, truncated, info


__all__ = ["GroundingReward"]
