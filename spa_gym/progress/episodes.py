"""Episodes: the trajectories a progress estimator learns from, their JSONL files, and collecting them.

One JSON object per line, one episode per object::

    {"env_id": "SPA-ALFWorld-v0", "split": "train", "task_id": 3,
     "task": "put a clean mug in coffeemachine", "observation": "<first observation>",
     "steps": [{"action": "go to countertop 1", "observation": "On the countertop 1, you see ...",
                "action_valid": true, "reward": 0.0, "state": "<info['state_hash'] after the step>"}, ...],
     "final_reward": 1.0, "won": true, "state": "<info['state_hash'] after reset>"}

``observation`` of a step is what the env answered *after* that step's action. ``state`` (episode and steps) is
optional: the env's ``info["state_hash"]`` where it gives one (every spa_gym env does), ``""`` otherwise;
:mod:`spa_gym.progress.hindsight` uses it to find the episodes of a task that meet in the same state.

>>> ep = Episode(task="count to 2", observation="Count to 2.",
...              steps=[Step("up", "You say 1.", True), Step("up", "You say 2.", True, 1.0)],
...              final_reward=1.0, won=True)
>>> Episode.from_dict(ep.to_dict()) == ep
True
>>> len(ep)
2
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spa_gym.core.files import append_json_line, atomic_path, read_json_lines

#: A policy maps ``(observation, info)`` to the next command.
Policy = Callable[[str, dict], str]


@dataclass
class Step:
    """One step: the command sent, the env's answer to it, whether it was executed, the env's reward, and the
    name of the state it led to (``info["state_hash"]``; ``""`` when the env gives none)."""

    action: str
    observation: str
    action_valid: bool
    reward: float = 0.0
    state: str = field(default="", compare=False)
    """Not compared: two steps are equal when the agent saw and did the same (a file written without states, or
    an export that drops them, still equals the episode it came from)."""

    @classmethod
    def taken(cls, action: str, observation: str, reward: float, info: dict) -> Step:
        """The step an env's ``step(action)`` answered with ``observation``, ``reward`` and ``info``."""
        return cls(action, observation, bool(info.get("action_valid", True)), float(reward),
                   str(info.get("state_hash", "")))


@dataclass
class Episode:
    """A finished (or truncated) episode of a text env."""

    task: str
    observation: str
    steps: list[Step] = field(default_factory=list)
    final_reward: float = 0.0
    won: bool = False
    env_id: str = ""
    split: str = ""
    task_id: int = -1
    state: str = field(default="", compare=False)
    """``info["state_hash"]`` after reset (``""`` when the env gives none); not compared, as ``Step.state``."""

    def __len__(self) -> int:
        return len(self.steps)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line schema (see the module docstring)."""
        return {
            "env_id": self.env_id, "split": self.split, "task_id": self.task_id, "task": self.task,
            "observation": self.observation, "steps": [asdict(s) for s in self.steps],
            "final_reward": self.final_reward, "won": self.won, "state": self.state,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        """Build an episode from its JSON form; ``ValueError`` says which field is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"an episode must be a JSON object, got {type(data).__name__}")
        for key, kind in (("task", str), ("observation", str), ("steps", list)):
            if not isinstance(data.get(key), kind):
                raise ValueError(f"field {key!r} must be a {kind.__name__}, got {data.get(key)!r:.60}")
        if not isinstance(data.get("final_reward"), (int, float)) or isinstance(data.get("final_reward"), bool):
            raise ValueError(f"field 'final_reward' must be a number, got {data.get('final_reward')!r:.60}")
        steps = []
        for i, s in enumerate(data["steps"]):
            if not isinstance(s, dict) or not isinstance(s.get("action"), str) \
                    or not isinstance(s.get("observation"), str):
                raise ValueError(f"step {i} needs string 'action' and 'observation', got {s!r:.80}")
            steps.append(Step(s["action"], s["observation"], bool(s.get("action_valid", True)),
                              float(s.get("reward", 0.0)), str(s.get("state", ""))))
        return cls(task=data["task"], observation=data["observation"], steps=steps,
                   final_reward=float(data["final_reward"]), won=bool(data.get("won", False)),
                   env_id=str(data.get("env_id", "")), split=str(data.get("split", "")),
                   task_id=int(data.get("task_id", -1)), state=str(data.get("state", "")))


