"""Oracle progress reward: the dense reward a perfect progress estimator would give, read off the env's expert.

A reference beside :class:`~spa_gym.wrappers.SPAReward`: where SPA learns the progress of a step, this
wrapper measures it, with :func:`~spa_gym.progress.true_progress.expert_distance` (how many steps the
env's optimal expert still needs). Its per-step rewards telescope to the true progress of the episode,
so an agent cannot farm them: a step away from the goal costs what the step back earns.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym

from spa_gym.progress.true_progress import DEFAULT_LIMIT, expert_distance


class OracleProgressReward(gym.Wrapper):
    """Reward ``(d_{t-1} - d_t) / d_0`` (+ the env's own reward when ``add_final_reward``), ``d`` the expert distance.

    ``d_t`` is the number of steps the env's expert needs to win after step ``t`` (``d_0``, at reset, floored
    at 1); a state the expert cannot win from within ``limit`` steps counts as ``limit`` steps away, as in
    :func:`~spa_gym.progress.true_progress.true_progress`. ``info["oracle"]`` holds ``distance`` (``d_t``, None
    when the expert cannot win) and ``progress`` (``1 - d_t / d_0``). The wrapped env must be a spa_gym text
    env made with ``expert=True``; measuring leaves it exactly as it was.

    >>> from spa_gym.progress.toy import CountingEnv
    >>> env = OracleProgressReward(CountingEnv(expert=True))
    >>> obs, info = env.reset(seed=0, options={"task_id": 0})
    >>> info["task"], info["oracle"]
    ('reach 6', {'distance': 6, 'progress': 0.0})
    >>> [round(env.step(action)[1], 3) for action in ["go up", "go up", "go down", "look"]]
    [0.167, 0.167, -0.167, 0.0]
    >>> oracle = env.step("go up")[4]["oracle"]
    >>> oracle["distance"], round(oracle["progress"], 3)
    (4, 0.333)

    Args:
        env: a spa_gym text env made with ``expert=True`` (wrapped or not).
        add_final_reward: also add the env's own reward (in our envs: the final reward, at the end).
        limit: bound on each expert rollout (and the distance of a state the expert cannot win from).
    """

    def __init__(self, env: gym.Env, add_final_reward: bool = True, limit: int = DEFAULT_LIMIT) -> None:
        super().__init__(env)
        if not getattr(env.unwrapped, "expert", False) or not callable(getattr(env.unwrapped, "get_state", None)):
            raise ValueError("OracleProgressReward needs a spa_gym text env made with expert=True, e.g. "
                             "gym.make('SPA-ALFWorld-v0', expert=True)")
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.add_final_reward, self.limit = bool(add_final_reward), int(limit)
        self._d0 = 1
        self._previous = 0

    def _distance(self) -> tuple[int | None, int]:
        """``(d_t as measured, d_t with None counted as limit)``."""
        distance = expert_distance(self.env, self.limit)
        return distance, self.limit if distance is None else distance

    def _oracle_info(self, info: dict[str, Any], distance: int | None, d: int) -> dict[str, Any]:
        return dict(info, oracle={"distance": distance, "progress": 1.0 - d / self._d0})

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        distance, self._previous = self._distance()
        self._d0 = max(self._previous, 1)
        return obs, self._oracle_info(info, distance, self._previous)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict]:
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        distance, d = self._distance()
        reward = (self._previous - d) / self._d0 + (float(env_reward) if self.add_final_reward else 0.0)
        self._previous = d
        return obs, reward, terminated, truncated, self._oracle_info(info, distance, d)


__all__ = ["OracleProgressReward"]
