"""Per-step rewards for finished episodes, for trainers that score whole episodes (PPO on rollouts).

Modes, for an episode with final reward ``R``, ``T`` steps, and grounding ``g_t = action_valid``:

* ``"sparse"``: ``R`` at the last step, 0 elsewhere (the env's own signal);
* ``"uniform"``: ``R / T`` at every step;
* ``"grounding"``: ``beta * g_t`` at every step, plus ``R`` at the last step;
* ``"spa"``: ``alpha * c_t + beta * g_t`` with ``c_t`` from a trained progress estimator (the paper's reward);
* ``"spa_potential"``: the potential form, ``alpha * (Phi_t - Phi_{t-1}) + beta * (g_t - 1)``, plus ``R`` at the
  last step, where ``Phi_t = clip(c_1 + ... + c_t, 0, 1)`` is the estimator's cumulative progress, bounded
  (:func:`potential_rewards`).

Why the potential form: used online, the per-step form pays a step the estimator likes every time it is
repeated, so a policy can farm it (put an object back and take it again: measured in benchmarks/RESULTS.md).
The potential form telescopes: an episode's shaped progress reward sums to ``alpha * Phi_T``, which lies in
``[0, alpha]`` whatever the policy does, so no cycle earns more than the progress range (potential-based
shaping, Ng, Harada and Russell 1999). Its grounding term is a penalty, ``beta * (g_t - 1)``: the paper's
``beta * g_t`` less a constant ``beta`` per step. It keeps the paper's preference of an executed command over a
failed one, but a bonus paid per executed step would itself be farmable by making episodes longer. With
``alpha <= 1``, a policy that never wins therefore earns at most ``alpha <= 1 <=`` the return of a winning
episode without failed commands.

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
>>> potential_rewards(np.array([0.5, 0.4, 0.3]), np.array([1.0, 0.0, 1.0]), 1.0, beta=0.5).round(3).tolist()
[0.5, -0.1, 1.1]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spa_gym.progress.episodes import Episode
from spa_gym.progress.estimator import ProgressEstimator

#: The redistribution modes :func:`redistribute` knows.
MODES = ("sparse", "uniform", "grounding", "spa", "spa_potential")
#: The modes that need a progress estimator.
ESTIMATOR_MODES = ("spa", "spa_potential")


def _check(mode: str, estimator: ProgressEstimator | None) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    if mode in ESTIMATOR_MODES and estimator is None:
        raise ValueError(f"mode {mode!r} needs an estimator (a trained ProgressEstimator)")


def clip_progress(progress: np.ndarray | float, progress_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """The bounded potential ``Phi = clip(P, low, high)`` of cumulative progress ``P``."""
    low, high = progress_range
    if not low < high:
        raise ValueError(f"progress_range must be (low, high) with low < high, got {progress_range}")
    return np.clip(progress, low, high)


def potential_rewards(contributions: np.ndarray, grounding: np.ndarray, final_reward: float, *, alpha: float = 1.0,
                      beta: float = 0.5, gamma: float = 1.0,
                      progress_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Per-step rewards of the potential form for one finished episode (see the module docstring).

    ``r_t = alpha * (gamma * Phi_t - Phi_{t-1}) + beta * (g_t - 1)``, ``Phi_0 = clip(0)``, and the final
    reward added at the last step. ``gamma`` is the trainer's discount (1.0: plain differences, which
    telescope exactly in the undiscounted return).
    """
    contributions = np.asarray(contributions, dtype=np.float64)
    phi = clip_progress(np.concatenate([[0.0], np.cumsum(contributions)]), progress_range)
    rewards = alpha * (gamma * phi[1:] - phi[:-1]) + beta * (np.asarray(grounding, dtype=np.float64) - 1.0)
    if len(rewards):
        rewards[-1] += final_reward
    return rewards


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
    elif mode == "spa_potential":
        rewards = potential_rewards(np.asarray(contributions), grounding, ep.final_reward, alpha=alpha, beta=beta)
    else:
        rewards = alpha * np.asarray(contributions, dtype=np.float64) + beta * grounding
    return rewards


def redistribute(episode: Episode, mode: str, estimator: ProgressEstimator | None = None,
                 alpha: float = 1.0, beta: float = 0.5) -> np.ndarray:
    """Per-step rewards of one finished episode under ``mode`` (see the module docstring)."""
    return redistribute_batch([episode], mode, estimator, alpha, beta)[0]


def redistribute_batch(episodes: Sequence[Episode], mode: str, estimator: ProgressEstimator | None = None,
                       alpha: float = 1.0, beta: float = 0.5, batch_size: int = 16) -> list[np.ndarray]:
    """:func:`redistribute` for many episodes; the estimator modes score them in batches of ``batch_size``."""
    _check(mode, estimator)
    contributions = (estimator.score_episodes(episodes, batch_size) if mode in ESTIMATOR_MODES
                     else [None] * len(episodes))
    return [_combine(ep, mode, c, alpha, beta) for ep, c in zip(episodes, contributions)]


__all__ = ["ESTIMATOR_MODES", "MODES", "clip_progress", "potential_rewards", "redistribute", "redistribute_batch"]
