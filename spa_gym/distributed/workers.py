"""Env workers: one Ray actor holds a batch of envs and steps them on command; it never runs a policy.

An :class:`EnvWorker` makes ``n_envs`` envs with a picklable ``env_fn`` (a module-level function or a
``functools.partial``: Ray ships it to the worker's process). One :meth:`EnvWorker.run` call carries the
resets and steps of one driver round for all of the worker's envs, so a round costs one round trip per
worker, not one per env.

With ``record`` (a metadata dict), every env is wrapped in :class:`~spa_gym.wrappers.RecordEpisodes`
whose finished line comes back with the step that ended the episode instead of being written on the
worker: the driver writes lines in a deterministic order into one file, wherever the workers run.

The class is plain Python (testable without Ray); :func:`start_workers` makes the Ray actors, restartable
(``max_restarts=-1``) so a killed worker comes back with fresh envs and the driver replays its episodes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from spa_gym.wrappers.record_episodes import RecordEpisodes


class _LineToDriver(RecordEpisodes):
    """:class:`RecordEpisodes` that keeps the finished episode's line for the driver instead of writing it."""

    def __init__(self, env: Any, metadata: dict[str, Any]) -> None:
        super().__init__(env, os.devnull, max_bytes=0, metadata=metadata)
        self.line: str | None = None

    def _write(self, line: str) -> None:
        self.line = line

    def take_line(self) -> str | None:
        line, self.line = self.line, None
        return line


class EnvWorker:
    """A batch of envs stepped on command.

    Args:
        env_fn: makes one env (called ``n_envs`` times in the worker's process).
        n_envs: envs in this worker; the driver addresses them by index ``0..n_envs-1``.
        record: metadata of :class:`~spa_gym.wrappers.RecordEpisodes` lines (``None``: no lines).
    """

    def __init__(self, env_fn: Callable[[], Any], n_envs: int, record: dict[str, Any] | None = None) -> None:
        if n_envs < 1:
            raise ValueError(f"n_envs must be >= 1, got {n_envs}")
        self.envs = [env_fn() for _ in range(n_envs)]
        if record is not None:
            self.envs = [_LineToDriver(env, record) for env in self.envs]
        spec = getattr(self.envs[0], "spec", None)
        self.env_id = spec.id if spec is not None else ""

    def describe(self) -> dict[str, Any]:
        """The worker's process id (what a fault test kills), env id and number of envs."""
        return {"pid": os.getpid(), "env_id": self.env_id, "n_envs": len(self.envs)}

    def run(self, commands: Sequence[tuple]) -> list[tuple]:
        """Execute ``("reset", env, seed, options)`` and ``("step", env, action)`` commands in order.

        A reset answers ``(observation, info)``; a step answers ``(observation, reward, terminated, truncated,
        info, line)`` where ``line`` is the recorded JSONL line when this step ended the episode, else None.
        """
        out: list[tuple] = []
        for command in commands:
            kind, k = command[0], int(command[1])
            env = self.envs[k]
            if kind == "reset":
                obs, info = env.reset(seed=command[2], options=command[3])
                out.append((obs, info))
            elif kind == "step":
                obs, reward, terminated, truncated, info = env.step(command[2])
                line = env.take_line() if isinstance(env, _LineToDriver) else None
                out.append((obs, float(reward), bool(terminated), bool(truncated), info, line))
            else:
                raise ValueError(f"unknown worker command {kind!r}; expected 'reset' or 'step'")
        return out

    def close(self) -> None:
        for env in self.envs:
            env.close()


def start_workers(env_fn: Callable[[], Any], n_workers: int, envs_per_worker: int, *,
                  record: dict[str, Any] | None = None, num_cpus: float = 1.0) -> list[Any]:
    """Start ``n_workers`` restartable :class:`EnvWorker` actors (Ray must be initialised)."""
    import ray

    if n_workers < 1:
        raise ValueError(f"n_workers must be >= 1, got {n_workers}")
    actor = ray.remote(EnvWorker).options(max_restarts=-1, max_task_retries=0, num_cpus=num_cpus)
    return [actor.remote(env_fn, envs_per_worker, record) for _ in range(n_workers)]


__all__ = ["EnvWorker", "start_workers"]
