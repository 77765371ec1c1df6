"""One SPA-rewarded episode of a spa-gym env: the piece every trainer adapter shares.

An :class:`SPAEpisode` makes the env once, wraps it in :class:`~spa_gym.wrappers.SPAReward`, and keeps the
episode's transcript: the dense reward of each turn beside the env's own reward, and the admissible commands
and ``info`` of the last step. Resets are deterministic from ``(split, task_id, seed)``, so copies that reset
with the same row start from the same state (what GRPO-style groups need).

It pickles as its settings plus the episode's commands, and unpickling replays them, so a copy sent to another
process resumes exactly where the original was (estimator scores included: the replay rescores the same steps).

>>> ep = SPAEpisode("SPA-ALFWorld-v0")
>>> obs = ep.reset(task_id=0, split="train")
>>> obs.startswith("-= Welcome to TextWorld, ALFRED! =-")
True
>>> turn = ep.step("look")
>>> turn.env_reward, len(ep.dense_rewards), ep.done
(0.0, 1, False)
>>> import pickle
>>> pickle.loads(pickle.dumps(ep)).dense_rewards == ep.dense_rewards
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym


def load_estimator(estimator: Any) -> Any:
    """``None`` gives :meth:`ProgressEstimator.default` (untrained, offline); a path loads a saved estimator;
    anything else is taken to be an estimator already."""
    from spa_gym.progress import ProgressEstimator

    if estimator is None:
        return ProgressEstimator.default(device="cpu")
    if isinstance(estimator, (str, os.PathLike)):
        return ProgressEstimator.load(estimator)
    return estimator


@dataclass
class Turn:
    """What one command did: the observation, both rewards, the episode's end flags and the env's ``info``."""

    observation: str
    env_reward: float
    dense_reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated


class SPAEpisode:
    """A spa-gym env with SPA dense rewards and the episode's transcript.

    Args:
        env_id: a registered id (``SPA-ALFWorld-v0``, ``SPA-WebShop-v0``, ``SPA-VirtualHome-v0``) or any text env id.
        estimator: ``None`` (the offline default estimator), a saved estimator's folder, or an estimator object
            (share one between many episodes: scoring state lives in each episode's own scorer).
        form: the SPA reward form, ``"potential"`` (default) or ``"per_step"``.
        alpha, beta: the SPA weights of progress and grounding.
        env_kwargs: keyword arguments for ``gym.make``.
    """

    def __init__(self, env_id: str = "SPA-ALFWorld-v0", estimator: Any = None, *, form: str = "potential",
                 alpha: float = 1.0, beta: float = 0.5, env_kwargs: dict[str, Any] | None = None) -> None:
        self.env_id, self.form, self.alpha, self.beta = env_id, form, float(alpha), float(beta)
        self.env_kwargs = dict(env_kwargs or {})
        self._estimator_arg = estimator
        self._env: gym.Env | None = None
        self._reset_args: tuple[int | None, str | None, int] | None = None
        self.actions: list[str] = []
        self.turns: list[Turn] = []
        self.observation = ""
        self.first_observation = ""
        self.info: dict[str, Any] = {}

    @property
    def env(self) -> gym.Env:
        """The SPA-wrapped env, made on first use."""
        if self._env is None:
            import spa_gym  # noqa: F401  (registers the ids)
            from spa_gym.wrappers import SPAReward

            self._estimator_arg = load_estimator(self._estimator_arg)
            self._env = SPAReward(gym.make(self.env_id, **self.env_kwargs), self._estimator_arg,
                                  alpha=self.alpha, beta=self.beta, form=self.form)
        return self._env

    def num_tasks(self, split: str = "train") -> int:
        """How many tasks ``split`` has."""
        return int(self.env.unwrapped.task_set.size(split))

    def reset(self, task_id: int | None = None, split: str | None = None, seed: int = 0) -> str:
        """Start the episode of ``task_id`` in ``split`` (the env's default split when None); returns the first
        observation, exactly as the env gives it."""
        options: dict[str, Any] = {}
        if task_id is not None:
            options["task_id"] = int(task_id)
        if split is not None:
            options["split"] = str(split)
        self.observation, self.info = self.env.reset(seed=int(seed), options=options)
        self.first_observation = self.observation
        self._reset_args = (None if task_id is None else int(task_id), split, int(seed))
        self.actions, self.turns = [], []
        return self.observation

    def step(self, action: str) -> Turn:
        """Send one command. After the episode ended, the command is not sent and the last turn repeats with
        zero rewards (trainers keep calling tools after ``done``; the env must not be stepped past its end)."""
        if self._reset_args is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self.done:
            last = self.turns[-1]
            return Turn(last.observation, 0.0, 0.0, last.terminated, last.truncated, last.info)
        obs, reward, terminated, truncated, info = self.env.step(str(action))
        turn = Turn(str(obs), float(info["spa"]["env_reward"]), float(reward), bool(terminated), bool(truncated),
                    info)
        self.actions.append(str(action))
        self.turns.append(turn)
        self.observation, self.info = turn.observation, info
        return turn

    @property
    def done(self) -> bool:
        return bool(self.turns) and self.turns[-1].done

    @property
    def admissible_commands(self) -> list[str]:
        return list(self.info.get("admissible_commands", []))

    @property
    def task(self) -> str:
        return str(self.info.get("task", ""))

    @property
    def won(self) -> bool:
        return bool(self.info.get("won", False))

    @property
    def dense_rewards(self) -> list[float]:
        """The SPA reward of each turn so far."""
        return [t.dense_reward for t in self.turns]

    @property
    def env_rewards(self) -> list[float]:
        """The env's own reward of each turn so far (in our envs: 0 until the final one)."""
        return [t.env_reward for t in self.turns]

    @property
    def dense_return(self) -> float:
        return float(sum(self.dense_rewards))

    @property
    def env_return(self) -> float:
        return float(sum(self.env_rewards))

    # Pickling: settings + the commands; unpickling replays them (resets are deterministic).
    def __getstate__(self) -> dict[str, Any]:
        estimator = self._estimator_arg
        return {"env_id": self.env_id, "form": self.form, "alpha": self.alpha, "beta": self.beta,
                "env_kwargs": self.env_kwargs, "estimator": estimator, "reset_args": self._reset_args,
                "actions": list(self.actions)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["env_id"], state["estimator"], form=state["form"], alpha=state["alpha"],
                      beta=state["beta"], env_kwargs=state["env_kwargs"])
        if state["reset_args"] is not None:
            task_id, split, seed = state["reset_args"]
            self.reset(task_id, split, seed)
            for action in state["actions"]:
                self.step(action)
