"""Per-step rewards for finished episodes, for trainers that score whole episodes (PPO on rollouts).

Modes, for an episode with final reward ``R``, ``T`` steps, and grounding ``g_t = action_valid``:

* ``"sparse"``: ``R`` at the last step, 0 elsewhere (the env's own signal);
* ``"uniform"``: ``R / T`` at every step;
* ``"grounding"``: ``beta * g_t`` at every step, plus ``R`` at the last step;
* ``"spa"``: ``alpha * c_t + beta * g_t`` with ``c_t`` from a trained progress estimator (the paper's reward).

>>> from spa_gym.progress.episodes import Episode, Step
>>> ep = Episode("reach 2", "You stand at 0.", [Step("go up", "You stand at 1.", True),
...              Step("fly", "Nothing happens.", False), Step("go up", "You stand at 2.", True, 1.0)],
...              final_reward=1.0, won=True)
>>> redistribute(ep, "sparse").tolist()
[0.0, 0.0, 1.0]
>>> redistribute(ep, "uniform").round(3).tolist()
[0.333, 0.333, 0.333]
>>> redistribute(ep, "grounding", beta=0.5).tolist()
[0.5, 0.0, 1.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spa_gym.progress.episodes import Episode
from spa_gym.progress.estimator import ProgressEstimator

#: The redistribution modes :func:`redistribute` knows.
MODES = ("sparse", "uniform", "grounding", "spa")


def _check(mode: str, estimator: ProgressEstimator | None) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    if mode == "spa" and estimator is None:
        raise ValueError("mode 'spa' needs an estimator (a trained ProgressEstimator)")


def _combine(ep: Episode, mode: str, contributions: np.ndarray | None, alpha: float, beta: float) -> np.ndarray:
    n = len(ep.steps)
    grounding = np.array([float(s.action_valid) for s in ep.steps], dtype=np.float64)
    rewards = np.zeros(n, dtype=np.float64)
    if n == 0:
        return rewards
    if mode == "sparse":
        rewards[-1] = ep.final_reward
    elif mode == "uniform":
        rewards[:] = ep.final_reward / n
    elif mode == "grounding":
        rewards = beta * grounding
        rewards[-1] += ep.final_reward
    else:
        rewards = alpha * np.asarray(contributions, dtype=np.float64) + beta * grounding
    return rewards


def redistribute(episode: Episode, mode: str, estimator: ProgressEstimator | None = None,
                 alpha: float = 1.0, beta: float = 0.5) -> np.ndarray:
    """Per-step rewards of one finished episode under ``mode`` (see the module docstring)."""
    return redistribute_batch([episode], mode, estimator, alpha, beta)[0]


def redistribute_batch(episodes: Sequence[Episode], mode: str, estimator: ProgressEstimator | None = None,
                       alpha: float = 1.0, beta: float = 0.5, batch_size: int = 16) -> list[np.ndarray]:
    """:func:`redistribute` for many episodes; ``"spa"`` scores them in batches of ``batch_size``."""
    _check(mode, estimator)
    contributions = estimator.score_episodes(episodes, batch_size) if mode == "spa" else [None] * len(episodes)
    return [_combine(ep, mode, c, alpha, beta) for ep, c in zip(episodes, contributions)]


__all__ = ["MODES", "redistribute", "redistribute_batch"]
