"""The policy interface of the Ray driver: one call decides the next command of every running episode.

Generation stays on the driver (the workers only step envs), so a policy sees a batch of
:class:`EpisodeView` (one per running episode, in slot order) and returns one :class:`Decision` each.
Two adapters cover the project's policies:

* :class:`PerEpisodePolicy` wraps a per-step policy ``policy(observation, info) -> command``
  (:class:`~spa_gym.progress.episodes.RandomPolicy`, :class:`~spa_gym.progress.episodes.NoisyExpertPolicy`):
  each episode gets its own copy, reseeded with ``seed + index`` as
  :func:`~spa_gym.progress.episodes.collect_episodes` does, so interleaving episodes changes nothing.
* :class:`LLMBatchPolicy` wraps an :class:`~spa_gym.agents.policy.LLMPolicy`: the prompts of all views go
  through the model in one batch, as in :func:`~spa_gym.agents.rollout.run_episodes`.

Plugging in another engine means writing ``act``: a vLLM (or any OpenAI-compatible) server is called with
the batch's prompts as concurrent requests, and the reply texts come back as ``Decision(action, reply)``;
with several GPUs, ``act`` splits the views over one model replica per GPU and joins the decisions in the
same order. Determinism is the policy's own business: the driver always presents the same batches in the
same order for a seed, whatever the number of workers.

>>> from spa_gym.progress.episodes import RandomPolicy
>>> policy = PerEpisodePolicy(RandomPolicy())
>>> policy.start(seed=5)
>>> info = {"admissible_commands": ["go up", "go down", "look"]}
>>> views = [EpisodeView(0, "reach 3", "You stand at 0.", "You stand at 0.", info),
...          EpisodeView(1, "reach 4", "You stand at 0.", "You stand at 0.", info)]
>>> [d.action for d in policy.act(views)] == [RandomPolicy(5)("", info), RandomPolicy(6)("", info)]
True
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EpisodeView:
    """What a policy sees of one running episode.

    ``index`` is the episode's place in the run's task list (it resets with ``seed + index``);
    ``first_observation`` is the observation at reset, ``observation`` the latest one, ``history`` the
    ``(reply, observation)`` pairs of the turns so far.
    """

    index: int
    task: str
    first_observation: str
    observation: str
    info: dict[str, Any]
    history: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Decision:
    """A policy's answer for one episode: the command to send, the reply text it came from (for the next
    prompt's history; the command when None) and any per-turn data the trainer keeps (e.g. PPO's tokens)."""

    action: str
    reply: str | None = None
    turn: Any = None


class BatchPolicy:
    """Decides the next command of many episodes at once. Subclass and write :meth:`act`."""

    def start(self, seed: int) -> None:
        """A new run begins; episode ``i`` of it resets with ``seed + i``."""

    def act(self, views: Sequence[EpisodeView]) -> list[Decision]:
        """One decision per view, in the views' order."""
        raise NotImplementedError

    def end(self, index: int) -> None:
        """Episode ``index`` finished (drop what was kept for it)."""


class PerEpisodePolicy(BatchPolicy):
    """A per-step policy ``policy(observation, info) -> command`` played with one copy per episode.

    A policy with ``reseed(seed)`` is reseeded with ``seed + index`` for episode ``index``, which gives the
    same commands as :func:`~spa_gym.progress.episodes.collect_episodes` (one policy, reseeded per episode).
    """

    def __init__(self, policy: Any) -> None:
        if not callable(policy):
            raise TypeError(f"policy must be callable as policy(observation, info), got {type(policy).__name__}")
        self.prototype = policy
        self.seed = 0
        self._copies: dict[int, Any] = {}

    def start(self, seed: int) -> None:
        self.seed, self._copies = int(seed), {}

    def act(self, views: Sequence[EpisodeView]) -> list[Decision]:
        decisions = []
        for view in views:
            policy = self._copies.get(view.index)
            if policy is None:
                policy = self._copies[view.index] = copy.deepcopy(self.prototype)
                if hasattr(policy, "reseed"):
                    policy.reseed(self.seed + view.index)
            decisions.append(Decision(str(policy(view.observation, view.info))))
        return decisions

    def end(self, index: int) -> None:
        self._copies.pop(index, None)


class LLMBatchPolicy(BatchPolicy):
    """An :class:`~spa_gym.agents.policy.LLMPolicy` on the driver's device, one generation batch per call.

    Prompts, sampling and snapping to admissible commands are those of
    :func:`~spa_gym.agents.rollout.run_episodes`, and the sampling generator is seeded with the run's seed,
    so a run gives the same replies as ``run_episodes`` with the same ``n_envs``. ``Decision.turn`` is the
    :class:`~spa_gym.agents.rollout.Turn` PPO trains on.
    """

    def __init__(self, policy: Any, temperature: float = 1.0, top_p: float = 1.0) -> None:
        self.policy, self.temperature, self.top_p = policy, float(temperature), float(top_p)
        self.generator: Any = None

    def start(self, seed: int) -> None:
        import torch

        self.generator = torch.Generator(device=self.policy.device).manual_seed(int(seed))

    def act(self, views: Sequence[EpisodeView]) -> list[Decision]:
        from spa_gym.agents.parsing import snap_to_admissible
        from spa_gym.agents.prompts import build_messages
        from spa_gym.agents.rollout import Turn

        if self.generator is None:
            raise RuntimeError("call start(seed) before act()")
        config = self.policy.prompt_config
        messages = [build_messages(v.task, v.first_observation, v.history, config, v.info.get("admissible_commands"))
                    for v in views]
        gens = self.policy.act(messages, temperature=self.temperature, top_p=self.top_p, generator=self.generator)
        decisions = []
        for view, gen in zip(views, gens):
            action = snap_to_admissible(gen.action, view.info.get("admissible_commands"), config.snap_to_admissible)
            turn = Turn(gen.prompt_ids, gen.response_ids, gen.logprobs, gen.values, gen.text, action)
            decisions.append(Decision(action, gen.text, turn))
        return decisions


__all__ = ["BatchPolicy", "Decision", "EpisodeView", "LLMBatchPolicy", "PerEpisodePolicy"]
