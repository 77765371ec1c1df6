"""PPO's rollouts on Ray: a drop-in for :func:`~spa_gym.agents.rollout.run_episodes` (``spa-gym train --ray``).

:func:`~spa_gym.agents.ppo.train_ppo` takes it as ``rollout_fn``; the LLM stays on the driver
(:class:`~spa_gym.distributed.policy.LLMBatchPolicy`), the envs step on the workers, and with the same
``n_envs`` the trajectories are those of ``run_episodes``, so training is unchanged (PPO scores the
episodes' rewards itself, after the rollouts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from spa_gym.agents.rollout import Trajectory
from spa_gym.distributed.driver import RayRollouts, RayTrajectory
from spa_gym.distributed.policy import LLMBatchPolicy


def ray_rollout_fn(rollouts: RayRollouts,
                   on_episode: Callable[[int, RayTrajectory], None] | None = None) -> Callable[..., list[Trajectory]]:
    """A function with ``run_episodes``' signature that plays on ``rollouts``' workers (its ``env_fn`` argument
    is not used: the workers made their envs). ``on_episode`` sees each episode as it ends."""

    def run(policy: Any, env_fn: Any, tasks: Sequence[tuple[str, int]], *, seed: int = 0, n_envs: int = 8,
            temperature: float = 1.0, top_p: float = 1.0, progress: bool = False, desc: str = "rollouts",
            timings: dict[str, float] | None = None) -> list[Trajectory]:
        if n_envs > rollouts.capacity:
            raise ValueError(f"n_envs={n_envs} but the Ray workers hold {rollouts.capacity} envs; start them with "
                             f"envs_per_worker >= {-(-n_envs // rollouts.n_workers)}")
        spent: dict[str, float] = {}
        trajs = rollouts.run(LLMBatchPolicy(policy, temperature, top_p), tasks, seed=seed,
                             n_envs=min(n_envs, max(len(tasks), 1)), on_episode=on_episode, timings=spent,
                             progress=progress, desc=desc)
        if timings is not None:
            for key in ("generation", "env"):
                timings[key] = timings.get(key, 0.0) + spent[key]
        return list(trajs)

    return run


__all__ = ["ray_rollout_fn"]
