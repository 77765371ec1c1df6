"""The real ALFWorld engine (alfworld 0.4.2 + textworld 1.7.0, PDDL backend) behind a small API.

This is the parity oracle: it plays a :class:`~spa_gym.envs.alfworld.game.GameSpec` (or an official
``game.tw-pddl`` file) exactly the way alfworld's ``AlfredTWEnv`` does — same ``game.tw-pddl`` JSON,
same textworld wrappers (``AlfredDemangler`` without shuffling, ``AlfredInfos``, ``Filter``), same
requested infos — so whatever the native engine must reproduce comes from here.

It needs the optional extra (``pip install "spa-gym[textworld]"``); this module imports without it
and only reaches for textworld when a game is built. Two side effects of the real engine are contained:
Fast Downward's translator overwrites ``sys.argv`` (restored after every call), and ``import alfworld``
creates ``~/.cache/alfworld`` unless ``ALFWORLD_DATA`` is set (pointed at a temporary directory while
importing, then unset again).

The grammar and domain come from the installed ``alfworld`` package. They are alfworld >= 0.4's
"v04" wording; the "classic" wording of the json_2.1.1 data (``put X in/on Y``, ``You arrive at
loc N.``, no ``help``, and the 2.1.1 domain's enabled ``SinkType`` branch of CleanObject) is derived
from them by undoing alfworld 0.4's patch, edit by edit (see :func:`classic_logic`).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from spa_gym.envs.alfworld.game import GameSpec
from spa_gym.envs.alfworld.game_files import read_game_file

#: The exact pins the oracle is tested against (spec §1).
ALFWORLD_VERSION = "0.4.2"
TEXTWORLD_VERSION = "1.7.0"

#: ``pip install`` hint shown when the extra is missing.
INSTALL_HINT = 'pip install "spa-gym[textworld]"  (alfworld==0.4.2, textworld[pddl]==1.7.0)'

# alfworld 0.4's patch of the json_2.1.1 game files, as (v04 text, classic text) pairs.
# Each must occur in the installed files exactly as many times as given, or the derivation refuses.
_GRAMMAR_EDITS = (
    ('"rhs": "You arrive at {r.name}. #examineReceptacle.feedback#"',
     '"rhs": "You arrive at {lend.name}. #examineReceptacle.feedback#"', 1),
    ('"rhs": "You move the {o.name} to the {r.name}."', '"rhs": "You put the {o.name} in/on the {r.name}."', 1),
    ('template :: "move {o} to {r}";', 'template :: "put {o} in/on {r}";', 2),
)
_DOMAIN_EDITS = (
    (";(receptacleType ?r SinkType)", "(receptacleType ?r SinkType)", 1),
)


def is_available() -> bool:
    """True when the real engine (alfworld + textworld with Fast Downward) can be imported."""
    try:
        _engine()
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _contained() -> Iterator[None]:
    """Undo the engine's process-wide side effects: Fast Downward rewrites ``sys.argv`` on every translation."""
    argv = list(sys.argv)
    try:
        yield
    finally:
        sys.argv[:] = argv


@lru_cache(maxsize=1)
def _engine() -> dict[str, Any]:
    """Import the real engine once; return the pieces we use."""
    added_env = "ALFWORLD_DATA" not in os.environ
    scratch = tempfile.mkdtemp(prefix="spa_gym_alfworld_data_") if added_env else None
    if added_env:
        # alfworld.info creates $ALFWORLD_DATA (default ~/.cache/alfworld) at import; we never read it.
        os.environ["ALFWORLD_DATA"] = scratch
    try:
        with _contained():
            import alfworld
            import textworld
            import textworld.envs.pddl.pddl as tw_pddl
            from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos
            from textworld.envs.wrappers import Filter
    except ImportError as exc:
        raise ImportError(f"the real ALFWorld engine is not installed ({exc}); install it with {INSTALL_HINT}") from exc
    finally:
        if added_env:
            os.environ.pop("ALFWORLD_DATA", None)
            shutil.rmtree(scratch, ignore_errors=True)
    if tw_pddl.fast_downward_missing:
        raise ImportError(f"textworld is installed without Fast Downward; install it with {INSTALL_HINT}")
    return {
        "textworld": textworld,
        "AlfredDemangler": AlfredDemangler,
        "AlfredInfos": AlfredInfos,
        "Filter": Filter,
        "data_dir": Path(alfworld.__file__).parent / "data",
        "alfworld_version": importlib.metadata.version("alfworld"),
        "textworld_version": importlib.metadata.version("textworld"),
    }


