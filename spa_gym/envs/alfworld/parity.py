"""Side-by-side replay of two ALFWorld engines: the tools behind the parity test and the speed benchmark.

An engine here is one loaded game of either engine — a native ``NativeGame`` or a real-engine
``TextWorldGame``: ``reset() -> (observation, info)`` with ``info["admissible_commands"]`` and
``info["won"]``, and ``step(command) -> (observation, won, admissible_commands)``. :class:`Transcript`
records one episode of it. :class:`CommandMixer` chooses the next command of a seeded walk: mostly
admissible commands, and a share of inadmissible ones — junk, near misses of admissible commands, and
well-formed commands about the wrong object or a closed receptacle — where engines are most likely to
disagree. :func:`compare_engines` walks a game on the native engine and replays the commands on another.

>>> from spa_gym.envs.alfworld.env import TINY_GAME, NativeGame
>>> walk = native_walk(NativeGame(TINY_GAME), seed=0, random_steps=5, max_steps=30)
>>> walk.won, walk.steps[-1].observation
(True, 'You put the apple 1 in/on the fridge 1.')
>>> again = replay_commands(NativeGame(TINY_GAME), "tiny", [s.command for s in walk.steps])
>>> first_difference(walk, again) is None
True

Command-line tools (with the ``textworld`` extra): ``python -m spa_gym.envs.alfworld.parity check --split
train --count 20`` compares both engines on generated games; ``... record FILES --out DIR`` writes the
real engine's transcripts of game files.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

from spa_gym.envs.alfworld.game import DIALECTS

if TYPE_CHECKING:
    from spa_gym.envs.alfworld.env import NativeGame
    from spa_gym.envs.alfworld.game import GameSpec

# "a apple 2" in lists: ALFWorld's article is always "a" (spec §3).
_ENTITY = re.compile(r"\ba ([a-z]+ \d+)")
_TAKE = re.compile(r"^take (.+?) from (.+)$")
_GO = re.compile(r"^go to (.+)$")


class Engine(Protocol):
    """What :func:`replay` drives: one loaded game of either engine."""

    def reset(self) -> tuple[str, dict]: ...

    def step(self, command: str) -> tuple[str, bool, list[str]]: ...


@dataclass
class Step:
    """One step of a transcript: the command sent and what came back."""

    command: str
    observation: str
    won: bool
    admissible_commands: list[str]


@dataclass
class Transcript:
    """One episode: the first observation and admissible list, then every step."""

    game: str
    observation: str
    admissible_commands: list[str]
    won: bool = False
    steps: list[Step] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"game": self.game, "observation": self.observation, "admissible_commands": self.admissible_commands,
                "won": self.won, "steps": [vars(s) for s in self.steps]}


class CommandMixer:
    """Seeded choice of the next command of a walk, admissible or not.

    Args:
        rng: the walk's random generator (passed in: the walk is reproducible from its seed).
        dialect: ``"classic"`` or ``"v04"`` — decides how a put is worded and whether ``help`` exists.
        p_invalid: share of inadmissible commands.
    """

    def __init__(self, rng: random.Random, dialect: str, p_invalid: float = 0.3) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}")
        self.rng = rng
        self.dialect = dialect
        self.p_invalid = p_invalid
        self.objects: set[str] = set()
        self.receptacles: set[str] = set()

    def observe(self, observation: str, admissible: list[str]) -> None:
        """Learn entity names from what the engine showed, to build plausible wrong commands."""
        for command in admissible:
            if m := _TAKE.match(command):
                self.objects.add(m.group(1))
                self.receptacles.add(m.group(2))
            elif m := _GO.match(command):
                self.receptacles.add(m.group(1))
        for name in _ENTITY.findall(observation):
            if name not in self.receptacles and not name.startswith("loc "):
                self.objects.add(name)

    def next(self, admissible: list[str]) -> str:
        """The next command: admissible with probability ``1 - p_invalid``, else a likely-inadmissible one."""
        if admissible and self.rng.random() >= self.p_invalid:
            if self.rng.random() < 0.5:
                command = self.rng.choice(admissible)
            else:
                # Most admissible commands are "go to"s: half the time pick the verb first, so walks also
                # open, close, take, put, heat... instead of only touring the room.
                verb = self.rng.choice(sorted({c.split(" ", 1)[0] for c in admissible}))
                command = self.rng.choice([c for c in admissible if c.split(" ", 1)[0] == verb])
            # Surrounding blanks are stripped by the original: still the same admissible command.
            return f"  {command} " if self.rng.random() < 0.05 else command
        return self.invalid(admissible)

    def invalid(self, admissible: list[str]) -> str:
        """A command that is most likely inadmissible here (a near miss can happen to be admissible)."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            return rng.choice(["", " ", "Nothing", "go to", "take", "lookk", "look around", "help me", "\x00\t\n",
                               "put", "examine", "inventory please", "éè☃ 中文", "x" * 2000,
                               "go to loc 1", "go to loc 3", rng.choice(["help", "HELP"]),
                               "".join(rng.choice("abcdefghij klmno1234.,") for _ in range(rng.randint(1, 30)))])
        if kind < 0.35 and admissible:
            base = rng.choice(admissible)
            mutate = rng.choice([str.upper, str.title, lambda c: c + ".", lambda c: c.replace(" ", "  ", 1),
                                 lambda c: c.replace(" ", "", 1), lambda c: c[:-1], lambda c: c + " 1"])
            return mutate(base)
        objects = sorted(self.objects) or ["apple 1"]
        receptacles = sorted(self.receptacles) or ["countertop 1"]
        o, o2 = rng.choice(objects), rng.choice(objects)
        r = rng.choice(receptacles)
        put = f"put {o} in/on {r}" if self.dialect == "classic" else f"move {o} to {r}"
        wrong_put = f"move {o} to {r}" if self.dialect == "classic" else f"put {o} in/on {r}"
        return rng.choice([
            f"go to {r}", f"open {r}", f"close {r}", f"examine {r}", f"examine {o}", f"take {o} from {r}",
            put, put, wrong_put, f"put {o} in {r}", f"heat {o} with {r}", f"cool {o} with {r}",
            f"clean {o} with {r}", f"use {o}", f"slice {o} with {o2}", f"take {r} from {r}", f"go to {o}",
        ])


