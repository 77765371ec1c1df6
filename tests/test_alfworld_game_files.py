"""Official ``game.tw-pddl`` files on the native engine: loader, wording detection, walkthroughs, expert.

The 24 shared games (official json_2.1.1 and 2.1.2 files and generated classic ones) are read from
``../shared/data/alfworld_games``; those tests skip where the folder is absent. The expected strings
below were printed by the real engine (alfworld 0.4.2 + textworld 1.7.0) on the same files.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from spa_gym.envs.alfworld.env import AlfWorldEnv, NativeGame
from spa_gym.envs.alfworld.expert import solve
from spa_gym.envs.alfworld.game_files import load_game_file

GAMES = Path(__file__).resolve().parents[2] / "shared" / "data" / "alfworld_games"
FILES = sorted(GAMES.glob("*/game.tw-pddl.gz")) if GAMES.is_dir() else []
needs_games = pytest.mark.skipif(not FILES, reason=f"shared ALFWorld game files not found at {GAMES}")


def _play(spec, commands):
    g = NativeGame(spec)
    obs, _ = g.reset()
    out = [obs]
    for c in commands:
        out.append(g.step(c)[0])
    return g, out


@needs_games
@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_walkthrough_and_expert_win(path):
    spec = load_game_file(path)
    traj = json.loads((path.parent / "traj_data.json").read_text())
    assert spec.task_type == traj["task_type"] and spec.pddl_params == traj["pddl_params"]
    assert spec.dialect == ("v04" if path.parent.name.endswith("_212") else "classic")
    assert spec.scene["clean_in_sink_type"] is True  # every json_2.1.x domain cleans in SinkType too
    assert spec.scene["help"] is (spec.dialect == "v04")
    g, _ = _play(spec, spec.walkthrough)
    assert g.won
    plan = solve(spec)
    g, _ = _play(spec, plan)
    assert g.won and len(plan) <= len(spec.walkthrough)


@needs_games
def test_real_engine_strings_classic():
    spec = load_game_file(GAMES / "official_simple_seen_211" / "game.tw-pddl.gz")
    g, out = _play(spec, ["go to shelf 1", "look", "go to toilet 1", "take toiletpaper 2 from toilet 1",
                          "examine toilet 1", "go to toiletpaperhanger 1", "put toiletpaper 2 in/on toiletpaperhanger 1"])
    assert out[0] == ("-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, "
                      "you see a bathtubbasin 1, a countertop 1, a drawer 4, a drawer 3, a drawer 2, a drawer 1, a dresser 1, "
                      "a garbagecan 1, a handtowelholder 2, a handtowelholder 1, a shelf 2, a shelf 1, a sinkbasin 1, "
                      "a toilet 1, a toiletpaperhanger 1, and a towelholder 1.\n\n"
                      "Your task is to: put a toiletpaper in toiletpaperhanger.")
    assert out[1:] == ["You arrive at loc 10. On the shelf 1, you see a candle 1, and a cloth 3.",
                       "You are facing the shelf 1. Next to it, you see nothing.",
                       "You arrive at loc 18. On the toilet 1, you see a candle 3, and a toiletpaper 2.",
                       "You pick up the toiletpaper 2 from the toilet 1.",
                       "On the toilet 1, you see a candle 3.",
                       "You arrive at loc 19. On the toiletpaperhanger 1, you see nothing.",
                       "You put the toiletpaper 2 in/on the toiletpaperhanger 1."]
    assert g.won


@needs_games
def test_real_engine_strings_shared_location_and_two_parents():
    spec = load_game_file(GAMES / "official_cool_seen_211" / "game.tw-pddl.gz")
    g, out = _play(spec, ["go to stoveburner 2", "look", "go to countertop 2", "look", "take mug 1 from countertop 2",
                          "examine mug 1", "go to stoveburner 4"])
    assert out[1:] == [
        "You arrive at loc 25. On the stoveburner 2, you see a pan 2.",
        "You are facing the stoveburner 4, and stoveburner 2. Next to it, you see nothing.",
        "You arrive at loc 16. On the countertop 2, you see a bread 2, a butterknife 1, a knife 1, a mug 1, a pan 2, "
        "a potato 2, a potato 1, and a tomato 1.",
        "You are facing the coffeemachine 1, and countertop 2. Next to it, you see nothing.",
        "You pick up the mug 1 from the countertop 2.",
        "This is a normal mug 1. In it, you see nothing.",
        "You arrive at loc 25. On the stoveburner 4, you see a pot 1."]
    cmds = g.admissible_commands()
    assert "go to stoveburner 2" not in cmds and "examine stoveburner 2" in cmds and "examine mug 1" in cmds


@needs_games
def test_real_engine_strings_v04():
    spec = load_game_file(GAMES / "official_simple_unseen_212" / "game.tw-pddl.gz")
    g, out = _play(spec, ["look", "go to shelf 1", "go to shelf 2"])
    assert out[1:] == ["You are in the middle of a room. Looking quickly around you, you see nothing.",
                       "You arrive at shelf 1. On the shelf 1, you see nothing.",
                       "You arrive at shelf 2. On the shelf 2, you see a mug 1."]
    assert "help" in g.admissible_commands()


@needs_games
def test_env_plays_game_files_with_their_own_wording():
    env = AlfWorldEnv(game_files=FILES[:2] + [GAMES / "official_two_unseen_212" / "game.tw-pddl.gz"], split="test")
    _, info = env.reset(options={"task_id": 2})
    assert info["split"] == "test" and info["dialect"] == "v04" and info["game"].endswith("game.tw-pddl.gz")
    assert info["task_type"] == "pick_two_obj_and_place"
    with pytest.raises(ValueError, match="unknown split"):
        env.reset(options={"split": "train"})


# ---------------------------------------------------------------------------------------------- malformed files
GOOD_DOMAIN = "(define (domain alfred) (:action GotoLocation) (:action PutObject))"
GOOD_GRAMMAR = ('"task": [ { "rhs": "Your task is to: put some apple on fridge." } ]\n'
                'action PutObject { template :: "put {o} in/on {r}"; }')


def _write(tmp_path, data, name="game.tw-pddl", raw=None):
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else json.dumps(data).encode())
    return path


def _tiny_problem():
    from spa_gym.envs.alfworld.world import TINY_PROBLEM

    return TINY_PROBLEM


def test_loader_reads_a_minimal_file_plain_and_gz(tmp_path):
    data = {"pddl_domain": GOOD_DOMAIN, "grammar": GOOD_GRAMMAR, "pddl_problem": _tiny_problem(), "solvable": True}
    plain = load_game_file(_write(tmp_path, data))
    packed = load_game_file(_write(tmp_path, None, "game.tw-pddl.gz", gzip.compress(json.dumps(data).encode())))
    assert plain.problem == packed.problem and plain.goal == "put some apple on fridge"
    assert plain.task_type == "pick_and_place_simple" and plain.pddl_params["object_target"] == "Apple"
    assert plain.dialect == "classic" and plain.walkthrough is None and not plain.scene["clean_in_sink_type"]


@pytest.mark.parametrize("mutate,match", [
    (None, "not a readable"),
    (lambda d: d.pop("pddl_problem"), "lacks pddl_problem"),
    (lambda d: d.update(pddl_problem="(define (problem p)"), "unbalanced"),
    (lambda d: d.update(pddl_domain=GOOD_DOMAIN.replace("PutObject)", "PutObject) (:action Teleport)")), "teleport"),
    (lambda d: d.update(grammar="no templates here"), "neither the classic nor the v04"),
    (lambda d: d.update(grammar=GOOD_GRAMMAR.replace("put some apple on fridge", "UNKNOWN GOAL")), "UNKNOWN GOAL"),
    (lambda d: d.update(walkthrough="go to fridge 1"), "walkthrough"),
])
def test_malformed_game_file_raises_value_error_naming_the_file(tmp_path, mutate, match):
    data = {"pddl_domain": GOOD_DOMAIN, "grammar": GOOD_GRAMMAR, "pddl_problem": _tiny_problem()}
    if mutate is None:
        path = _write(tmp_path, None, raw=b"\x00not json")
    else:
        mutate(data)
        path = _write(tmp_path, data)
    with pytest.raises(ValueError, match=match) as err:
        load_game_file(path)
    assert str(path) in str(err.value)
