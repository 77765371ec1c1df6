"""Parity of the native ALFWorld engine with the real one (alfworld 0.4.2 + textworld 1.7.0, PDDL backend).

Each game is played once on the native engine — a seeded random walk that mixes admissible commands with
inadmissible ones (junk, near misses, wrong objects, closed receptacles), then the native expert to the
win with more inadmissible commands slipped in — and the same command list is replayed on the real
engine. Observations, sorted admissible commands and ``won`` must agree at every step. Games whose
random prefix is empty replay the expert plan from the start.

Needs the ``textworld`` extra; skipped without it. The real engine is slow (0.1-4 s per reset, 15-100 ms
per step), so walks are short and every game is its own test (pytest-xdist spreads them).
Set ``SPA_GYM_PARITY_LOG=path`` to append every mismatch to a file.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

import pytest

from spa_gym.envs.alfworld import textworld_backend as tb

if not tb.is_available():
    pytest.skip(f"the real ALFWorld engine is not installed: {tb.INSTALL_HINT}", allow_module_level=True)

from spa_gym.envs.alfworld.env import NativeGame  # noqa: E402
from spa_gym.envs.alfworld.game import DIALECTS, TASK_TYPES, GameSpec  # noqa: E402
from spa_gym.envs.alfworld.game_files import load_game_file  # noqa: E402
from spa_gym.envs.alfworld.generator import make_game  # noqa: E402
from spa_gym.envs.alfworld.parity import compare_engines, first_difference, replay_commands  # noqa: E402

pytestmark = pytest.mark.textworld

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "alfworld_games"
SHARED_GAMES = sorted(p.name for p in SHARED.glob("*") if (p / "game.tw-pddl.gz").is_file())

# (split, task_id, dialect, task type): 6 per task type, both wordings, small to large scenes
# (6-34 receptacles); chosen once from the fixed test manifests, so the list never drifts.
GENERATED = [
    ("test", 78, "classic", "pick_and_place_simple"), ("test", 12, "v04", "pick_and_place_simple"),
    ("test_unseen", 132, "classic", "pick_and_place_simple"), ("test_unseen", 30, "v04", "pick_and_place_simple"),
    ("test_unseen", 114, "v04", "pick_and_place_simple"), ("test", 30, "classic", "pick_and_place_simple"),
    ("test_unseen", 31, "classic", "look_at_obj_in_light"), ("test_unseen", 1, "v04", "look_at_obj_in_light"),
    ("test", 43, "classic", "look_at_obj_in_light"), ("test_unseen", 91, "v04", "look_at_obj_in_light"),
    ("test", 49, "v04", "look_at_obj_in_light"), ("test", 85, "classic", "look_at_obj_in_light"),
    ("test", 2, "classic", "pick_clean_then_place_in_recep"), ("test_unseen", 44, "v04", "pick_clean_then_place_in_recep"),
    ("test_unseen", 62, "classic", "pick_clean_then_place_in_recep"), ("test", 104, "v04", "pick_clean_then_place_in_recep"),
    ("test_unseen", 116, "v04", "pick_clean_then_place_in_recep"),
    ("test_unseen", 68, "classic", "pick_clean_then_place_in_recep"),
    ("test_unseen", 27, "classic", "pick_heat_then_place_in_recep"), ("test_unseen", 45, "v04", "pick_heat_then_place_in_recep"),
    ("test_unseen", 39, "classic", "pick_heat_then_place_in_recep"), ("test", 51, "v04", "pick_heat_then_place_in_recep"),
    ("test_unseen", 75, "v04", "pick_heat_then_place_in_recep"), ("test", 3, "classic", "pick_heat_then_place_in_recep"),
    ("test_unseen", 76, "classic", "pick_cool_then_place_in_recep"), ("test", 118, "v04", "pick_cool_then_place_in_recep"),
    ("test_unseen", 64, "classic", "pick_cool_then_place_in_recep"), ("test", 52, "v04", "pick_cool_then_place_in_recep"),
    ("test_unseen", 106, "v04", "pick_cool_then_place_in_recep"), ("test", 28, "classic", "pick_cool_then_place_in_recep"),
    ("test_unseen", 5, "classic", "pick_two_obj_and_place"), ("test", 11, "v04", "pick_two_obj_and_place"),
    ("test_unseen", 11, "classic", "pick_two_obj_and_place"), ("test", 119, "v04", "pick_two_obj_and_place"),
    ("test_unseen", 71, "v04", "pick_two_obj_and_place"), ("test", 29, "classic", "pick_two_obj_and_place"),
]

def assert_same(difference: str | None) -> None:
    if difference is not None:
        log = os.environ.get("SPA_GYM_PARITY_LOG")
        if log:
            with open(log, "a") as f:
                f.write(f"\n--- {difference}\n")
        pytest.fail(difference, pytrace=False)


def check_game(spec: GameSpec, real: tb.TextWorldGame, seed: int, random_steps: int, max_steps: int) -> None:
    try:
        native, _, difference = compare_engines(spec, real, seed, random_steps, max_steps)
    finally:
        real.close()
    assert_same(difference)
    assert native.won, f"{spec.name}: the native expert did not win within {max_steps} steps"


@pytest.mark.parametrize("split,task_id,dialect,task_type", GENERATED,
                         ids=[f"{s}-{i}-{d}" for s, i, d, _ in GENERATED])
def test_generated_game(split: str, task_id: int, dialect: str, task_type: str) -> None:
    spec = make_game(split, task_id, dialect)
    assert spec.task_type == task_type
    # Every third game replays the expert plan from the very start; the others wander first.
    random_steps = 0 if task_id % 3 == 0 else 12
    check_game(spec, tb.TextWorldGame(spec), seed=task_id, random_steps=random_steps, max_steps=40)


@pytest.mark.skipif(not SHARED_GAMES, reason=f"no shared ALFWorld game files in {SHARED}")
@pytest.mark.parametrize("name", SHARED_GAMES or ["none"])
def test_shared_game_file(name: str) -> None:
    path = SHARED / name / "game.tw-pddl.gz"
    spec = load_game_file(path)
    check_game(spec, tb.load_official(str(path)), seed=len(name), random_steps=10, max_steps=45)


@pytest.mark.parametrize("split,task_id,dialect", [("test", 52, "classic"), ("test_unseen", 1, "v04")])
def test_open_close_tour(split: str, task_id: int, dialect: str) -> None:
    """Every openable receptacle: go, examine, take from it closed, open, examine, close, examine."""
    spec = make_game(split, task_id, dialect)
    native = NativeGame(spec)
    _, info = native.reset()
    targets = [c[len("go to "):] for c in info["admissible_commands"] if c.startswith("go to ")]
    tour = []
    for r in targets:
        native.step(f"go to {r}")
        if f"open {r}" in native.admissible_commands():
            things = [c.split(" from ")[0][5:] for c in native.admissible_commands() if c.startswith("take ")]
            tour += [f"go to {r}", f"examine {r}", f"take {(things or ['apple 1'])[0]} from {r}", f"open {r}",
                     f"examine {r}", f"open {r}", f"close {r}", f"examine {r}", f"close {r}"]
    assert tour.count("close") == 0 and len(tour) >= 18  # at least two openable receptacles
    real = tb.TextWorldGame(spec)
    try:
        real_t = replay_commands(real, spec.name, tour)
    finally:
        real.close()
    difference = first_difference(real_t, replay_commands(NativeGame(spec), spec.name, tour))
    assert_same(difference and difference.replace("first ", "real  ").replace("second", "native"))


def test_generated_games_cover_every_task_type_in_both_wordings() -> None:
    assert {(d, t) for _, _, d, t in GENERATED} == {(d, t) for d in DIALECTS for t in TASK_TYPES}
    assert len(GENERATED) >= 30


@pytest.mark.skipif(not SHARED_GAMES, reason=f"no shared ALFWorld game files in {SHARED}")
def test_classic_logic_is_the_official_211_logic() -> None:
    domain, grammar = tb.classic_logic()
    for name in [n for n in SHARED_GAMES if n.endswith("_211")]:
        data = json.loads(gzip.decompress((SHARED / name / "game.tw-pddl.gz").read_bytes()))
        sentence = load_game_file(SHARED / name / "game.tw-pddl.gz").goal
        assert data["pddl_domain"] == domain, name
        assert data["grammar"] == grammar.replace("UNKNOWN GOAL", sentence), name


@pytest.mark.skipif(not SHARED_GAMES, reason=f"no shared ALFWorld game files in {SHARED}")
def test_spec_of_an_official_212_file_gets_its_logic() -> None:
    """A 2.1.2 file's GameSpec (v04 wording, SinkType cleaning) is written back with the file's own logic,
    up to blank lines and the encoding of the help text (escaped vs raw newlines: same string)."""
    def blocks(grammar: str) -> tuple[str, str]:
        head, _, help_block = grammar.partition("action help {")
        return head, help_block

    for name in [n for n in SHARED_GAMES if n.endswith("_212")]:
        path = SHARED / name / "game.tw-pddl.gz"
        data = json.loads(gzip.decompress(path.read_bytes()))
        written = tb.game_data(load_game_file(path))
        assert written["pddl_domain"].split() == data["pddl_domain"].split(), name
        assert blocks(written["grammar"])[0] == blocks(data["grammar"])[0], name
        assert "help" in blocks(written["grammar"])[1] and "help" in blocks(data["grammar"])[1]


def test_game_file_written_for_a_spec(tmp_path: Path) -> None:
    spec = make_game("test", 78, "v04")
    argv = list(sys.argv)
    game = tb.TextWorldGame(spec, workdir=tmp_path)
    assert sys.argv == argv  # Fast Downward's translator rewrites sys.argv; the backend puts it back
    data = json.loads((tmp_path / "game.tw-pddl").read_text())
    assert data["solvable"] is True and data["pddl_problem"] == spec.problem
    assert f"Your task is to: {spec.goal}." in data["grammar"] and "UNKNOWN GOAL" not in data["grammar"]
    assert data["walkthrough"] == list(spec.walkthrough)
    obs, info = game.reset()
    assert obs.endswith(f"Your task is to: {spec.goal}.") and "help" in info["admissible_commands"]
    for command in spec.walkthrough:
        obs, won, admissible = game.step(command)
    assert won and sys.argv == argv
    game.close()


def test_temporary_game_file_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    game = tb.TextWorldGame(make_game("test", 78, "classic"))
    assert game.game_file is None and list(tmp_path.iterdir()) == []
    obs, info = game.reset()  # textworld keeps the game in memory; the file is not needed any more
    assert "Your task is to:" in obs and info["won"] is False
    game.close()


def test_engine_import_leaves_home_and_environment_alone(tmp_path: Path) -> None:
    """``import alfworld`` would create ~/.cache/alfworld and set ALFWORLD_DATA; the backend contains both."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "ALFWORLD_DATA"}
    env["HOME"] = str(tmp_path)
    code = ("import os, sys; from spa_gym.envs.alfworld import textworld_backend as tb; tb.v04_logic(); "
            "print('ALFWORLD_DATA' in os.environ, os.path.exists(os.path.expanduser('~/.cache/alfworld')))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unreadable_game_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "game.tw-pddl"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="game.tw-pddl"):
        tb.load_official(str(bad))
    bad.write_text(json.dumps({"pddl_domain": "(define)", "grammar": ""}))
    with pytest.raises(ValueError, match="lacks pddl_problem"):
        tb.load_official(str(bad))
