"""VirtualHome speed: reset and step times on generated houses (no simulator involved).

Measures, over tasks of one split and a fixed command mix (the expert's commands plus invalid ones):
  * ``world step``: parse + name resolution + executor + observation text (what SPA-RL's env does per step);
  * ``env.step``: the full Gymnasium step, which also lists ``admissible_commands`` and checks the goal;
  * ``env.reset``: loading a (cached) task and rebuilding its graph;
  * task generation: house, reference plan and the expert's solvability check, on first use of a task.

    python benchmarks/virtualhome_speed.py --tasks 100
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from spa_gym.envs.virtualhome import VirtualHomeEnv, load_task
from spa_gym.envs.virtualhome.world import World

INVALID = ("fly to the moon", "grab sun", "put cup on", "walk to kitchen.", "open television")


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="test")
    ap.add_argument("--tasks", type=int, default=100)
    args = ap.parse_args()
    tasks, generation = [], []
    for i in range(args.tasks):  # first load generates (house, reference plan, expert check); then cached
        t0 = time.perf_counter()
        tasks.append(load_task(args.split, i))
        generation.append(time.perf_counter() - t0)

    world_steps: list[float] = []
    for task in tasks:
        world = World(task.initial_graph(), task.object_ids)
        rng = np.random.default_rng(0)
        for k, command in enumerate(task.reference_plan):
            bad = INVALID[k % len(INVALID)]
            t0 = time.perf_counter()
            world.step(bad, rng)
            t1 = time.perf_counter()
            world.step(command, rng)
            t2 = time.perf_counter()
            world_steps += [t1 - t0, t2 - t1]

    env = VirtualHomeEnv(split=args.split)
    resets, env_steps = [], []
    for i, task in enumerate(tasks):
        t0 = time.perf_counter()
        env.reset(seed=i, options={"task_id": i})
        resets.append(time.perf_counter() - t0)
        for k, command in enumerate(task.reference_plan):
            for action in (INVALID[k % len(INVALID)], command):
                t0 = time.perf_counter()
                env.step(action)
                env_steps.append(time.perf_counter() - t0)

    nodes = statistics.mean(len(t.graph.nodes) for t in tasks)
    edges = statistics.mean(t.graph.num_edges() for t in tasks)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"houses: {len(tasks)} {args.split} tasks, mean {nodes:.0f} nodes / {edges:.0f} edges")
    print(f"world step (parse+resolve+execute+observe): median {_median_us(world_steps):.0f} us "
          f"over {len(world_steps)} steps (half invalid)")
    print(f"env.step (+ admissible commands, goal check): median {_median_us(env_steps):.0f} us "
          f"over {len(env_steps)} steps")
    print(f"env.reset (cached task): median {_median_us(resets):.0f} us over {len(resets)} resets")
    print(f"task generation (first load, uncached): median {_median_us(generation) / 1000:.1f} ms")


if __name__ == "__main__":
    main()
