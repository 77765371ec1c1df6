"""RRO records: one :class:`RROStep` per trajectory step (JSON lines), and the training data made from them.

:func:`preference_pairs` gives step-level ``(prompt, chosen, rejected)`` pairs for DPO-style training
(:mod:`spa_gym.agents.rro.train`), :func:`sft_samples` the rising steps as supervised samples.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from spa_gym.agents.prompts import render_prompt
from spa_gym.core.files import append_json_line, read_json_lines
from spa_gym.progress.episodes import Episode, Step

@dataclass
class Candidate:
    """One distinct action proposed at a step, and what trying it from the snapshot gave."""

    reply: str  # the policy's text (the action itself for a scripted policy)
    action: str  # the command sent to the env
    observation: str
    action_valid: bool
    env_reward: float
    terminated: bool
    progress: float  # estimated cumulative progress P_t after this action
    contribution: float  # P_t - P_{t-1}: this action's own share
    reward: float  # the process reward compared by the rising rule (progress or contribution)
    samples: int = 1  # how often the policy proposed this action at this step


@dataclass
class RROStep:
    """One step of a collected trajectory: the prompt, every candidate tried, and which one continued."""

    episode: int
    t: int
    env_id: str
    split: str
    task_id: int
    task: str
    first_observation: str  # what reset returned (each line stands on its own)
    messages: list[dict[str, str]]
    candidates: list[Candidate]
    chosen: int  # index into candidates
    n_samples: int  # policy calls at this step (duplicates included), at most max_candidates
    prev_reward: float  # reward of the previous step's chosen action (the bar to rise to, before min_rise)
    rose: bool  # the chosen candidate met the rising rule (False: none did, the best one was kept)
    done: bool = False  # the trajectory ended after the chosen action
    won: bool = False  # the env reported success after the chosen action

    @property
    def chosen_candidate(self) -> Candidate:
        return self.candidates[self.chosen]

    @property
    def rejected(self) -> list[Candidate]:
        """Candidates whose reward is strictly below the chosen one's."""
        best = self.chosen_candidate.reward
        return [c for i, c in enumerate(self.candidates) if i != self.chosen and c.reward < best]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RROStep:
        """Build a step from its JSON form; ``ValueError`` says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"an RRO step must be a JSON object, got {type(data).__name__}")
        try:
            cands = [Candidate(**c) for c in data["candidates"]]
            step = cls(**{**data, "candidates": cands})
        except (KeyError, TypeError) as err:
            raise ValueError(f"not an RRO step record: {err}") from None
        if not 0 <= step.chosen < len(cands):
            raise ValueError(f"chosen={step.chosen} is not an index into {len(cands)} candidates")
        return step


def append_step(path: str | os.PathLike, step: RROStep) -> None:
    """Append one step as a JSON line and flush (a crash loses at most the line being written)."""
    append_json_line(path, step.to_dict())


def read_steps(path: str | os.PathLike) -> list[RROStep]:
    """Read a steps file; a malformed line is a ``ValueError`` naming the file and line."""
    return read_json_lines(path, RROStep.from_dict, "RRO step")


def trajectories(steps: Iterable[RROStep]) -> list[Episode]:
    """The chosen trajectories as :class:`~spa_gym.progress.episodes.Episode` objects (e.g. to refit the
    estimator on them)."""
    episodes: dict[int, Episode] = {}
    for s in steps:
        if s.episode not in episodes:
            episodes[s.episode] = Episode(s.task, s.first_observation, env_id=s.env_id, split=s.split,
                                          task_id=s.task_id)
        ep, c = episodes[s.episode], s.chosen_candidate
        ep.steps.append(Step(c.action, c.observation, c.action_valid, c.env_reward))
        ep.final_reward += c.env_reward
        ep.won = s.won
    return list(episodes.values())


def preference_pairs(steps: Iterable[RROStep], *, tokenizer: Any | None = None, rising_only: bool = False,
                     min_margin: float = 0.0) -> list[dict[str, Any]]:
    """``(prompt, chosen, rejected)`` pairs: the chosen reply against each candidate with a lower reward.

    Args:
        tokenizer: renders ``prompt`` with its chat template; without one the plain rendering is used
            (``messages`` is always there too).
        rising_only: keep only steps whose chosen candidate met the rising rule.
        min_margin: keep pairs whose reward gap is larger than this.
    """
    pairs = []
    for s in steps:
        if rising_only and not s.rose:
            continue
        chosen, prompt = s.chosen_candidate, None
        for r in s.rejected:
            if chosen.reward - r.reward > min_margin:
                if prompt is None:  # rendered once per step, not once per pair
                    prompt = render_prompt(tokenizer, s.messages)
                pairs.append({"prompt": prompt, "messages": s.messages,
                              "chosen": chosen.reply, "rejected": r.reply, "chosen_reward": chosen.reward,
                              "rejected_reward": r.reward, "episode": s.episode, "t": s.t})
    return pairs


def sft_samples(steps: Iterable[RROStep], *, rising_only: bool = True) -> list[Any]:
    """The chosen replies as :class:`~spa_gym.agents.sft.SFTSample` (by default only steps that rose)."""
    from spa_gym.agents.sft import SFTSample

    return [SFTSample(s.messages, s.chosen_candidate.reply) for s in steps if s.rose or not rising_only]


__all__ = ["Candidate", "RROStep", "append_step", "preference_pairs", "read_steps", "sft_samples", "trajectories"]
