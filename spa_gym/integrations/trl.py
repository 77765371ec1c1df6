"""TRL: an ``environment_factory`` for ``GRPOTrainer`` over spa-gym's envs, with SPA rewards.

``GRPOTrainer(environment_factory=SPAToolEnv)`` makes one instance per rollout, calls ``reset(**row)`` with the
dataset row (so each row carries ``task_id`` and ``split``; :func:`task_dataset` writes those rows), exposes
every public method as a tool (here only :meth:`SPAToolEnv.act`), and scores the finished rollout with
``get_reward()``. Rows with the same ``task_id`` give the same start state, so a GRPO group compares
completions of one task.

TRL wants one float per rollout, and ``get_reward`` returns the *sum* of the turns' rewards. With
``reward="spa"`` and the potential form (the default, ``gamma = 1``) that sum telescopes:
``alpha * Phi_T + beta * sum(g_t - 1) + final env reward`` -- the estimator's final progress, minus the
grounding penalty, plus the env's own reward. GRPO therefore sees the SPA estimate of how far the episode got,
not when it got there; per-turn credit is lost in the sum (GRPO has no per-turn advantage). With
``form="per_step"`` the sum is ``alpha * (c_1 + ... + c_T) + beta * (number of executed commands)``.
The per-turn rewards stay readable (:attr:`SPAToolEnv.turn_rewards`) for trainers or reward functions that
use them.

Example (a tiny random model; a real run passes a real causal LM with a tool-calling chat template)::

    from trl import GRPOConfig, GRPOTrainer
    from spa_gym.integrations.trl import SPAToolEnv, task_dataset

    trainer = GRPOTrainer(model="Qwen/Qwen3-0.6B", args=GRPOConfig(max_steps=10, num_generations=4),
                          train_dataset=task_dataset("SPA-ALFWorld-v0", split="train", n=64),
                          environment_factory=SPAToolEnv)
    trainer.train()
"""

from __future__ import annotations

import functools
from typing import Any

from spa_gym.integrations.episode import SPAEpisode

#: What the model is told at the start of each task (the env's first observation follows it).
INSTRUCTION = ("Solve the task in the text environment below. Use the `act` tool to send one command at a time; "
               "it returns what you observe. Stop when the task is done.")


class SPAToolEnv:
    """A spa-gym env as a TRL tool environment (``reset`` / ``act`` / ``get_reward``).

    Args:
        env_id: the spa-gym env id.
        estimator: ``None`` (offline default estimator), a saved estimator folder, or an estimator object.
        reward: what ``get_reward`` returns: ``"spa"`` (sum of the SPA dense rewards) or ``"env"`` (the env's
            final reward: ALFWorld/VirtualHome 1.0 on success, WebShop the purchase score).
        form, alpha, beta: the SPA reward form and weights (see :class:`~spa_gym.wrappers.SPAReward`).
        show_admissible: append the admissible commands to each observation returned to the model (the
            observation itself is unchanged before them).

    Use :func:`functools.partial` (picklable) for non-default settings:
    ``environment_factory=functools.partial(SPAToolEnv, env_id="SPA-WebShop-v0", reward="env")``.

    >>> env = SPAToolEnv()
    >>> obs = env.reset(task_id=3, split="train", prompt=[{"role": "user", "content": "..."}])
    >>> "Your task is to:" in obs and "Admissible commands:" in obs
    True
    >>> "Nothing happens." in env.act("fly to the moon")
    True
    >>> env.turn_rewards == [env.get_reward()]
    True
    """

    def __init__(self, env_id: str = "SPA-ALFWorld-v0", estimator: Any = None, *, reward: str = "spa",
                 form: str = "potential", alpha: float = 1.0, beta: float = 0.5,
                 show_admissible: bool = True) -> None:
        if reward not in ("spa", "env"):
            raise ValueError(f"reward must be 'spa' or 'env', got {reward!r}")
        self.reward = reward
        self.show_admissible = show_admissible
        self.episode = SPAEpisode(env_id, estimator, form=form, alpha=alpha, beta=beta)

    def reset(self, task_id: int | None = None, split: str | None = None, seed: int = 0, **row: Any) -> str:
        """Start the row's task (other dataset columns, such as ``prompt``, are ignored)."""
        return self._render(self.episode.reset(task_id, split, seed))

    def act(self, command: str) -> str:
        """Send one text command to the environment and return what happens.

        Args:
            command: the command, e.g. "go to countertop 1" or "take apple 1 from countertop 1".

        Returns:
            The observation after the command (the episode's end is stated in it).
        """
        turn = self.episode.step(command)
        text = self._render(turn.observation)
        if turn.done:
            text += "\n\nThe episode is over" + (" (task completed)." if self.episode.won else ".")
        return text

    def get_reward(self) -> float:
        """The rollout's reward: the sum of the SPA rewards of its turns, or the env's final reward."""
        return self.episode.dense_return if self.reward == "spa" else self.episode.env_return

    # Read-only views for per-turn credit; properties, so TRL does not expose them as tools.
    @property
    def turn_rewards(self) -> list[float]:
        """The SPA dense reward of each turn."""
        return self.episode.dense_rewards

    @property
    def env_reward(self) -> float:
        """The env's own (final) reward so far."""
        return self.episode.env_return

    @property
    def admissible_commands(self) -> list[str]:
        return self.episode.admissible_commands

    def _render(self, observation: str) -> str:
        if not self.show_admissible:
            return observation
        return observation + "\n\nAdmissible commands: " + ", ".join(self.episode.admissible_commands)


def task_dataset(env_id: str = "SPA-ALFWorld-v0", split: str = "train", n: int | None = None,
                 instruction: str = INSTRUCTION) -> Any:
    """A ``datasets.Dataset`` of the split's tasks: columns ``prompt`` (one user message; ``reset``'s first
    observation is appended to it by TRL), ``task_id`` and ``split``. ``n`` keeps the first ``n`` tasks."""
    from datasets import Dataset

    size = SPAEpisode(env_id, estimator=_NoEstimator()).num_tasks(split)
    ids = list(range(size if n is None else min(n, size)))
    return Dataset.from_dict({"prompt": [[{"role": "user", "content": instruction}] for _ in ids],
                              "task_id": ids, "split": [split] * len(ids)})


class _NoEstimator:
    """Stands in for an estimator where only the task set is read (no scoring happens)."""

    def eval(self) -> "_NoEstimator":
        return self

    def incremental_scorer(self, max_context: int | None = None) -> None:
        return None


def environment_factory(**settings: Any) -> Any:
    """``functools.partial(SPAToolEnv, **settings)``: a picklable factory with non-default settings."""
    return functools.partial(SPAToolEnv, **settings)
