"""Does the estimator measure progress? SPA rewards and cumulative progress against true progress, per step.

:func:`trace_episode` plays one episode through ``SPAReward`` (potential form) and records, at every step,
the SPA reward, the estimator's cumulative progress ``P_t`` (``info["spa"]["progress"]``) and true progress
``1 - d_t / d_0`` (``d_t``: the env's expert's remaining plan length, :mod:`spa_gym.progress.true_progress`).
:func:`plot_traces` draws a few such episodes, one panel each, as a PNG.

>>> from spa_gym.progress import ProgressEstimator
>>> from spa_gym.progress.episodes import NoisyExpertPolicy
>>> from spa_gym.progress.toy import CountingEnv
>>> trace = trace_episode(CountingEnv(expert=True), ProgressEstimator.default(), NoisyExpertPolicy(0.0),
...                       seed=0, options={"task_id": 0})
>>> trace["won"], len(trace["reward"]), len(trace["progress"]), trace["true_progress"][-1]
(True, 6, 7, 1.0)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (ties get their mean rank); 0.0 when either side is constant.

    >>> round(rank_correlation([0, 1, 2, 3], [0.0, 0.1, 0.1, 0.5]), 4)
    0.9487
    """
    def ranks(v: Sequence[float]) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        order = np.empty(len(v))
        order[np.argsort(v, kind="stable")] = np.arange(len(v))
        _, groups = np.unique(v, return_inverse=True)
        return (np.bincount(groups, order) / np.bincount(groups))[groups]

    if len(x) != len(y):
        raise ValueError(f"need sequences of one length, got {len(x)} and {len(y)}")
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def trace_episode(env: Any, estimator: Any, policy: Callable[[str, dict], str], *, seed: int | None = None,
                  options: dict[str, Any] | None = None, alpha: float = 1.0, beta: float = 0.0,
                  label: str = "") -> dict[str, Any]:
    """Play one episode of ``env`` (a spa_gym text env; ``expert=True`` for an expert-based policy) with
    ``policy(observation, info) -> command`` through ``SPAReward(form="potential", alpha, beta)``.

    Returns ``task``, ``split``, ``task_id``, ``label``, ``won``, ``actions`` and, per step, ``reward`` (the
    SPA reward of steps 1..T, the env's final reward included), ``progress`` (``P_0 = 0, P_1, ..., P_T``),
    ``distance`` (``d_0, ..., d_T``) and ``true_progress`` (``1 - d_t / d_0``), plus ``spearman``:
    rank correlation of ``progress`` and ``true_progress`` over the episode.
    """
    from spa_gym.progress.true_progress import expert_distance, true_progress
    from spa_gym.wrappers import SPAReward

    spa = SPAReward(env, estimator, alpha=alpha, beta=beta, form="potential")
    obs, info = spa.reset(seed=seed, options=options)
    trace: dict[str, Any] = {"task": str(info.get("task", "")), "split": str(info.get("split", "")),
                             "task_id": int(info.get("task_id", -1)), "label": label, "actions": [], "reward": [],
                             "progress": [0.0], "distance": [expert_distance(spa)]}
    done = False
    while not done:
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = spa.step(action)
        done = terminated or truncated
        trace["actions"].append(str(action))
        trace["reward"].append(float(reward))
        trace["progress"].append(float(info["spa"]["progress"]))
        trace["distance"].append(expert_distance(spa))
    trace["won"] = bool(info["won"])
    trace["true_progress"] = [float(p) for p in true_progress(trace["distance"])]
    trace["spearman"] = rank_correlation(trace["progress"], trace["true_progress"])
    return trace


def plot_traces(traces: Sequence[dict[str, Any]], path: str | os.PathLike, title: str = "") -> Path:
    """One panel per :func:`trace_episode` result: SPA reward per step (bars), the estimator's cumulative
    progress and true progress (lines) against the step; written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not traces:
        raise ValueError("no episodes to plot")
    cols = min(2, len(traces))
    rows = (len(traces) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.6 * rows), squeeze=False)
    for ax, trace in zip(axes.flat, traces):
        steps = np.arange(len(trace["progress"]))
        ax.bar(steps[1:], trace["reward"], width=0.6, color="tab:orange", alpha=0.55,
               label="SPA reward $r_t$ (potential form)")
        ax.plot(steps, trace["progress"], marker=".", color="tab:blue", label="estimated progress $P_t$")
        ax.plot(steps, trace["true_progress"], marker=".", color="tab:green", ls="--",
                label="true progress $1 - d_t/d_0$")
        ax.axhline(0.0, color="grey", lw=0.6)
        outcome = "won" if trace["won"] else "lost"
        ax.set_title(f"{trace['split']} task {trace['task_id']}, {trace['label']}: {outcome} in "
                     f"{len(trace['reward'])} steps; Spearman {trace['spearman']:.2f}", fontsize=9)
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(traces):]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["plot_traces", "rank_correlation", "trace_episode"]