def replay(engine: Engine, game: str, choose: Callable[[str, list[str], int], str | None],
           max_steps: int = 50) -> Transcript:
    """Play one episode: ``choose(observation, admissible, step)`` gives each command, ``None`` stops.

    The walk stops at the first win too (the original env is done then).
    """
    observation, info = engine.reset()
    admissible, won = info["admissible_commands"], info["won"]
    transcript = Transcript(game, observation, list(admissible), won)
    for t in range(max_steps):
        if won:
            break
        command = choose(observation, admissible, t)
        if command is None:
            break
        observation, won, admissible = engine.step(command)
        transcript.steps.append(Step(command, observation, won, list(admissible)))
    transcript.won = won
    return transcript


def first_difference(a: Transcript, b: Transcript) -> str | None:
    """Describe the first step where two transcripts differ (observation, sorted admissible list, won)."""
    def describe(where: str, what: str, x: object, y: object) -> str:
        return f"{a.game}: {where}: {what} differs\n  {a_label}: {x!r}\n  {b_label}: {y!r}"

    a_label, b_label = "first ", "second"
    if a.observation != b.observation:
        return describe("reset", "observation", a.observation, b.observation)
    if sorted(a.admissible_commands) != sorted(b.admissible_commands):
        return describe("reset", "admissible_commands", sorted(a.admissible_commands), sorted(b.admissible_commands))
    for i, (x, y) in enumerate(zip(a.steps, b.steps)):
        where = f"step {i} command {x.command!r}"
        if x.command != y.command:
            return describe(f"step {i}", "command", x.command, y.command)
        if x.observation != y.observation:
            return describe(where, "observation", x.observation, y.observation)
        if sorted(x.admissible_commands) != sorted(y.admissible_commands):
            extra = sorted(set(x.admissible_commands) - set(y.admissible_commands))
            missing = sorted(set(y.admissible_commands) - set(x.admissible_commands))
            return describe(where, "admissible_commands (only-first / only-second)", extra, missing)
        if x.won != y.won:
            return describe(where, "won", x.won, y.won)
    if len(a.steps) != len(b.steps):
        return describe("end", "number of steps", len(a.steps), len(b.steps))
    return None


#: Share of extra inadmissible commands slipped between the expert's steps.
P_JUNK_DURING_EXPERT = 0.25
#: Share of detours (admissible commands off the plan: close, take, examine...) in walks with a random prefix.
P_DETOUR_DURING_EXPERT = 0.15


def native_walk(game: "NativeGame", seed: int, random_steps: int, max_steps: int) -> Transcript:
    """Play ``random_steps`` mixed commands on a native game, then its expert to the win, interleaved with
    inadmissible commands (and, after a random prefix, with detours, after which the expert replans).

    With ``random_steps=0`` the state-changing commands are exactly the expert's plan from the start.
    """
    from spa_gym.envs.alfworld.expert import Expert

    rng = random.Random(seed)
    mixer = CommandMixer(rng, game.spec.dialect)
    expert = Expert(game)

    def choose(observation: str, admissible: list[str], t: int) -> str | None:
        mixer.observe(observation, admissible)
        if t < random_steps:
            return mixer.next(admissible)
        detours = [c for c in admissible if not c.startswith("go to ")]
        if random_steps and detours and rng.random() < P_DETOUR_DURING_EXPERT:
            return rng.choice(detours)
        if rng.random() < P_JUNK_DURING_EXPERT:
            junk = mixer.invalid(admissible)
            if junk.strip() not in admissible:  # keep the expert's plan intact
                return junk
        return expert.next_action()

    return replay(game, game.spec.name, choose, max_steps=max_steps)


