"""ALFWorld speed: the native engine vs the real alfworld 0.4.2 + textworld 1.7.0 engine, side by side.

Both engines play the same games (generated scenes, small and FloorPlan-sized, plus the shared official
game files when present) and the same command lists (a seeded walk of admissible and inadmissible
commands recorded on the native engine; the parity test checks both engines answer them identically).

Measured, per scene size:
  * reset: a game played for the first time, from its GameSpec to the intro and admissible commands —
    native: parse + index the PDDL problem (its cache cleared) + reset; real: write ``game.tw-pddl`` +
    textworld's load + reset (Fast Downward translations included). Native warm reset (problem cached,
    what a gym reset of a known task costs) is shown too.
  * step: one command -> feedback, ``won`` and the sorted admissible list (median and p95), on the engine
    and through the Gymnasium env (``AlfWorldEnv.step``, info dict included).
  * memory per env: RSS growth of a fresh process holding N loaded-and-reset games, divided by N (and
    tracemalloc's count for the native engine).

Run: ``python benchmarks/alfworld_speed.py`` (needs ``pip install -e ".[textworld]"``; about 8 minutes on a busy 2-core machine).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from spa_gym.envs.alfworld import env as alf_env
from spa_gym.envs.alfworld import textworld_backend as tb
from spa_gym.envs.alfworld.env import AlfWorldEnv, NativeGame
from spa_gym.envs.alfworld.game import GameSpec
from spa_gym.envs.alfworld.generator import make_game
from spa_gym.envs.alfworld.parity import CommandMixer, replay
from spa_gym.envs.alfworld.splits import SPLIT_SIZES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "alfworld_games"


@dataclass
class Args:
    games: int = 3
    """games per scene size"""
    steps: int = 40
    """commands per game (a seeded walk: ~70% admissible, ~30% inadmissible)"""
    resets: int = 2
    """real-engine resets timed per game (native: 50)"""
    memory_envs: int = 8
    """games held at once for the memory measure (native: 10x more)"""
    seed: int = 0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}; "
            f"load average {load:.1f} at start")


def scene_size(spec: GameSpec) -> tuple[int, int]:
    """(receptacles, objects) of the scene, as the native engine reads them from the PDDL problem."""
    scene = NativeGame(spec).scene
    return len(scene.receptacles), len(scene.otype)


def pick_games(n: int) -> dict[str, list[GameSpec]]:
    """The ``n`` smallest and ``n`` largest generated test games, and the largest shared game files."""
    specs = [make_game("test", i) for i in range(SPLIT_SIZES["test"])]
    specs.sort(key=lambda s: (sum(scene_size(s)), s.name))
    groups = {"small": specs[:n], "large": specs[-n:]}
    if SHARED.is_dir():
        from spa_gym.envs.alfworld.game_files import load_game_file

        files = [load_game_file(p) for p in sorted(SHARED.glob("official_*/game.tw-pddl.gz"))]
        files.sort(key=lambda s: (sum(scene_size(s)), s.name))
        if files:
            groups["official files (largest)"] = files[-n:]
    return groups


def commands_for(spec: GameSpec, steps: int, seed: int) -> list[str]:
    """A seeded walk on the native engine; the same list is then timed on both engines."""
    mixer = CommandMixer(random.Random(seed), spec.dialect)

    def choose(observation: str, admissible: list[str], t: int) -> str:
        mixer.observe(observation, admissible)
        return mixer.next(admissible)

    transcript = replay(NativeGame(spec), spec.name, choose, max_steps=steps)
    commands = [s.command for s in transcript.steps]
    # A walk that wins early is padded with inadmissible commands (the game stays won, as in textworld).
    return commands + ["look around"] * (steps - len(commands))


def timed(fn, *args) -> tuple[float, object]:
    # CPU time of this process, not wall time: the machines we share run other jobs, and wall time would
    # charge their load to whichever engine runs longer. Both engines run in-process (Fast Downward is a
    # dlopened library), so nothing escapes this clock.
    t = time.process_time()
    out = fn(*args)
    return time.process_time() - t, out


@dataclass
class Timings:
    native_reset: list[float] = field(default_factory=list)
    native_warm_reset: list[float] = field(default_factory=list)
    real_reset: list[float] = field(default_factory=list)
    native_step: list[float] = field(default_factory=list)
    native_env_step: list[float] = field(default_factory=list)
    real_step: list[float] = field(default_factory=list)


def native_cold_reset(spec: GameSpec) -> NativeGame:
    alf_env._compiled.cache_clear()  # the parsed-problem cache would make every reset after the first warm
    game = NativeGame(spec)
    game.reset()
    return game


def real_reset(spec: GameSpec) -> tb.TextWorldGame:
    game = tb.TextWorldGame(spec)
    game.reset()
    return game


def measure(spec: GameSpec, commands: list[str], args: Args, out: Timings) -> None:
    for _ in range(50):
        out.native_reset.append(timed(native_cold_reset, spec)[0])
    game = NativeGame(spec)
    for _ in range(50):
        out.native_warm_reset.append(timed(lambda: NativeGame(spec).reset())[0])
    game.reset()
    for command in commands:
        out.native_step.append(timed(game.step, command)[0])
    env = AlfWorldEnv(game_files=[spec], max_steps=len(commands) + 1)
    env.reset(seed=0, options={"task_id": 0})
    for command in commands:
        out.native_env_step.append(timed(env.step, command)[0])
    real = None
    for _ in range(args.resets):
        if real is not None:
            real.close()
        seconds, real = timed(real_reset, spec)
        out.real_reset.append(seconds)
    for command in commands:
        out.real_step.append(timed(real.step, command)[0])
    real.close()


def memory_child(engine: str, names: list[str]) -> None:
    """In a fresh process: hold one loaded-and-reset game per name; print the RSS growth (and, for
    ``native-traced``, the bytes tracemalloc saw allocated)."""
    from spa_gym.envs.alfworld.game_files import load_game_file

    specs = [make_game(n.split(":")[0], int(n.split(":")[1])) if ":" in n else load_game_file(n) for n in names]
    if engine == "textworld":
        tb._engine()  # imports are not per-env memory
    gc.collect()
    before = _rss()
    if engine == "native-traced":
        tracemalloc.start()
    games = [real_reset(s) if engine == "textworld" else native_cold_reset(s) for s in specs]
    traced = tracemalloc.get_traced_memory()[0] if engine == "native-traced" else 0
    gc.collect()
    print(json.dumps({"rss": _rss() - before, "traced": traced, "n": len(games)}))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory(engine: str, specs: list[GameSpec], n: int) -> dict:
    names = []
    for i in range(n):
        spec = specs[i % len(specs)]
        # generated/v1/<split>/<id> -> "<split>:<id>"; official files by path
        names.append(":".join(spec.name.split("/")[-2:]) if spec.name.startswith("generated/") else spec.name)
    result = subprocess.run([sys.executable, __file__, "--memory-child", engine, *names], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def ms(values: list[float], q: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


def main(args: Args) -> None:
    if not tb.is_available():
        sys.exit(f"the real engine is needed for the comparison: {tb.INSTALL_HINT}")
    print(f"machine: {machine()}")
    print(f"engines: native spa_gym vs alfworld {tb._engine()['alfworld_version']} + "
          f"textworld {tb._engine()['textworld_version']} (PDDL backend)")
    groups = pick_games(args.games)
    rows = []
    for label, specs in groups.items():
        timings = Timings()
        for spec in tqdm(specs, desc=label, leave=False):
            measure(spec, commands_for(spec, args.steps, args.seed), args, timings)
        sizes = [scene_size(s) for s in specs]
        rows.append((label, sizes, timings, specs))

    print(f"\n{args.games} games per group, {args.steps} commands per game (same commands on both engines); "
          "times are CPU time of the process\n")
    header = "| scene | receptacles / objects | measure | native | real engine | ratio |"
    print(header)
    print("|---|---|---|---|---|---|")
    for label, sizes, t, _ in rows:
        size = f"{min(r for r, _ in sizes)}-{max(r for r, _ in sizes)} / {min(o for _, o in sizes)}-{max(o for _, o in sizes)}"
        lines = [
            ("reset (new game), median", ms(t.native_reset, 0.5), ms(t.real_reset, 0.5)),
            ("step, median", ms(t.native_step, 0.5), ms(t.real_step, 0.5)),
            ("step, p95", ms(t.native_step, 0.95), ms(t.real_step, 0.95)),
        ]
        for measure_name, native, real in lines:
            print(f"| {label} | {size} | {measure_name} | {native:.3f} ms | {real:.1f} ms | {real / native:,.0f}x |")
        print(f"| {label} | {size} | native `env.step` (Gymnasium, info dict), median | "
              f"{ms(t.native_env_step, 0.5):.3f} ms | | |")
        print(f"| {label} | {size} | native reset of a known game, median | {ms(t.native_warm_reset, 0.5):.3f} ms | | |")

    print("\nmemory per env (fresh process, RSS growth / N):")
    large = [s for label, _, _, group in rows if label != "small" for s in group]
    native_mem = memory("native", large, 10 * args.memory_envs)
    native_mem["traced"] = memory("native-traced", large, 10 * args.memory_envs)["traced"]
    real_mem = memory("textworld", large, args.memory_envs)
    per_native = native_mem["rss"] / native_mem["n"] / 2**20
    per_traced = native_mem["traced"] / native_mem["n"] / 2**20
    per_real = real_mem["rss"] / real_mem["n"] / 2**20
    print(f"  native: {per_native:.2f} MB/env RSS ({per_traced:.2f} MB/env traced by tracemalloc), "
          f"{native_mem['n']} large-scene envs")
    print(f"  real:   {per_real:.1f} MB/env RSS, {real_mem['n']} large-scene envs")
    print(f"  ratio:  {per_real / max(per_native, 1e-9):,.0f}x")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--memory-child":
        memory_child(sys.argv[2], sys.argv[3:])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in vars(Args()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    main(Args(**vars(parser.parse_args())))
