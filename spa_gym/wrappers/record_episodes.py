"""Record finished episodes to JSONL, with dense-reward info and true progress, for ``spa-gym view``.

Each finished episode becomes one line of the project's episode format
(:mod:`spa_gym.progress.episodes`, so :func:`~spa_gym.progress.episodes.read_jsonl` and the estimator's
training read these files as they are), extended with what a person wants to look at::

    {... the Episode fields ...,
     "task_type": "pick_and_place", "seed": 3, "ended": "terminated",
     "expert_distance": 7,                      # d_0: expert steps needed at reset (None: cannot win)
     "meta": {"source": "collect", "reward": "spa"},   # whatever the caller passed as metadata
     "steps": [{"action": ..., "observation": ..., "action_valid": true,
                "reward": 0.0,                  # the env's own reward (Step.reward; read from info["spa"]
                                                # when SPAReward lies below, else the reward returned)
                "dense_reward": 0.12,           # what the agent got, when a wrapper below changed it
                "spa": {"contribution": ..., "progress": ..., "grounding": 1.0, "env_reward": 0.0},
                "info": {"state_hash": "3f0c..."},  # the info entries named by info_keys, when present
                "expert_distance": 6, "true_progress": 0.143}, ...]}

``spa`` is ``info["spa"]`` as :class:`~spa_gym.wrappers.SPAReward` (below this wrapper) left it; ``oracle``
is recorded the same way from :class:`~spa_gym.wrappers.OracleProgressReward`. True progress is
``1 - d_t / d_0`` from :func:`~spa_gym.progress.true_progress.expert_distance` (measured on the env, which
is left exactly as it was); it is recorded when the env has an expert (every spa_gym env does).

Writing: one ``os.write`` of a whole line on a file opened with ``O_APPEND`` (a line is never interleaved
with another writer's), under an advisory lock (several envs, or processes, may record to one file); a
file that would grow past ``max_bytes`` is first renamed to ``NAME.1.jsonl`` (``.2``, ... : the next free
number), so the current file stays small and every rotated file is still a JSONL of episodes.

>>> import tempfile
>>> from pathlib import Path
>>> from spa_gym.progress.episodes import read_jsonl
>>> from spa_gym.progress.toy import CountingEnv
>>> path = Path(tempfile.mkdtemp()) / "episodes.jsonl"
>>> env = RecordEpisodes(CountingEnv(), path, metadata={"source": "doctest"})
>>> obs, info = env.reset(seed=0, options={"task_id": 0})
>>> for action in ["go up", "dance", "go up"]:
...     obs, reward, terminated, truncated, info = env.step(action)
>>> env.close()                          # an unfinished episode is written on close (or the next reset)
>>> line = json.loads(path.read_text())
>>> line["ended"], line["expert_distance"], [s["true_progress"] for s in line["steps"]]
('closed', 6, [0.16666666666666663, 0.16666666666666663, 0.33333333333333337])
>>> [ep.task for ep in read_jsonl(path)]
['reach 6']
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym

from spa_gym.progress.episodes import Episode
from spa_gym.progress.true_progress import DEFAULT_LIMIT, expert_distance
from spa_gym.progress.true_progress import true_progress as progress_from_distances

try:  # advisory locks: POSIX only; elsewhere the O_APPEND single write still keeps lines whole
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

#: Per-step ``info`` entries (dicts of numbers) recorded when present: what reward wrappers below report.
INFO_KEYS = ("spa", "oracle")


class RecordEpisodes(gym.Wrapper):
    """Append each finished episode to a JSONL file (see the module docstring for the line format).

    Args:
        env: a Gymnasium text env (string observations and actions); spa_gym envs give the richest lines.
        path: the JSONL file (its folder is created). Several wrappers may share one path.
        true_progress: measure the expert distance after every step; ``None`` (default): when the env has
            an expert (``env.unwrapped`` has ``get_state`` and ``_expert_action``). Costs one expert rollout
            per step.
        expert_limit: bound on each expert rollout (a state the expert cannot win from in that many steps
            has distance None, counted as ``expert_limit`` steps away in ``true_progress``).
        max_bytes: rotate the file before it would grow past this size (0: never rotate).
        metadata: JSON-able dict stored as ``"meta"`` in every line (source command, reward mode, ...).
        fsync: also ``fsync`` after each episode (survives a power cut, not only a crash; slower).
        info_keys: entries of each step's ``info`` to record as the step's ``"info"`` (those present; values
            made JSON-able). Default: ``state_hash``. Add ``admissible_commands`` and friends for exports that
            need them (:mod:`spa_gym.integrations.trajectories` carries them over).
    """

    def __init__(self, env: gym.Env, path: str | os.PathLike, *, true_progress: bool | None = None,
                 expert_limit: int = DEFAULT_LIMIT, max_bytes: int = 64 * 2 ** 20,
                 metadata: dict[str, Any] | None = None, fsync: bool = False,
                 info_keys: tuple[str, ...] | list[str] = ("state_hash",)) -> None:
        super().__init__(env)
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        if expert_limit < 1:
            raise ValueError(f"expert_limit must be >= 1, got {expert_limit}")
        base = env.unwrapped
        has_expert = callable(getattr(base, "get_state", None)) and callable(getattr(base, "_expert_action", None)) \
            and getattr(base, "backend", "native") == "native"
        if true_progress and not has_expert:
            raise ValueError(f"true_progress=True needs a spa_gym text env with an expert, got {type(base).__name__}")
        self.path = Path(path)
        self.measure_progress = has_expert if true_progress is None else bool(true_progress)
        self.expert_limit, self.max_bytes, self.fsync = int(expert_limit), int(max_bytes), bool(fsync)
        self.metadata = dict(metadata or {})
        json.dumps(self.metadata)  # fail now, not at the end of the first episode
        if isinstance(info_keys, str) or not all(isinstance(k, str) for k in info_keys):
            raise ValueError(f"info_keys must be a list of info entry names, got {info_keys!r}")
        self.info_keys = tuple(info_keys)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.episodes_written = 0
        self._record: dict[str, Any] | None = None
        self._distances: list[int | None] = []

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        self._finish("abandoned")
        obs, info = self.env.reset(seed=seed, options=options)
        spec = getattr(self.env, "spec", None)
        split = info.get("split", (options or {}).get("split", ""))
        episode = Episode(task=str(info.get("task", "")), observation=str(obs), env_id=spec.id if spec else "",
                          split=str(split), task_id=int(info.get("task_id", -1)))
        self._record = dict(episode.to_dict(), task_type=str(info.get("task_type", "")), seed=seed)
        self._distances = [self._distance()] if self.measure_progress else []
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if self._record is None:  # the env below raised ResetNeeded already, or was never reset
            return obs, reward, terminated, truncated, info
        env_reward = _env_reward(info, float(reward))
        step: dict[str, Any] = {"action": str(action), "observation": str(obs),
                                "action_valid": bool(info.get("action_valid", True)), "reward": env_reward}
        if not math.isclose(float(reward), env_reward, rel_tol=0.0, abs_tol=1e-12):
            step["dense_reward"] = _number(float(reward))
        for key in INFO_KEYS:
            if isinstance(info.get(key), dict):
                step[key] = {k: _jsonable(v) for k, v in info[key].items()}
        kept = {k: json_value(info[k]) for k in self.info_keys if k in info}
        if kept:
            step["info"] = kept
        if self.measure_progress:
            self._distances.append(self._distance())
            step["expert_distance"] = self._distances[-1]
        self._record["steps"].append(step)
        self._record["final_reward"] += env_reward
        self._record["won"] = bool(info.get("won", self._record["final_reward"] > 0))
        if terminated or truncated:
            self._finish("terminated" if terminated else "truncated")
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        self._finish("closed")
        super().close()

    # ------------------------------------------------------------------ recording
    def _distance(self) -> int | None:
        return expert_distance(self.env, self.expert_limit)

    def _finish(self, ended: str) -> None:
        record, self._record = self._record, None
        if record is None or (ended != "terminated" and ended != "truncated" and not record["steps"]):
            return  # nothing played since the last reset: no line
        record["ended"] = ended
        if self.measure_progress:
            record["expert_distance"] = self._distances[0]
            for step, p in zip(record["steps"], progress_from_distances(self._distances, cap=self.expert_limit)[1:]):
                step["true_progress"] = float(p)
        if self.metadata:
            record["meta"] = self.metadata
        record["recorded_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        self.episodes_written += 1

    def _write(self, line: str) -> None:
        """Store one finished episode's line (spa_gym.distributed's workers send it to the driver instead)."""
        append_line(self.path, line, self.max_bytes, self.fsync)


def append_line(path: Path, line: str, max_bytes: int = 0, fsync: bool = False) -> None:
    """Append one whole line to ``path`` in one write, rotating the file first when it would pass ``max_bytes``."""
    data = line.encode("utf-8")
    lock_fd = os.open(path.parent / f".{path.name}.lock", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if max_bytes and size and size + len(data) > max_bytes:
            n = 1
            while (path.with_name(f"{path.stem}.{n}{path.suffix}")).exists():
                n += 1
            os.replace(path, path.with_name(f"{path.stem}.{n}{path.suffix}"))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.close(lock_fd)  # closing releases the lock


def _env_reward(info: dict[str, Any], reward: float) -> float:
    for key in INFO_KEYS:
        if isinstance(info.get(key), dict) and "env_reward" in info[key]:
            return float(info[key]["env_reward"])
    return reward


def json_value(value: Any) -> Any:
    """``value`` as JSON can hold it: dicts (string keys), lists and tuples as lists, numbers (numpy ones
    too) as numbers with non-finite floats as None, anything else as its ``str``."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return _jsonable(value)


def _number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _jsonable(value: Any) -> Any:
    """Numbers (numpy scalars too) as floats, non-finite ones as None; anything else as JSON sees it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    try:
        return _number(float(value))
    except (TypeError, ValueError):
        return str(value)


__all__ = ["INFO_KEYS", "RecordEpisodes", "append_line", "json_value"]