def replay_commands(engine: Engine, game: str, commands: list[str]) -> Transcript:
    """Play a fixed command list (stopping early only at a win)."""
    return replay(engine, game, lambda observation, admissible, t: commands[t] if t < len(commands) else None,
                  max_steps=len(commands))


def compare_engines(spec: "GameSpec", real: Engine, seed: int, random_steps: int,
                    max_steps: int) -> tuple[Transcript, Transcript, str | None]:
    """Walk ``spec`` on the native engine (:func:`native_walk`), replay its commands on ``real``; return
    both transcripts and the first difference (None when they agree at every step)."""
    from spa_gym.envs.alfworld.env import NativeGame

    native = native_walk(NativeGame(spec), seed, random_steps, max_steps)
    other = replay_commands(real, spec.name, [s.command for s in native.steps])
    difference = first_difference(other, native)
    if difference is not None:
        difference = difference.replace("first ", "real  ").replace("second", "native")
    return native, other, difference


def _record(args) -> None:
    import json
    import pathlib

    from spa_gym.envs.alfworld.textworld_backend import load_official

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in args.game_files:
        name = pathlib.Path(path).parent.name
        engine = load_official(path)
        walkthrough = engine.data.get("walkthrough") or []
        dialect = "v04" if "move {o} to {r}" in engine.data["grammar"] else "classic"
        episodes = {"walkthrough": replay_commands(engine, name, walkthrough).to_json()}
        for seed in range(args.walks):
            mixer = CommandMixer(random.Random(seed), dialect)

            def choose(observation: str, admissible: list[str], t: int) -> str:
                mixer.observe(observation, admissible)
                return mixer.next(admissible)

            episodes[f"random_seed{seed}"] = replay(engine, name, choose, max_steps=args.steps).to_json()
        (out / f"{name}.json").write_text(json.dumps({"game_file": str(path), "dialect": dialect,
                                                      "episodes": episodes}, indent=1))
        lengths = ", ".join(f"{kind} {len(episode['steps'])} steps" for kind, episode in episodes.items())
        print(f"{name}: {lengths}", flush=True)


def _check(args) -> int:
    from tqdm import tqdm

    from spa_gym.envs.alfworld.generator import make_game
    from spa_gym.envs.alfworld.textworld_backend import TextWorldGame

    failures = steps = 0
    for task_id in tqdm(range(args.first, args.first + args.count), desc=f"{args.split} {args.dialect}"):
        spec = make_game(args.split, task_id, args.dialect)
        real = TextWorldGame(spec)
        try:
            native, _, difference = compare_engines(spec, real, task_id, args.random_steps, args.max_steps)
        finally:
            real.close()
        steps += len(native.steps)
        if difference is not None or not native.won:
            failures += 1
            tqdm.write(difference or f"{spec.name}: the native expert did not win in {args.max_steps} steps")
    print(f"{args.count} games, {steps} steps: {failures} with a difference")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """Tools of the ALFWorld parity check (need the ``textworld`` extra).

    ``record FILES --out DIR``: the real engine's transcripts of game files (walkthrough, random walks).
    ``check --split S --first I --count N``: generated games on both engines, differences printed.
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="tool", required=True)
    record = commands.add_parser("record", help="record the real engine's transcripts of game files")
    record.add_argument("game_files", nargs="+", help="game.tw-pddl or game.tw-pddl.gz files")
    record.add_argument("--out", required=True, help="folder for one <game>.json per file")
    record.add_argument("--walks", type=int, default=2, help="random walks per game")
    record.add_argument("--steps", type=int, default=30, help="steps per random walk")
    check = commands.add_parser("check", help="compare both engines on generated games")
    check.add_argument("--split", default="train")
    check.add_argument("--dialect", default="classic", choices=DIALECTS)
    check.add_argument("--first", type=int, default=0, help="first task id")
    check.add_argument("--count", type=int, default=20, help="number of games")
    check.add_argument("--random-steps", type=int, default=15, help="random commands before the expert takes over")
    check.add_argument("--max-steps", type=int, default=50)
    args = parser.parse_args(argv)
    if args.tool == "record":
        _record(args)
        return 0
    return _check(args)


if __name__ == "__main__":
    raise SystemExit(main())