def _apply_edits(text: str, edits: tuple[tuple[str, str, int], ...], what: str) -> str:
    for old, new, count in edits:
        found = text.count(old)
        if found != count:
            raise RuntimeError(f"cannot derive the classic {what}: expected {count} x {old!r} in alfworld's file, "
                               f"found {found} (is alfworld=={ALFWORLD_VERSION} installed?)")
        text = text.replace(old, new)
    return text


def _cut_help(text: str, start: str, what: str) -> str:
    """Drop the ``help`` action that alfworld 0.4 appended (it is the last block of both files)."""
    at = text.find(start)
    if at < 0:
        raise RuntimeError(f"cannot derive the classic {what}: no {start.strip()!r} block in alfworld's file")
    return text[:at]


@lru_cache(maxsize=2)
def v04_logic() -> tuple[str, str]:
    """``(pddl_domain, grammar)`` of the installed alfworld (0.4 wording; grammar still says UNKNOWN GOAL)."""
    data_dir = _engine()["data_dir"]
    return (data_dir / "alfred.pddl").read_text(), (data_dir / "alfred.twl2").read_text()


@lru_cache(maxsize=2)
def classic_logic() -> tuple[str, str]:
    """``(pddl_domain, grammar)`` of the json_2.1.1 data, derived from the installed 0.4 files.

    Undoes alfworld 0.4's patch: ``move {o} to {r}`` -> ``put {o} in/on {r}``, ``You arrive at {r}.``
    -> ``You arrive at loc N.`` (the location's name), no ``help`` action, and the 2.1.1 domain's
    CleanObject that also accepts a ``SinkType`` receptacle. The test suite checks the result against
    the logic inside official 2.1.1 game files.
    """
    domain, grammar = v04_logic()
    # The domain's help action sits between the last action and the closing parenthesis.
    head = _cut_help(domain, "\n(:action help", "domain")
    domain = _apply_edits(head, _DOMAIN_EDITS, "domain") + "\n)\n"
    grammar = _apply_edits(_cut_help(grammar, "\naction help {", "grammar"), _GRAMMAR_EDITS, "grammar")
    return domain, grammar


def game_data(spec: GameSpec) -> dict[str, Any]:
    """The ``game.tw-pddl`` JSON object for ``spec``: the domain and grammar of its dialect, the goal
    sentence written into the grammar, its PDDL problem, ``solvable: true`` and its walkthrough.

    ``spec.scene["clean_in_sink_type"]`` (set for official json_2.1.x files, whose domain cleans in
    ``SinkType`` receptacles whatever the wording) overrides the dialect's default, as in the native engine.
    """
    domain, grammar = classic_logic() if spec.dialect == "classic" else v04_logic()
    sink_default = spec.dialect == "classic"
    if bool(spec.scene.get("clean_in_sink_type", sink_default)) != sink_default:
        old, new, count = _DOMAIN_EDITS[0]
        domain = _apply_edits(domain, ((new, old, count),) if sink_default else _DOMAIN_EDITS, "domain")
    if grammar.count("UNKNOWN GOAL") != 1:
        raise RuntimeError("alfworld's grammar has no single UNKNOWN GOAL placeholder")
    return {
        "pddl_domain": domain,
        "grammar": grammar.replace("UNKNOWN GOAL", spec.goal),
        "pddl_problem": spec.problem,
        "solvable": True,
        "walkthrough": list(spec.walkthrough) if spec.walkthrough is not None else None,
    }


