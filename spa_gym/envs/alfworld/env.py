"""``SPA-ALFWorld-v0``: ALFWorld's text game on the native engine (or, optionally, the real one).

:class:`NativeGame` plays one :class:`GameSpec` the way alfworld 0.4.2 + textworld 1.7.0 do, string for
string; :class:`AlfWorldEnv` is the Gymnasium environment over a task set (generated tasks, or official
``game.tw-pddl`` files).

>>> env = AlfWorldEnv(game_files=[TINY_GAME])
>>> obs, info = env.reset(seed=0)
>>> print(obs.splitlines()[2])
You are in the middle of a room. Looking quickly around you, you see a countertop 1, and a fridge 1.
>>> info["admissible_commands"]
['go to countertop 1', 'go to fridge 1', 'inventory', 'look']
>>> for cmd in ["go to countertop 1", "take apple 1 from countertop 1", "go to fridge 1", "open fridge 1"]:
...     obs, reward, terminated, truncated, info = env.step(cmd)
>>> env.step("put apple 1 in/on fridge 1")[:3]
('You put the apple 1 in/on the fridge 1.', 1.0, True)
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from spa_gym.core.tasks import TaskSet
from spa_gym.core.text import extra_characters
from spa_gym.core.text_env import TextEnv
from spa_gym.envs.alfworld.game import DIALECTS, GameSpec
from spa_gym.envs.alfworld.goals import Goal
from spa_gym.envs.alfworld.pddl import parse_problem
from spa_gym.envs.alfworld.text import NOTHING_HAPPENS, Text
from spa_gym.envs.alfworld.world import TINY_PROBLEM, Scene, State

#: A one-apple game (used by doctests and as the smallest example of a GameSpec).
TINY_GAME = GameSpec(problem=TINY_PROBLEM, task_type="pick_and_place_simple", goal="put some apple on fridge",
                     name="tiny")

BACKENDS = ("native", "textworld")


@lru_cache(maxsize=512)
def _compiled(problem_text: str, clean_in_sink_type: bool, where: str) -> tuple[Scene, Goal]:
    # Parsing and indexing a FloorPlan-sized problem takes a few ms; a reset of a known game then only copies state.
    problem = parse_problem(problem_text, where)
    scene = Scene.from_problem(problem, sink_type_cleans=clean_in_sink_type, where=where)
    return scene, Goal(problem.goal, scene, where)


class NativeGame:
    """One ALFWorld game on the native engine: ``reset() -> (obs, info)``, ``step(cmd) -> (obs, won, commands)``.

    Args:
        spec: the game.
        strict: apply the spec's fixes of the original's quirks (Q1 examine objects in view, Q2 ``look``
            at the start lists the room, Q3 receptacle objects say hot/cool/clean, Q5 a/an, Q6 ``use``
            reports on/off). The default reproduces the original.
    """

    def __init__(self, spec: GameSpec, strict: bool = False) -> None:
        self.spec, self.strict = spec, strict
        sink = bool(spec.scene.get("clean_in_sink_type", spec.dialect == "classic"))
        self.scene, self.goal = _compiled(spec.problem, sink, spec.name or "game")
        self.text = Text(self.scene, spec.dialect, strict)
        self._help = bool(spec.scene.get("help", spec.dialect == "v04"))
        self.state: State = self.scene.initial_state()
        self._commands: dict[str, tuple] | None = None
        self._sorted: list[str] | None = None
        self.won = False

    # ------------------------------------------------------------------ play
    def reset(self) -> tuple[str, dict[str, Any]]:
        self.set_state(self.scene.initial_state())
        obs = self.text.intro(self.state, self.spec.goal)
        return obs, {"admissible_commands": self.admissible_commands(), "won": self.won}

    def step(self, command: str) -> tuple[str, bool, list[str]]:
        """Play ``command`` (stripped, then matched exactly, as TextWorld does)."""
        obs, _valid = self.play(command)
        return obs, self.won, self.admissible_commands()

    def play(self, command: str) -> tuple[str, bool]:
        """Play ``command``; return ``(feedback, action_valid)``."""
        action = self.commands().get(command.strip()) if isinstance(command, str) else None
        if action is None:
            return NOTHING_HAPPENS, False
        self.scene.apply(self.state, action)
        self._commands = self._sorted = None
        self.won = self.goal(self.state)
        return self.text.feedback(self.state, action), True

    def commands(self) -> dict[str, tuple]:
        """Admissible command -> action (the first action wins a shared command, as in TextWorld)."""
        if self._commands is None:
            cmds: dict[str, tuple] = {}
            command = self.text.command
            for action in self.scene.actions(self.state, with_help=self._help):
                cmds.setdefault(command(action), action)
            if self.strict:  # Q1 fixed: objects in an open (or open-topped) receptacle here can be examined
                for r in self.scene.loc_receptacles.get(self.state.agent_loc, ()):
                    if self.scene.accessible(self.state, r):
                        for o in self.state.contents.get(r, ()):
                            cmds.setdefault(command(("examine_o", o)), ("examine_o", o))
            self._commands = cmds
        return self._commands

    def admissible_commands(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.commands())
        return list(self._sorted)

    # ------------------------------------------------------------------ snapshots
    def get_state(self) -> State:
        return self.state.copy()

    def set_state(self, state: State) -> None:
        self.state = state.copy()
        self._commands = self._sorted = None
        self.won = self.goal(self.state)


class AlfWorldEnv(TextEnv):
    """ALFWorld (text) as a Gymnasium environment.

    Args:
        split: default split for ``reset`` ("train", "valid", "test", "test_unseen" for generated tasks).
            With ``game_files`` the task set has this one split, holding the files in the given order.
        dialect: "classic" ("put X in/on Y", ReAct/ETO/SPA prompts) or "v04" (alfworld >= 0.4, "move X to Y",
            ``help``). Official game files carry their own wording, which wins.
        expert: add ``info["expert_action"]``, the next command of the native optimal expert.
        max_steps: step limit (SPA-RL uses 40, verl-agent 50).
        game_files: official ``game.tw-pddl`` (or ``.gz``) paths (or :class:`GameSpec` records) to play
            instead of generated tasks.
        backend: "native" (this engine) or "textworld" (the real alfworld/textworld engine, optional extra).
        strict: fix the original's quirks Q1, Q2, Q3, Q5, Q6 (native backend only); default reproduces them.
        render_mode: "ansi" or "human".
    """

    def __init__(self, split: str = "train", dialect: str = "classic", expert: bool = False, max_steps: int = 40,
                 game_files: Sequence[str | Path] | None = None, backend: str = "native", strict: bool = False,
                 render_mode: str | None = None) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; expected one of {DIALECTS}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
        if strict and backend != "native":
            raise ValueError("strict=True changes the game; the textworld backend only plays the original")
        if expert and backend != "native":
            raise ValueError("expert=True needs the native backend (the expert plans on the native state)")
        self.dialect, self.backend, self.strict = dialect, backend, strict
        self._specs: list[GameSpec] | None = None
        self._paths: list[Path | None] = []
        if game_files is not None:
            from spa_gym.envs.alfworld.game_files import load_game_file

            files = list(game_files)
            if not files:
                raise ValueError("game_files is empty: no files were given. alfworld-download puts the games "
                                 "under $ALFWORLD_DATA (default ~/.cache/alfworld) as json_2.1.1/<split>/<task>/"
                                 "<trial>/game.tw-pddl, so glob '*/*/game.tw-pddl' inside a split folder")
            self._specs = [f if isinstance(f, GameSpec) else load_game_file(f) for f in files]
            self._paths = [None if isinstance(f, GameSpec) else Path(f) for f in files]
            digest = hashlib.sha256("\n".join(s.problem for s in self._specs).encode()).hexdigest()[:16]
            self._tasks = TaskSet("alfworld-files", digest, {split: len(self._specs)})
        else:
            from spa_gym.envs.alfworld.splits import ALFWORLD_TASKS

            self._tasks = ALFWORLD_TASKS
        super().__init__(split=split, max_steps=max_steps, expert=expert, render_mode=render_mode)
        self._game: Any = None
        self._spec: GameSpec | None = None
        self._key: tuple[str, int] | None = None
        self._history: list[str] = []  # textworld backend: snapshots replay commands
        self._is_won = False
        self._planner = None

    @property
    def task_set(self) -> TaskSet:
        return self._tasks

    def game_spec(self, split: str, task_id: int) -> GameSpec:
        """The :class:`GameSpec` of task ``task_id`` of ``split``."""
        self._tasks.check(split, task_id)
        if self._specs is not None:
            return self._specs[task_id]
        from spa_gym.envs.alfworld.generator import make_game

        return make_game(split, task_id, self.dialect)

    # ------------------------------------------------------------------ TextEnv hooks
    def _emitted_characters(self) -> str:
        """Generated games use the engine's own ASCII tables; game files may name things in any script."""
        if self._specs is None:
            return ""
        texts = [s.problem + "\n" + s.goal for s in self._specs]
        if self.backend == "textworld":  # the real engine also writes the file's own grammar
            from spa_gym.envs.alfworld.game_files import read_game_file

            texts += [json.dumps(read_game_file(p), ensure_ascii=False) for p in self._paths if p is not None]
        return extra_characters(texts)

    def _load(self, split: str, task_id: int) -> None:
        if self._key == (split, task_id) and self._game is not None:
            return
        if self._game is not None and self.backend == "textworld":
            self._game.close()
        spec = self.game_spec(split, task_id)
        if self.backend == "native":
            self._game = NativeGame(spec, strict=self.strict)
        else:
            from spa_gym.envs.alfworld.textworld_backend import TextWorldGame, load_official

            # An official file plays as it is (its own domain and grammar); generated specs get alfworld's.
            path = self._paths[task_id] if self._paths else None
            self._game = load_official(path) if path is not None else TextWorldGame(spec)
        self._spec, self._key = spec, (split, task_id)
        self._planner = None

    def _start_episode(self, split: str, task_id: int) -> str:
        self._load(split, task_id)
        obs, info = self._game.reset()
        self._is_won = bool(info["won"])
        self._history = []
        self._admissible = list(info["admissible_commands"])
        return obs

    def _execute(self, action: str) -> tuple[str, float, bool, bool]:
        if self.backend == "native":
            obs, valid = self._game.play(action)
            self._is_won = self._game.won
        else:
            # The real engine only says "Nothing happens." for a command it could not match.
            valid = action.strip() in self._admissible
            obs, self._is_won, self._admissible = self._game.step(action)
            self._history.append(action)
        return obs, float(self._is_won), self._is_won, valid

    def _admissible_commands(self) -> list[str]:
        if self.backend == "native":
            return self._game.admissible_commands()
        return list(self._admissible)

    def _won(self) -> bool:  # type: ignore[override]
        return self._is_won

    def _task_description(self) -> tuple[str, str]:
        return self._spec.goal, self._spec.task_type

    def _expert_action(self) -> str | None:
        from spa_gym.envs.alfworld.expert import Expert

        if self._planner is None:
            self._planner = Expert(self._game)
        return self._planner.next_action()

    def _extra_info(self) -> dict[str, Any]:
        return {"dialect": self._spec.dialect, "game": self._spec.name}

    def _state_view(self) -> Any:
        # The engine draws nothing at random, so the RNG is left out; the textworld backend's snapshot is its
        # command history (it is restored by replay), so there the history is the state.
        if self.backend != "native":
            return (self.backend, self.dialect, self._spec.dialect, tuple(self._history))
        s, ref = self._game.state, self._game.scene.initial
        # Object placement is hashed as its difference from the game's initial state (a step moves one or two
        # objects; sorting all ~40 sets on every step would cost more than the step itself).
        return (self.backend, self.dialect, self.strict, self._spec.dialect, s.agent_loc, s.holding,
                _sorted(s.opened), _changed(s.contents, ref.contents), _changed(s.at_loc, ref.at_loc),
                _sorted(s.taken_from), _sorted(s.hot), _sorted(s.cool), _sorted(s.clean), _sorted(s.sliced),
                _sorted(s.toggled), _sorted(s.on))

    def _world_state(self) -> Any:
        if self.backend == "native":
            return (self._key, self._game.get_state())
        return (self._key, list(self._history))

    def _restore_world(self, world: Any) -> None:
        key, payload = world
        self._load(*key)
        if self.backend == "native":
            self._game.set_state(payload)
            self._is_won = self._game.won
        else:
            obs, info = self._game.reset()
            self._admissible, self._is_won = list(info["admissible_commands"]), bool(info["won"])
            for cmd in payload:
                _, self._is_won, self._admissible = self._game.step(cmd)
            self._history = list(payload)


def _sorted(items: set) -> tuple:
    return tuple(sorted(items)) if items else ()


def _changed(current: dict[str, set[str]], initial: dict[str, set[str]]) -> tuple:
    """The entries of ``current`` that differ from ``initial`` (a missing key counts as an empty set), sorted:
    the same for equal dicts whatever their sets' history."""
    if current == initial:
        return ()
    empty: frozenset[str] = frozenset()
    diff = [(k, tuple(sorted(v))) for k, v in current.items() if v != initial.get(k, empty)]
    diff += [(k, ()) for k, v in initial.items() if v and k not in current]
    return tuple(sorted(diff))
