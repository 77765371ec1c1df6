"""VirtualHome expert: how often it still solves a task after the agent wandered off with random commands.

For each task: ``--detour`` random admissible commands (seeded), then the expert's commands until the goal,
the 40-step limit, or the expert saying it can not recover (``expert_action`` None).

    python benchmarks/virtualhome_expert.py --split valid --tasks 300 --detour 15
"""

from __future__ import annotations

import argparse
import random

from tqdm import tqdm

from spa_gym.envs.virtualhome import MODES, VirtualHomeEnv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="valid")
    ap.add_argument("--tasks", type=int, default=300)
    ap.add_argument("--detour", type=int, default=15, help="random admissible commands before the expert")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for mode in MODES:
        env = VirtualHomeEnv(split=args.split, mode=mode, expert=True)
        rng = random.Random(args.seed)
        solved = gave_up = 0
        for task_id in tqdm(range(args.tasks), desc=mode, leave=False):
            _, info = env.reset(seed=task_id, options={"task_id": task_id})
            for _ in range(args.detour):
                _, _, terminated, _, info = env.step(rng.choice(info["admissible_commands"]))
                if terminated:
                    break
            while not info["won"] and info["expert_action"] is not None and info["step"] < env.max_steps:
                _, _, _, _, info = env.step(info["expert_action"])
            solved += info["won"]
            gave_up += not info["won"] and info["expert_action"] is None
        print(f"{mode}: solved {solved}/{args.tasks} {args.split} tasks after {args.detour} random admissible "
              f"commands; the expert gave up on {gave_up}")


if __name__ == "__main__":
    main()