class TextWorldGame:
    """One ALFWorld game played by the real alfworld/textworld engine.

    Args:
        spec: the game. Its PDDL problem, goal and dialect become a ``game.tw-pddl`` file.
        workdir: folder to keep ``game.tw-pddl`` in; by default it is written to a temporary folder
            that is removed as soon as textworld has read it.

    ``reset()`` returns ``(observation, info)`` with ``info`` holding ``admissible_commands`` (sorted),
    ``won`` and ``walkthrough``; ``step(command)`` returns ``(observation, won, admissible_commands)``.
    After a win the real gym env ignores further commands; this class plays on, as the raw engine does.
    """

    def __init__(self, spec: GameSpec, workdir: str | os.PathLike | None = None) -> None:
        if not isinstance(spec, GameSpec):
            raise TypeError(f"TextWorldGame needs a GameSpec, got {type(spec).__name__} "
                            "(use load_official() for a game file)")
        self._start(game_data(spec), spec.name, spec, workdir)

    @classmethod
    def from_game_data(cls, data: dict[str, Any], name: str = "",
                       workdir: str | os.PathLike | None = None) -> "TextWorldGame":
        """Play a ``game.tw-pddl`` JSON object as it is (its own domain and grammar)."""
        game = cls.__new__(cls)
        game._start(data, name, None, workdir)
        return game

    def _start(self, data: dict[str, Any], name: str, spec: GameSpec | None,
               workdir: str | os.PathLike | None) -> None:
        self.spec, self.name, self.data = spec, name, data
        engine = _engine()
        tw = engine["textworld"]
        # What AlfredTWEnv.init_env requests and wraps, minus the batching and the step limit.
        request_infos = tw.EnvInfos(won=True, admissible_commands=True, extras=["gamefile"])
        env = tw.envs.wrappers.GenericEnvironment(request_infos)
        for wrapper in (engine["AlfredDemangler"](shuffle=False), engine["AlfredInfos"], engine["Filter"]):
            env = wrapper(env)
        self._env = env
        self.won = False
        self.admissible_commands: list[str] = []
        keep = workdir is not None
        folder = Path(workdir) if keep else Path(tempfile.mkdtemp(prefix="spa_gym_twpddl_"))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.game_file = folder / "game.tw-pddl"
            self.game_file.write_text(json.dumps(self.data))
            with _contained():
                self._env.load(str(self.game_file))
        except Exception as exc:
            raise ValueError(f"{self.name or 'game'}: the real engine cannot load it ({type(exc).__name__}: {exc})") from exc
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
                self.game_file = None

    def reset(self) -> tuple[str, dict[str, Any]]:
        """Start the game afresh; return the intro and ``{"admissible_commands", "won", "walkthrough"}``."""
        with _contained():
            obs, infos = self._env.reset()
        self.won = bool(infos["won"])
        self.admissible_commands = sorted(infos["admissible_commands"])
        return obs, {"admissible_commands": list(self.admissible_commands), "won": self.won,
                     "walkthrough": self.data.get("walkthrough")}

    def step(self, command: str) -> tuple[str, bool, list[str]]:
        """Play one command; return ``(feedback, won, sorted admissible commands)``."""
        if not isinstance(command, str):
            raise TypeError(f"command must be a str, got {type(command).__name__}")
        with _contained():
            obs, _score, _done, infos = self._env.step(command)
        self.won = bool(infos["won"])
        self.admissible_commands = sorted(infos["admissible_commands"])
        return obs, self.won, list(self.admissible_commands)

    def close(self) -> None:
        """Release the engine (its Fast Downward library handle)."""
        with contextlib.suppress(Exception):
            self._env.close()

    def __enter__(self) -> "TextWorldGame":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_official(path: str | os.PathLike) -> TextWorldGame:
    """Play an official ``game.tw-pddl`` (or ``.tw-pddl.gz``) file as it is, domain and grammar included."""
    return TextWorldGame.from_game_data(read_game_file(path), str(path))
