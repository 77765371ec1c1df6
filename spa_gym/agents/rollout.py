"""Rollouts: play many environments at once with an :class:`~spa_gym.agents.policy.LLMPolicy`.

Every step, the prompts of all running episodes go through the model in one batch; finished
episodes make room for the next task in the queue. Each episode comes back as a
:class:`Trajectory`: the :class:`~spa_gym.progress.episodes.Episode` (what the JSONL files and the
progress estimator use) plus, per turn, the token-level data PPO needs.

Episode ``i`` of a call resets with ``seed + i`` and the generator is seeded with ``seed``, so the
same call gives the same trajectories.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from spa_gym.agents.parsing import snap_to_admissible
from spa_gym.agents.prompts import build_messages
from spa_gym.progress.episodes import Episode, Step


@dataclass
class Turn:
    """One agent turn: prompt and reply tokens, per reply token its log-prob and value."""

    prompt_ids: list[int]
    response_ids: list[int]
    logprobs: list[float]
    values: list[float]
    reply: str
    action: str


@dataclass
class Trajectory:
    """A finished episode and the agent turns that produced it (``turns[t]`` made ``episode.steps[t]``)."""

    episode: Episode
    turns: list[Turn] = field(default_factory=list)


def make_env(env_id: str, **kwargs: Any) -> Any:
    """``gym.make`` with a one-line ``ValueError`` for an id that is not registered."""
    import gymnasium as gym

    import spa_gym  # noqa: F401  (registers the ids)

    if env_id not in gym.registry:
        known = ", ".join(sorted(k for k in gym.registry if k.startswith("SPA-")))
        raise ValueError(f"unknown environment id {env_id!r}; registered spa-gym ids: {known}")
    return gym.make(env_id, **kwargs)


def run_episodes(policy: Any, env_fn: Callable[[], Any], tasks: Sequence[tuple[str, int]], *, seed: int = 0,
                 n_envs: int = 8, temperature: float = 1.0, top_p: float = 1.0, progress: bool = False,
                 desc: str = "rollouts", timings: dict[str, float] | None = None) -> list[Trajectory]:
    """Play one episode per ``(split, task_id)`` in ``tasks`` with up to ``n_envs`` environments at once.

    Args:
        policy: an ``LLMPolicy``.
        env_fn: makes one environment (called ``min(n_envs, len(tasks))`` times).
        tasks: the episodes to play, in order.
        seed: episode ``i`` resets with ``seed + i``; sampling uses a generator seeded with ``seed``.
        temperature, top_p: sampling (``temperature=0``: greedy).
        timings: when given, seconds spent in ``"generation"`` and ``"env"`` are added to it.
    """
    import time

    from spa_gym.core.bars import progress_bar

    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}")
    generator = torch.Generator(device=policy.device).manual_seed(seed)
    queue = list(enumerate(tasks))
    results: list[Trajectory | None] = [None] * len(tasks)
    envs = [env_fn() for _ in range(min(n_envs, len(tasks)))]
    # Per slot: (index, trajectory, history of (reply, observation), last info), or None when idle.
    slots: list[Any] = [None] * len(envs)
    # Progress counts episodes, a running one by its share of the step limit: parallel envs often finish
    # together, and counting whole episodes only would show nothing, then a burst (and a wild ETA).
    limits = [_step_limit(env) for env in envs]
    bar = progress_bar(total=len(tasks), desc=desc, disable=not progress, unit="ep", leave=False,
                       bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} ep [{elapsed}<{remaining}]")

    def start(k: int) -> None:
        if not queue:
            slots[k] = None
            return
        i, (split, task_id) = queue.pop(0)
        obs, info = envs[k].reset(seed=seed + i, options={"split": split, "task_id": int(task_id)})
        spec = getattr(envs[k], "spec", None)
        ep = Episode(task=str(info.get("task", "")), observation=obs, env_id=spec.id if spec else "",
                     split=split, task_id=int(task_id), state=str(info.get("state_hash", "")))
        slots[k] = (i, Trajectory(ep), [], info)

    for k in range(len(envs)):
        start(k)
    try:
        while any(s is not None for s in slots):
            active = [k for k, s in enumerate(slots) if s is not None]
            messages = []
            for k in active:
                _, traj, history, info = slots[k]
                messages.append(build_messages(traj.episode.task, traj.episode.observation, history,
                                               policy.prompt_config, info.get("admissible_commands")))
            t0 = time.perf_counter()
            gens = policy.act(messages, temperature=temperature, top_p=top_p, generator=generator)
            t1 = time.perf_counter()
            for k, gen in zip(active, gens):
                i, traj, history, last_info = slots[k]
                action = snap_to_admissible(gen.action, last_info.get("admissible_commands"),
                                            policy.prompt_config.snap_to_admissible)
                obs, reward, terminated, truncated, info = envs[k].step(action)
                traj.turns.append(Turn(gen.prompt_ids, gen.response_ids, gen.logprobs, gen.values, gen.text, action))
                traj.episode.steps.append(Step.taken(action, obs, reward, info))
                traj.episode.final_reward += float(reward)
                history.append((gen.text, obs))
                slots[k] = (i, traj, history, info)
                if terminated or truncated:
                    traj.episode.won = bool(info.get("won", False))
                    results[i] = traj
                    bar.update(1 - _share(len(traj.episode.steps) - 1, limits[k]))
                    start(k)
                else:
                    bar.update(_share(len(traj.episode.steps), limits[k]) - _share(len(traj.episode.steps) - 1,
                                                                                    limits[k]))
            if timings is not None:
                # Env time includes resets; prompt building counts as generation.
                timings["generation"] = timings.get("generation", 0.0) + (t1 - t0)
                timings["env"] = timings.get("env", 0.0) + (time.perf_counter() - t1)
    finally:
        bar.close()
        for env in envs:
            env.close()
    return [r for r in results if r is not None]


def _step_limit(env: Any) -> int | None:
    limit = getattr(env.unwrapped, "max_steps", None)
    if not isinstance(limit, int):
        spec = getattr(env, "spec", None)
        limit = getattr(spec, "max_episode_steps", None)
    return limit if isinstance(limit, int) and limit > 0 else None


def _share(steps: int, limit: int | None) -> float:
    """How much of an episode ``steps`` steps are, for the progress display (a step is 0 without a limit)."""
    if limit is None or steps <= 0:
        return 0.0
    return min(steps, limit) / (limit + 1)  # an episode still running is never shown as finished


__all__ = ["Trajectory", "Turn", "make_env", "run_episodes"]