# ---------------------------------------------------------------------------------------- JSONL files
def write_jsonl(path: str | os.PathLike, episodes: Iterable[Episode]) -> Path:
    """Write ``episodes`` to ``path``, atomically: a crash leaves either the old file or the new one."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for ep in episodes:
            f.write(json.dumps(ep.to_dict(), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def append_jsonl(path: str | os.PathLike, episode: Episode) -> None:
    """Append one episode and flush, so a crash while collecting loses at most the line being written."""
    append_json_line(path, episode.to_dict())


def read_jsonl(path: str | os.PathLike) -> list[Episode]:
    """Read episodes; a malformed line or an empty file is a ``ValueError`` naming the file and line."""
    episodes = read_json_lines(path, Episode.from_dict, "episode")
    if not episodes:
        raise ValueError(f"{path}: no episodes (the file is empty)")
    return episodes


# ---------------------------------------------------------------------------------------- policies
class RandomPolicy:
    """Uniformly random admissible command (or a random word when the env lists none).

    ``invalid_prob`` sends a command that is not admissible that often, so the data shows ungrounded steps.
    """

    def __init__(self, seed: int = 0, invalid_prob: float = 0.0) -> None:
        if not 0.0 <= invalid_prob <= 1.0:
            raise ValueError(f"invalid_prob must be in [0, 1], got {invalid_prob}")
        self.invalid_prob = invalid_prob
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Restart the policy's random stream (``collect_episodes`` calls it once per episode)."""
        self.rng = np.random.default_rng(seed)

    def __call__(self, observation: str, info: dict) -> str:
        commands = info.get("admissible_commands") or []
        if not commands or self.rng.random() < self.invalid_prob:
            return "xyzzy"  # never admissible in our envs: an honest ungrounded step
        return str(commands[self.rng.integers(len(commands))])


class NoisyExpertPolicy(RandomPolicy):
    """The env's expert (``info["expert_action"]``, make the env with ``expert=True``), but a random
    admissible command with probability ``epsilon``: successes and failures with graded progress."""

    def __init__(self, epsilon: float = 0.3, seed: int = 0, invalid_prob: float = 0.0) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        super().__init__(seed, invalid_prob)
        self.epsilon = epsilon

    def __call__(self, observation: str, info: dict) -> str:
        if "expert_action" not in info:
            raise ValueError("NoisyExpertPolicy needs info['expert_action']: make the env with expert=True")
        if info["expert_action"] is None or self.rng.random() < self.epsilon:
            return super().__call__(observation, info)
        return str(info["expert_action"])


def play_episode(env: Any, policy: Policy, *, seed: int | None = None,
                 options: dict[str, Any] | None = None, max_steps: int | None = None) -> Episode:
    """Play one episode of ``env`` with ``policy``; stop at termination, truncation or ``max_steps``."""
    obs, info = env.reset(seed=seed, options=options)
    spec = getattr(env, "spec", None)
    ep = Episode(task=str(info.get("task", "")), observation=obs, env_id=spec.id if spec else "",
                 split=str(info.get("split", "")), task_id=int(info.get("task_id", -1)),
                 state=str(info.get("state_hash", "")))
    done = False
    while not done and (max_steps is None or len(ep.steps) < max_steps):
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        ep.steps.append(Step.taken(action, obs, reward, info))
        ep.final_reward += float(reward)
        done = terminated or truncated
    ep.won = bool(info.get("won", ep.final_reward > 0))
    return ep


def collect_episodes(env: Any, policy: Policy, n: int, seed: int = 0, *, split: str | None = None,
                     task_ids: Sequence[int] | None = None, max_steps: int | None = None,
                     out_path: str | os.PathLike | None = None, progress: bool = True) -> list[Episode]:
    """Play ``n`` episodes: episode ``i`` resets with ``seed + i`` (and ``task_ids[i]`` when given).

    A policy with a ``reseed(seed)`` method is reseeded per episode, so every episode is reproducible
    on its own. With ``out_path`` each episode is appended to that JSONL file as soon as it ends.

    >>> from spa_gym.progress.toy import CountingEnv
    >>> eps = collect_episodes(CountingEnv(expert=True), NoisyExpertPolicy(0.2), n=3, seed=0, progress=False)
    >>> [round(ep.final_reward, 1) for ep in eps], all(ep.task for ep in eps)
    ([1.0, 1.0, 1.0], True)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if task_ids is not None and len(task_ids) < n:
        raise ValueError(f"task_ids has {len(task_ids)} entries, need n={n}")
    from tqdm.auto import tqdm

    episodes = []
    for i in tqdm(range(n), desc="collecting episodes", disable=not progress, unit="ep"):
        if hasattr(policy, "reseed"):
            policy.reseed(seed + i)
        options: dict[str, Any] = {}
        if split is not None:
            options["split"] = split
        if task_ids is not None:
            options["task_id"] = int(task_ids[i])
        ep = play_episode(env, policy, seed=seed + i, options=options or None, max_steps=max_steps)
        if out_path is not None:
            append_jsonl(out_path, ep)
        episodes.append(ep)
    return episodes


__all__ = ["Episode", "NoisyExpertPolicy", "Policy", "RandomPolicy", "Step", "append_jsonl",
           "collect_episodes", "play_episode", "read_jsonl", "write_jsonl"]
