"""Trajectory export: one JSON line per episode, chat messages plus per-step rewards, for other trainers.

A line of the export (``FORMAT`` names it)::

    {"format": "spa-gym/trajectory-v1",
     "env_id": "SPA-ALFWorld-v0", "split": "test", "task_id": 3, "task": "put a clean mug in coffeemachine",
     "task_type": "pick_clean_then_place_in_recep", "seed": 0,
     "messages": [{"role": "system", "content": "<instruction>"},          # left out with system_prompt=None
                  {"role": "user", "content": "<first observation>"},
                  {"role": "assistant", "content": "<command 1>"},
                  {"role": "user", "content": "<observation after command 1>"}, ...],
     "steps": [{"observation": "<what the agent saw>", "action": "<command 1>",
                "env_reward": 0.0,                 # the env's own reward (the benchmark's final reward at the end)
                "dense_reward": 0.12,              # what the agent was trained on (SPA; = env_reward if unshaped)
                "info": {"action_valid": true, "state_hash": "...", "spa": {...}, ...}}, ...],
     "final_observation": "<observation after the last command>",
     "env_return": 1.0, "dense_return": 0.87, "won": true, "ended": "terminated", "meta": {...}}

``messages`` are OpenAI chat messages: the user turns are the env's observations exactly as it wrote them, the
assistant turns the commands sent, so ``messages[k]`` for an assistant turn is ``steps[t]["action"]`` and the
user turn before it ``steps[t]["observation"]``; the conversation ends with ``final_observation``. ``steps`` are
``(observation, action, env_reward, dense_reward, info)`` per step, ``info`` being the JSON-able part of what
the env (and its reward wrappers) reported for the step.

Sources: episode JSONL files (``spa-gym collect``, :class:`~spa_gym.wrappers.RecordEpisodes`, the demo's
``episodes/``): :func:`from_record`; a live :class:`~spa_gym.integrations.episode.SPAEpisode` (the adapters'
episode): :func:`from_episode`. :func:`export` writes a file of them (``spa-gym export``), :func:`read` reads
and checks one, :func:`to_episode` turns a line back into the project's :class:`~spa_gym.progress.episodes.Episode`.

>>> from spa_gym.progress.episodes import Episode, Step
>>> ep = Episode(task="reach 2", observation="You stand at 0.", steps=[Step("go up", "You stand at 1.", True),
...              Step("go up", "You stand at 2.", True, 1.0)], final_reward=1.0, won=True)
>>> line = from_record(ep.to_dict(), system_prompt=None)
>>> [(m["role"], m["content"]) for m in line["messages"]][:3]
[('user', 'You stand at 0.'), ('assistant', 'go up'), ('user', 'You stand at 1.')]
>>> line["steps"][1]["observation"], line["env_return"]
('You stand at 1.', 1.0)
>>> to_episode(line) == ep
True
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spa_gym.agents.prompts import INSTRUCTION, REPLY_RULES
from spa_gym.core.files import atomic_path, read_json_lines
from spa_gym.progress.episodes import Episode, Step
from spa_gym.wrappers.record_episodes import json_value

#: The export's format name and version (bumped on an incompatible change).
FORMAT = "spa-gym/trajectory-v1"
#: The default system turn: the bundled agent's instruction, replies being bare commands.
SYSTEM_PROMPT = INSTRUCTION.format(reply_rule=REPLY_RULES["action"])
#: Step entries of an episode line (besides action / observation / reward) that go into a step's ``info``.
RECORD_STEP_INFO = ("spa", "oracle", "expert_distance", "true_progress")


def build(task: str, first_observation: str, steps: Iterable[tuple[str, str, float, float, dict[str, Any]]], *,
          system_prompt: str | None = SYSTEM_PROMPT, **fields: Any) -> dict[str, Any]:
    """A trajectory line from ``(action, observation after it, env_reward, dense_reward, info)`` per step;
    ``fields`` (env_id, split, task_id, task_type, seed, won, ended, meta) are stored as given, and
    ``env_return`` too when given (else the sum of the steps' env rewards)."""
    env_return = fields.pop("env_return", None)
    messages: list[dict[str, str]] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": str(first_observation)})
    out_steps, seen = [], str(first_observation)
    for action, observation, env_reward, dense_reward, info in steps:
        out_steps.append({"observation": seen, "action": str(action), "env_reward": _number(env_reward),
                          "dense_reward": _number(dense_reward), "info": json_value(dict(info))})
        messages += [{"role": "assistant", "content": str(action)}, {"role": "user", "content": str(observation)}]
        seen = str(observation)
    line: dict[str, Any] = {"format": FORMAT, "env_id": "", "split": "", "task_id": -1, "task": str(task),
                            "task_type": "", "seed": None}
    line.update({k: json_value(v) for k, v in fields.items() if k not in ("won", "ended", "meta")})
    line["messages"] = messages
    line["steps"] = out_steps
    line["final_observation"] = seen
    line["env_return"] = _number(sum(s["env_reward"] or 0.0 for s in out_steps) if env_return is None else env_return)
    line["dense_return"] = _number(sum(s["dense_reward"] or 0.0 for s in out_steps))
    line["won"] = bool(fields.get("won", False))
    line["ended"] = str(fields.get("ended", ""))
    if fields.get("meta"):
        line["meta"] = json_value(fields["meta"])
    return line


def from_record(record: dict[str, Any], *, system_prompt: str | None = SYSTEM_PROMPT) -> dict[str, Any]:
    """A trajectory line from an episode line (:class:`~spa_gym.progress.episodes.Episode` JSON, or the richer
    one :class:`~spa_gym.wrappers.RecordEpisodes` writes). A line that already is a trajectory is checked and
    returned as it is."""
    if isinstance(record, dict) and record.get("format") == FORMAT:
        return check(record)
    episode = Episode.from_dict(record)  # validates the fields every episode line has
    steps = []
    for raw, step in zip(record["steps"], episode.steps):
        info: dict[str, Any] = {"action_valid": step.action_valid}
        info.update(raw.get("info") or {})
        info.update({k: raw[k] for k in RECORD_STEP_INFO if k in raw})
        dense = raw.get("dense_reward", step.reward)
        steps.append((step.action, step.observation, step.reward, step.reward if dense is None else dense, info))
    fields = {k: record[k] for k in ("task_type", "seed", "ended", "meta") if k in record}
    return build(episode.task, episode.observation, steps, system_prompt=system_prompt, env_id=episode.env_id,
                 split=episode.split, task_id=episode.task_id, won=episode.won, env_return=episode.final_reward,
                 **fields)


def from_episode(episode: Any, *, system_prompt: str | None = SYSTEM_PROMPT,
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A trajectory line from an :class:`~spa_gym.integrations.episode.SPAEpisode` (finished or not): the
    env's observations, the commands, each turn's env reward and SPA reward, and each turn's whole ``info``."""
    if episode._reset_args is None:
        raise ValueError("the episode was never reset: there is nothing to export")
    task_id, split, seed = episode._reset_args
    steps = [(a, t.observation, t.env_reward, t.dense_reward, t.info) for a, t in zip(episode.actions, episode.turns)]
    last = episode.turns[-1] if episode.turns else None
    ended = "" if last is None or not last.done else ("terminated" if last.terminated else "truncated")
    first_info = episode.info if not episode.turns else episode.turns[0].info
    return build(episode.task, episode.first_observation, steps, system_prompt=system_prompt,
                 env_id=episode.env_id, split=first_info.get("split", split or ""),
                 task_id=first_info.get("task_id", -1 if task_id is None else task_id),
                 task_type=first_info.get("task_type", ""), seed=seed, won=episode.won, ended=ended,
                 meta=dict(meta or {}, reward_form=episode.form, alpha=episode.alpha, beta=episode.beta))


def check(line: dict[str, Any]) -> dict[str, Any]:
    """``line`` if it is a well-formed trajectory (messages agree with steps); ``ValueError`` says what is not."""
    if not isinstance(line, dict) or line.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} line (format {line.get('format') if isinstance(line, dict) else None!r})")
    messages, steps = line.get("messages"), line.get("steps")
    if not isinstance(messages, list) or not isinstance(steps, list):
        raise ValueError("'messages' and 'steps' must be lists")
    system = 1 if messages and messages[0].get("role") == "system" else 0
    if len(messages) != system + 1 + 2 * len(steps):
        raise ValueError(f"{len(messages)} messages for {len(steps)} steps (expected {system + 1 + 2 * len(steps)})")
    for t, step in enumerate(steps):
        for key, kind in (("observation", str), ("action", str), ("info", dict)):
            if not isinstance(step.get(key), kind):
                raise ValueError(f"step {t}: {key!r} must be a {kind.__name__}")
        user, assistant = messages[system + 2 * t], messages[system + 2 * t + 1]
        if (user.get("role"), assistant.get("role")) != ("user", "assistant") \
                or user.get("content") != step["observation"] or assistant.get("content") != step["action"]:
            raise ValueError(f"step {t}: the messages do not match the step's observation and action")
    if messages[-1].get("role") != "user" or messages[-1].get("content") != line.get("final_observation"):
        raise ValueError("the last message must be the user turn holding 'final_observation'")
    return line


def to_episode(line: dict[str, Any]) -> Episode:
    """The :class:`~spa_gym.progress.episodes.Episode` a trajectory line holds (what the estimator trains on)."""
    check(line)
    steps = line["steps"]
    after = [s["observation"] for s in steps[1:]] + [line["final_observation"]]
    first = steps[0]["observation"] if steps else line["final_observation"]
    return Episode(task=line["task"], observation=first,
                   steps=[Step(s["action"], obs, bool(s["info"].get("action_valid", True)), float(s["env_reward"] or 0.0))
                          for s, obs in zip(steps, after)],
                   final_reward=float(line["env_return"] or 0.0), won=bool(line["won"]), env_id=line["env_id"],
                   split=line["split"], task_id=int(line["task_id"]))


def source_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The episode files named: files as given, folders as every ``*.jsonl`` under them (sorted, hidden names
    skipped)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*.jsonl") if not any(part.startswith(".") for part in
                                                                     f.relative_to(p).parts))
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such episode file or folder")
    if not found:
        raise ValueError("no .jsonl episode files in " + ", ".join(map(str, paths)))
    return found


def export(sources: Iterable[str | os.PathLike], out: str | os.PathLike, *,
           system_prompt: str | None = SYSTEM_PROMPT) -> int:
    """Convert every episode line of ``sources`` (files or folders) into trajectory lines in ``out``, written
    atomically (a crash leaves the old file or none). Returns the number of lines. A bad line is a
    ``ValueError`` naming its file and line."""
    out = Path(out)
    files = [f for f in source_files(sources) if f.resolve() != out.resolve()]
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for path in files:
            for line in read_json_lines(path, lambda d: from_record(d, system_prompt=system_prompt), "episode"):
                f.write(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
                count += 1
        f.flush()
        os.fsync(f.fileno())
    return count


def write(path: str | os.PathLike, lines: Iterable[dict[str, Any]]) -> Path:
    """Write trajectory lines (from :func:`from_episode` / :func:`from_record`) to ``path``, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(check(line), ensure_ascii=False, allow_nan=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


def read(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The trajectory lines of ``path``, each checked (:func:`check`)."""
    return read_json_lines(path, check, "trajectory")


def _number(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


__all__ = ["FORMAT", "SYSTEM_PROMPT", "build", "check", "export", "from_episode", "from_record", "read",
           "source_files", "to_episode", "write"]
