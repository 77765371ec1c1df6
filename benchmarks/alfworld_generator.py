"""Every generated ALFWorld task, checked: generation time, re-draws, sizes, expert plan lengths, disjointness.

    python benchmarks/alfworld_generator.py              # all four splits (~4,000 games, about a minute)
    python benchmarks/alfworld_generator.py --splits test test_unseen

For each task ``make_game`` draws a game, checks it statically, plays its walkthrough on the native engine
and asks the expert for a plan (a draw failing any check is re-drawn). This script then re-plays the
expert's plan on a fresh native game, and reports per split: milliseconds per game (cold cache), how many
tasks needed a re-draw, room sizes, and the expert's mean plan length per task type. Finally it checks that
no problem text appears in two splits and that held-out layouts only appear in ``test_unseen``.
"""

from __future__ import annotations

import argparse
import collections
import platform
import statistics
import time

from tqdm import tqdm

from spa_gym.envs.alfworld.env import NativeGame
from spa_gym.envs.alfworld.expert import solve
from spa_gym.envs.alfworld.generator import make_game
from spa_gym.envs.alfworld.splits import ALFWORLD_TASKS, UNSEEN_LAYOUTS, problem_sha256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", nargs="+", default=list(ALFWORLD_TASKS.splits), choices=ALFWORLD_TASKS.splits)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")

    hashes: dict[str, set[str]] = {}
    failures = []
    for split in args.splits:
        n = ALFWORLD_TASKS.size(split)
        start, cpu_start = time.perf_counter(), time.process_time()
        games = [make_game(split, i) for i in tqdm(range(n), desc=f"generate {split}", leave=False)]
        ms_per_game = 1000 * (time.perf_counter() - start) / n
        cpu_ms_per_game = 1000 * (time.process_time() - cpu_start) / n  # robust to other jobs on the machine
        hashes[split] = {problem_sha256(g.problem) for g in games}
        plan_lengths = collections.defaultdict(list)
        for i, game in enumerate(tqdm(games, desc=f"expert {split}", leave=False)):
            plan = solve(game)
            native = NativeGame(game)
            native.reset()
            for command in plan or ():
                native.step(command)
            if not native.won:
                failures.append((split, i))
            plan_lengths[game.task_type].append(len(plan or ()))
        layouts = {g.scene["layout"] for g in games}
        held_out_ok = layouts <= UNSEEN_LAYOUTS if split == "test_unseen" else not layouts & UNSEEN_LAYOUTS
        sizes = [g.scene["receptacles"] for g in games]
        objects = [g.scene["objects"] for g in games]
        redrawn = sum(g.scene["attempt"] > 0 for g in games)
        rooms = collections.Counter(g.scene["scene_type"] for g in games)
        print(f"\n{split}: {n} games, {ms_per_game:.1f} ms/game wall, {cpu_ms_per_game:.1f} ms CPU "
              f"(generate + engine check), {redrawn} re-drawn, {len(hashes[split])} distinct problems, {len(layouts)} layouts "
              f"(held-out rule {'ok' if held_out_ok else 'BROKEN'})")
        print(f"  rooms: {dict(sorted(rooms.items()))}")
        print(f"  receptacles min/median/max {min(sizes)}/{statistics.median(sizes):g}/{max(sizes)}, "
              f"objects {min(objects)}/{statistics.median(objects):g}/{max(objects)}")
        for task_type, lengths in sorted(plan_lengths.items()):
            print(f"  {task_type:32s} {len(lengths):5d} tasks, expert plan {statistics.mean(lengths):.1f} steps")

    overlap = {(a, b): len(hashes[a] & hashes[b]) for a in hashes for b in hashes if a < b}
    print(f"\nproblems shared between splits: {overlap}")
    print(f"tasks the expert did not win: {len(failures)} {failures[:10]}")
    if failures or any(overlap.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
