"""What ``spa-gym collect --ray`` and ``spa-gym train --ray`` run (cli.py keeps only the flags).

``collect --ray`` writes the same JSONL lines, in the same order, as ``collect`` without it (only each line's
``recorded_at`` time differs): the expert and random policies play many episodes at once on the workers and
their lines are written in task order, as the sequential command writes them; an LLM plays ``run_episodes``'
8 episodes at once and the lines are written as episodes end, which is the order of the command without Ray.

``train --ray`` plays PPO's rollouts on the workers (the same trajectories as without Ray) and, for the SPA
rewards, scores every step on the shared estimator actor as the episodes run (:mod:`spa_gym.distributed.ppo`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gymnasium as gym

from spa_gym.distributed.driver import RayRollouts, RayTrajectory
from spa_gym.distributed.estimator_actor import start_estimator
from spa_gym.distributed.policy import BatchPolicy, LLMBatchPolicy, PerEpisodePolicy
from spa_gym.distributed.ppo import online_reward_settings, online_rewards, ray_rollout_fn
from spa_gym.distributed.session import ray_session
from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, RandomPolicy
from spa_gym.wrappers.record_episodes import append_line

#: Episodes a worker plays at once for the expert and random policies (an LLM batch sets its own number).
ENVS_PER_WORKER = 8
#: Episodes ``run_episodes`` plays at once by default: what an LLM's collect uses, with or without Ray.
LLM_BATCH = 8


class _InTaskOrder:
    """Append episodes' lines to ``path`` in task order, whatever order they end in."""

    def __init__(self, path: Path) -> None:
        self.path, self.next, self.waiting = path, 0, {}

    def __call__(self, index: int, traj: RayTrajectory) -> None:
        self.waiting[index] = traj.line
        while self.next in self.waiting:
            line = self.waiting.pop(self.next)
            if line is not None:
                append_line(self.path, line)
            self.next += 1


def collect(env: str, model: str, out: Path, task_ids: Sequence[int], *, split: str, seed: int, address: str | None,
            n_workers: int, meta: dict[str, Any], temperature: float = 1.0,
            llm: Callable[[], Any] | None = None) -> list[Episode]:
    """Play ``task_ids`` of ``split`` on Ray workers and append their recorded lines to ``out``."""
    tasks = [(split, int(i)) for i in task_ids]
    policy: BatchPolicy
    if model in ("expert", "random"):
        policy = PerEpisodePolicy(NoisyExpertPolicy(0.0, seed=seed) if model == "expert" else RandomPolicy(seed=seed))
        envs_per_worker, n_envs = ENVS_PER_WORKER, None
        on_episode: Callable[[int, RayTrajectory], None] = _InTaskOrder(out)
    else:
        if llm is None:
            raise ValueError("collect with a model needs llm= (a function that loads the LLMPolicy)")
        policy = LLMBatchPolicy(llm(), temperature)
        envs_per_worker, n_envs = -(-LLM_BATCH // n_workers), LLM_BATCH
        on_episode = lambda i, traj: append_line(out, traj.line) if traj.line is not None else None  # noqa: E731
    # gym.make, not spa_gym.agents' make_env (the command checked the id already): a worker then imports no torch.
    env_fn = functools.partial(gym.make, env, expert=True) if model == "expert" else functools.partial(gym.make, env)
    with ray_session(address):
        with RayRollouts(env_fn, n_workers=n_workers, envs_per_worker=envs_per_worker, record=meta) as rollouts:
            n_envs = rollouts.capacity if n_envs is None else min(n_envs, rollouts.capacity)
            trajs = rollouts.run(policy, tasks, seed=seed, n_envs=n_envs, on_episode=on_episode, progress=True,
                                 desc="collecting on Ray")
    return [t.episode for t in trajs]


@contextmanager
def ppo_rollouts(env: str, address: str | None, n_workers: int, n_envs: int, episodes_file: Path,
                 meta: dict[str, Any], *, reward: str = "sparse", estimator: Any = None, alpha: float = 1.0,
                 beta: float = 0.5) -> Iterator[dict[str, Any]]:
    """``train_ppo``'s ``rollout_fn`` (and ``rewards_fn``) on Ray workers, as keyword arguments.

    Every episode's line is appended to ``episodes_file`` as it ends, as the command without Ray records them.
    For the SPA reward modes (``spa``, ``spa_potential``), ``estimator`` goes to one estimator actor (a GPU when
    the cluster has one) that scores every step during the rollouts; PPO trains on those rewards.
    """
    episodes_file.parent.mkdir(parents=True, exist_ok=True)
    write = lambda i, traj: append_line(episodes_file, traj.line, 64 * 2 ** 20) if traj.line else None  # noqa: E731
    settings = online_reward_settings(reward, alpha, beta)
    if settings is not None and estimator is None:
        raise ValueError(f"reward {reward!r} needs an estimator")
    with ray_session(address):
        actor = start_estimator(estimator, **settings) if settings is not None else None
        try:
            with RayRollouts(functools.partial(gym.make, env), n_workers=n_workers,
                             envs_per_worker=-(-n_envs // n_workers), record=meta) as rollouts:
                run = {"rollout_fn": ray_rollout_fn(rollouts, on_episode=write, estimator=actor, reward=settings)}
                if actor is not None:
                    run["rewards_fn"] = online_rewards
                yield run
        finally:
            if actor is not None:
                import ray

                ray.kill(actor)


__all__ = ["collect", "ppo_rollouts"]
