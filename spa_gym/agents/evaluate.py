"""Evaluation on fixed test task lists, and the JSON + Markdown report with learning-curve plots.

Metrics of one policy on one task list (greedy replies, so the numbers are reproducible):

* ``success_rate``: share of episodes won;
* ``average_score``: mean final env reward (WebShop's score in [0, 1]; equals success elsewhere);
* ``grounding``: share of the agent's commands the env executed (``info["action_valid"]``);
* ``mean_steps``: mean episode length.

>>> from spa_gym.progress.episodes import Episode, Step
>>> ep = Episode("t", "o", [Step("a", "x", False), Step("b", "y", True, 1.0)], 1.0, True)
>>> episode_metrics([ep])["grounding"]
0.5
>>> print(markdown_table({"SFT": {"success_rate": 0.25, "average_score": 0.25, "grounding": 0.9,
...                               "mean_steps": 12.0, "episodes": 8}}).splitlines()[2])
| SFT | 25.0% | 0.250 | 90.0% | 12.0 | 8 |
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spa_gym.agents.rollout import run_episodes
from spa_gym.core.files import atomic_path, write_text_atomic
from spa_gym.progress.episodes import Episode


def episode_metrics(episodes: Sequence[Episode]) -> dict[str, float]:
    """The four metrics (see the module docstring) of finished episodes."""
    if not episodes:
        raise ValueError("no episodes to evaluate")
    n_steps = sum(len(ep) for ep in episodes)
    return {
        "success_rate": float(np.mean([ep.won for ep in episodes])),
        "average_score": float(np.mean([ep.final_reward for ep in episodes])),
        "grounding": sum(s.action_valid for ep in episodes for s in ep.steps) / max(1, n_steps),
        "mean_steps": n_steps / len(episodes),
        "episodes": len(episodes),
    }


def task_list(env: Any, split: str = "test", n: int | None = None) -> list[tuple[str, int]]:
    """The fixed task list of ``split``: task ids ``0..n-1`` (all of the split when ``n`` is None)."""
    size = env.unwrapped.task_set.size(split)
    if n is not None and not 0 < n <= size:
        raise ValueError(f"n must be in 1..{size} for split {split!r}, got {n}")
    return [(split, i) for i in range(size if n is None else n)]


def evaluate(policy: Any, env_fn: Callable[[], Any], tasks: Sequence[tuple[str, int]], *, seed: int = 0,
             n_envs: int = 16, temperature: float = 0.0, progress: bool = False,
             desc: str = "evaluating") -> tuple[dict[str, float], list[Episode]]:
    """Play ``tasks`` with ``policy`` (greedy by default); returns the metrics and the episodes."""
    trajs = run_episodes(policy, env_fn, tasks, seed=seed, n_envs=n_envs, temperature=temperature,
                         progress=progress, desc=desc)
    episodes = [t.episode for t in trajs]
    return episode_metrics(episodes), episodes


# ---------------------------------------------------------------------------------------- reports
_COLUMNS = (("success_rate", "success", "{:.1%}"), ("average_score", "avg score", "{:.3f}"),
            ("grounding", "grounding", "{:.1%}"), ("mean_steps", "mean steps", "{:.1f}"),
            ("episodes", "episodes", "{}"))


def markdown_table(results: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table, one row per policy."""
    lines = ["| policy | " + " | ".join(c[1] for c in _COLUMNS) + " |",
             "|---|" + "---:|" * len(_COLUMNS)]
    for name, m in results.items():
        lines.append(f"| {name} | " + " | ".join(fmt.format(m[key]) for key, _, fmt in _COLUMNS) + " |")
    return "\n".join(lines)


#: What each learning-curve panel shows: (title, y-axis label, fixed y range or None).
CURVE_PANELS = {
    "success_rate": ("success rate", "share of episodes won", (-0.05, 1.05)),
    "grounding": ("grounding", "share of commands executed", (-0.05, 1.05)),
    "kl_to_ref": ("KL to the SFT policy", "nats per reply token", None),
}
_STYLES = (("o", "-", 7), ("s", "--", 5), ("^", ":", 4), ("D", "-.", 3))  # marker, line, size: overlaps stay visible


def learning_curves_figure(curves: Mapping[str, Sequence[Mapping[str, float]]],
                           keys: Sequence[str] = ("success_rate", "grounding", "kl_to_ref")) -> Any:
    """The matplotlib figure of :func:`plot_learning_curves` (for tests and notebooks)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        title, ylabel, ylim = CURVE_PANELS.get(key, (key.replace("_", " "), key, None))
        for (name, hist), (marker, line, size) in zip(curves.items(), _STYLES * len(curves)):
            xs = [h["iteration"] for h in hist if key in h]
            ax.plot(xs, [h[key] for h in hist if key in h], marker=marker, linestyle=line, ms=size, alpha=0.85,
                    label=name)
        ax.set_xlabel("PPO iteration")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole iterations only
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.suptitle("PPO training rollouts (sampled replies, training tasks); the test table is greedy on test tasks",
                 fontsize=9)
    fig.tight_layout()
    return fig


def plot_learning_curves(curves: Mapping[str, Sequence[Mapping[str, float]]], path: str | os.PathLike,
                         keys: Sequence[str] = ("success_rate", "grounding", "kl_to_ref")) -> Path:
    """One panel per metric of the PPO training rollouts, one line per run (x: PPO iteration); a PNG."""
    import matplotlib.pyplot as plt

    fig = learning_curves_figure(curves, keys)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def write_report(out_dir: str | os.PathLike, results: Mapping[str, Mapping[str, float]],
                 curves: Mapping[str, Sequence[Mapping[str, float]]] | None = None,
                 meta: Mapping[str, Any] | None = None, title: str = "spa-gym evaluation",
                 sections: Sequence[str] = (), extra: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write ``report.json``, ``report.md`` and (with ``curves``) ``learning_curves.png`` to ``out_dir``.

    ``sections`` are Markdown lines appended after the policy table and plot; ``extra`` holds further
    top-level entries of ``report.json`` (the demo's SB3 comparison).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "markdown": out / "report.md"}
    payload = {"meta": dict(meta or {}), "results": {k: dict(v) for k, v in results.items()},
               "curves": {k: list(v) for k, v in (curves or {}).items()}, **dict(extra or {})}
    write_text_atomic(paths["json"], json.dumps(payload, indent=2, default=str))
    md = [f"# {title}", ""]
    if meta:
        md += [f"- **{k}**: {v}" for k, v in meta.items()] + [""]
    md += [markdown_table(results), ""]
    if curves:
        paths["plot"] = plot_learning_curves(curves, out / "learning_curves.png")
        md += ["![learning curves of the PPO training rollouts](learning_curves.png)", "",
               "The curves are PPO's training rollouts (sampled replies on training tasks); the table above is the "
               "greedy evaluation on test tasks, so the two can move differently.", ""]
    md += list(sections)
    paths["markdown"].write_text("\n".join(md))
    return paths


__all__ = ["CURVE_PANELS", "episode_metrics", "evaluate", "learning_curves_figure", "markdown_table",
           "plot_learning_curves", "task_list", "write_report"]
