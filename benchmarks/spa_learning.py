"""Does SPA's dense reward teach? MaskablePPO on easy ALFWorld and VirtualHome tasks, seven reward arms.

Every trained arm gets the same PPO budget, seeds, features and policy; only the reward differs. The arms
(``random``, ``sparse``, ``uniform``, ``grounding``, ``spa``, ``spa_potential``, ``oracle``), the estimator
and the easy-task rules are described once, in :mod:`spa_gym.agents.sb3_comparison`. Training uses the first
``--train-tasks`` easy tasks of the train split; held-out success is measured on the easy tasks of the other
splits (never trained on, never seen by the estimator).

Reported per arm: training-task and held-out success (sampled actions), per seed and pooled over seeds, with
a 95% Wilson score interval over the pooled evaluation episodes (it ignores seed-to-seed spread: read the
per-seed values beside it); and a learning-curve PNG (success of the training episodes, from ``Monitor``'s
``info["won"]``, against env steps, mean over seeds).

    nice -n 15 python benchmarks/spa_learning.py --quick --json runs/spa_learning/quick.json
    nice -n 15 python benchmarks/spa_learning.py --env both --seeds 0,1,2 --json runs/spa_learning/full.json

The work is ``spa_gym.agents.sb3_comparison`` (tasks, estimator, rewards, PPO, evaluation, intervals; its
``ComparisonConfig`` documents every hyper-parameter); this script is its command line. It reads top to bottom:
pick tasks; per (env, seed): train the estimator, train and evaluate every arm; pool the seeds; write the JSON
and the plot; print the table.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from spa_gym.agents.sb3_comparison import ARMS, ENVS, ComparisonConfig, headline, markdown_table, run_seed, \
    select_tasks, summarise


@dataclass
class Args(ComparisonConfig):
    """The benchmark's settings: what to run and where to write it, on top of the comparison's
    hyper-parameters (:class:`~spa_gym.agents.sb3_comparison.ComparisonConfig`). Every one is a flag."""

    env: str = "both"
    """``alfworld``, ``virtualhome`` or ``both``."""
    seeds: str = "0,1,2"
    """Comma-separated seeds (PPO, task draws, estimator data and weights)."""
    quick: bool = False
    """The CI-sized run: one env (alfworld unless --env names one), 8 training tasks, seeds 0,1; <= 15 min on 2 cores."""
    arms: str = ",".join(ARMS)
    """Comma-separated arms to run (names as in the module docstring)."""
    curve_bin: int = 1024
    """Env steps per point of the learning curve."""
    workers: int = 1
    """Processes running (env, seed) jobs side by side (one torch thread each)."""
    out: str = "runs/spa_learning"
    """Folder for the task-list cache and the learning-curve PNG."""
    json: str = ""
    """Write the results here (empty: out/results.json)."""


def parse_args(argv: list[str] | None = None) -> Args:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for field in fields(Args):
        default = getattr(Args, field.name)
        flag = f"--{field.name.replace('_', '-')}"
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif field.name == "estimator_objective":
            from spa_gym.progress.training import OBJECTIVES

            parser.add_argument(flag, default=default, choices=OBJECTIVES)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    args = Args(**vars(parser.parse_args(argv)))
    if args.quick:
        given = set(argv if argv is not None else __import__("sys").argv[1:])
        args.env = "alfworld" if args.env == "both" else args.env
        args.train_tasks = 8
        if "--seeds" not in given:
            args.seeds = "0,1"
    return args


def run_job(args: Args, env_name: str, seed: int, train_ids: list[int],
            held_out: list[tuple[str, int]]) -> dict[str, Any]:
    """The estimator, then every arm, for one env and one seed (a process-pool job)."""
    import spa_gym  # noqa: F401  (registers the envs in a fresh worker process)

    return run_seed(env_name, seed, train_ids, held_out, args.arms.split(","), args,
                    log=lambda line: print(line, flush=True))


def plot_curves(jobs: list[dict[str, Any]], arms: list[str], summary: dict[str, Any], args: Args, path: Path) -> None:
    """Training-episode success against env steps, one panel per env, one line per arm (mean over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({job["env"] for job in jobs})
    fig, axes = plt.subplots(1, len(envs), figsize=(6.5 * len(envs), 4.2), squeeze=False)
    edges = np.arange(0, args.total_timesteps + args.curve_bin, args.curve_bin)
    for ax, env in zip(axes[0], envs):
        for arm in arms:
            if arm == "random":  # untrained: its evaluated training-task success as a flat line
                ax.axhline(summary[arm]["by_env"][env]["train_success"], color="grey", ls="--", label="random")
                continue
            per_seed = []
            for job in jobs:
                if job["env"] != env or arm not in job["arms"]:
                    continue
                steps = np.array([s for s, _ in job["arms"][arm]["curve"]], dtype=float)
                won = np.array([w for _, w in job["arms"][arm]["curve"]], dtype=float)
                bins = np.digitize(steps, edges[1:-1])
                per_seed.append([won[bins == b].mean() if (bins == b).any() else np.nan
                                 for b in range(len(edges) - 1)])
            if per_seed:
                curves = np.array(per_seed, dtype=float)
                seen = (~np.isnan(curves)).sum(axis=0)  # bins where no seed finished an episode stay empty
                mean = np.where(seen > 0, np.nansum(curves, axis=0) / np.maximum(seen, 1), np.nan)
                ax.plot(edges[1:], mean, marker=".", label=arm)
        ax.set(title=f"{env}: training episodes (random: evaluated)", xlabel="env steps", ylabel="success",
               xlim=(0, args.total_timesteps), ylim=(-0.02, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: Args | None = None) -> dict[str, Any]:
    args = args or parse_args()
    started = time.time()
    arms = [arm.strip() for arm in args.arms.split(",") if arm.strip()]
    unknown = set(arms) - set(ARMS)
    if unknown:
        raise ValueError(f"unknown arm(s) {sorted(unknown)}; choose from {', '.join(ARMS)}")
    args.arms = ",".join(arms)
    envs = list(ENVS) if args.env == "both" else [args.env]
    if set(envs) - set(ENVS):
        raise ValueError(f"--env must be alfworld, virtualhome or both, got {args.env!r}")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # ---- 1. easy tasks: training ids from the train split, held-out ids from the other splits
    tasks: dict[str, Any] = {}
    for env_name in envs:
        tasks[env_name] = select_tasks(env_name, args, cache_dir=out)
        print(f"{env_name}: {len(tasks[env_name]['train'])} training tasks, {len(tasks[env_name]['held_out'])} "
              f"held-out tasks ({time.time() - started:.0f}s)", flush=True)

    # ---- 2. every (env, seed) job: the estimator, then every arm
    jobs_args = [(args, env_name, seed, tasks[env_name]["train"], tasks[env_name]["held_out"])
                 for env_name in envs for seed in seeds]
    if args.workers > 1:
        import multiprocessing

        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            jobs = list(pool.map(run_job, *zip(*jobs_args)))
    else:
        jobs = [run_job(*job) for job in jobs_args]

    # ---- 3. pool the seeds, write the JSON and the plot, print the table
    summary = summarise(jobs, arms)
    plot_path = out / "learning_curves.png"
    plot_curves(jobs, arms, summary, args, plot_path)
    results = {"args": asdict(args), "ci_method": "95% Wilson score interval over all evaluation episodes pooled "
               "across seeds (it ignores seed-to-seed spread; see *_per_seed)",
               "arms": summary, "tasks": tasks, "learning_curve_png": str(plot_path),
               "estimators": [{"env": j["env"], "seed": j["seed"], **j.get("estimator", {})} for j in jobs],
               "runs": [{"env": j["env"], "seed": j["seed"],
                         "arms": {a: {k: v for k, v in r.items() if k != "curve"} for a, r in j["arms"].items()}}
                        for j in jobs],
               "curves": [{"env": j["env"], "seed": j["seed"], "arm": a, "episodes": r["curve"]}
                          for j in jobs for a, r in j["arms"].items()],
               "seconds": time.time() - started}
    json_path = Path(args.json) if args.json else out / "results.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")

    print(f"\n{', '.join(envs)}; seeds {seeds}; {args.train_tasks} training tasks; {args.total_timesteps} PPO steps per "
          f"arm and seed; success with sampled actions, 95% Wilson interval over pooled episodes\n")
    print(markdown_table(summary))
    if headline(summary):
        print(f"\n{headline(summary)}")
    print(f"\nlearning curves: {plot_path}; results: {json_path}; {time.time() - started:.0f}s in all")
    return results


if __name__ == "__main__":
    main()
