"""The ALFWorld task generator: determinism, splits, fixed manifests, ALFRED's rules, solvability."""

from __future__ import annotations

import collections
import functools
import json
import re
import subprocess
import sys

import pytest

from spa_gym.envs.alfworld import tables as T
from spa_gym.envs.alfworld.game import TASK_TYPES
from spa_gym.envs.alfworld.generator import display_names, draw_game, engine_check, get_layout, make_game
from spa_gym.envs.alfworld.splits import (
    ALFWORLD_TASKS, MANIFEST_SPLITS, UNSEEN_LAYOUTS, build_manifest, manifest_path, problem_sha256,
)

SPLITS = ALFWORLD_TASKS.splits
#: 72 tasks spanning every split and, three times each, every task type (types cycle with the id; 5 and 6
#: are coprime, so a stride of 5 meets them all).
SAMPLE = [(split, i) for split in SPLITS for i in range(0, 90, 5)]


def _atoms(problem: str, pred: str) -> list[tuple[str, ...]]:
    """Ground atoms of ``pred`` in the problem's :init section."""
    init = problem[problem.index("(:init"):problem.index("(:goal")]
    return [tuple(m.split()) for m in re.findall(rf"\({pred} ([^()]+)\)", init)]


def _all_games(split: str):
    return [make_game(split, i) for i in range(ALFWORLD_TASKS.size(split))]


@functools.lru_cache(maxsize=None)
def _train_draws() -> tuple[tuple[str, str], ...]:
    """(task type, problem sha256) of every train task as first drawn (the engine check skipped: 3,553 games)."""
    draws = (draw_game("train", i) for i in range(ALFWORLD_TASKS.size("train")))
    return tuple((d[0].task_type, problem_sha256(d[0].problem)) for d in draws if d is not None)


def test_split_sizes_match_the_original():
    assert ALFWORLD_TASKS.size("train") >= 3000
    assert {s: ALFWORLD_TASKS.size(s) for s in ("valid", "test", "test_unseen")} == \
        {"valid": 140, "test": 140, "test_unseen": 134}


def test_same_task_same_game_in_another_process():
    picks = [("test", 0), ("test_unseen", 7), ("train", 1234), ("valid", 139)]
    code = ("import json; from spa_gym.envs.alfworld.generator import make_game\n"
            f"print(json.dumps([make_game(s, i, 'v04').problem + str(make_game(s, i, 'v04').walkthrough) "
            f"for s, i in {picks!r}]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [make_game(s, i, "v04").problem + str(make_game(s, i, "v04").walkthrough)
                               for s, i in picks]


def test_splits_never_overlap_and_unseen_layouts_stay_held_out():
    # Problems are named after their own content, so equal games would have equal texts. The evaluation
    # splits are compared as make_game returns them; train (3,553 games) as first drawn, which is what
    # make_game keeps unless the engine check rejects a draw (benchmarks/alfworld_generator.py checks that
    # over every task).
    hashes = {split: [problem_sha256(g.problem) for g in _all_games(split)] for split in SPLITS if split != "train"}
    hashes["train"] = [sha for _, sha in _train_draws()]
    assert len(hashes["train"]) > 0.99 * ALFWORLD_TASKS.size("train")
    for split, hs in hashes.items():
        assert len(set(hs)) == len(hs), f"{split} repeats a game"
    for a in SPLITS:
        for b in SPLITS:
            if a < b:
                assert not set(hashes[a]) & set(hashes[b]), f"{a} and {b} share a game"
    for split in SPLITS:
        n = ALFWORLD_TASKS.size(split)
        layouts = {make_game(split, i).scene["layout"] for i in range(0, n, 1 if split != "train" else 7)}
        if split == "test_unseen":
            assert layouts <= UNSEEN_LAYOUTS
        else:
            assert not layouts & UNSEEN_LAYOUTS


@pytest.mark.parametrize("split", MANIFEST_SPLITS)
def test_fixed_test_sets_match_their_manifest_byte_for_byte(split):
    # A failure here means the generator changed a published test set: bump splits.VERSION and write
    # new manifests (python -m spa_gym.envs.alfworld.splits) instead of editing these.
    committed = manifest_path(split).read_text(encoding="utf-8")
    assert build_manifest(split) == committed
    manifest = json.loads(committed)
    assert manifest["size"] == len(manifest["tasks"]) == ALFWORLD_TASKS.size(split)


@pytest.mark.parametrize("split", SPLITS)
def test_task_types_are_balanced(split):
    if split == "train":
        counts = collections.Counter(task_type for task_type, _ in _train_draws())
    else:
        counts = collections.Counter(g.task_type for g in _all_games(split))
    assert set(counts) == set(TASK_TYPES)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_the_sample_covers_every_split_and_type():
    covered = collections.Counter((split, make_game(split, i).task_type) for split, i in SAMPLE)
    assert set(covered) == {(split, t) for split in SPLITS for t in TASK_TYPES}


def test_rooms_fit_their_task_types_and_sizes_span_small_to_floorplan():
    for split, i in SAMPLE:
        game = make_game(split, i)
        assert game.scene["scene_type"] in T.VALID_SCENES[game.task_type]
    sizes = [len(get_layout(n).receptacles) for numbers in T.LAYOUT_NUMBERS.values() for n in numbers]
    assert min(sizes) <= 7 and max(sizes) >= 35
    objects = [d[0].scene["objects"] for i in range(300) if (d := draw_game("train", i)) is not None]
    assert min(objects) <= 12 and max(objects) >= 55


def test_problems_follow_alfreds_rules():
    for split, i in SAMPLE:
        p = make_game(split, i).problem
        rtype = dict(_atoms(p, "receptacleType"))
        otype = dict(_atoms(p, "objectType"))
        pickupable = {o for (o,) in _atoms(p, "pickupable")}
        contain = set(_atoms(p, "canContain"))
        # canContain is exactly ALFRED's table over the receptacle classes and pickupable classes present
        expected = {(r, o) for r in set(rtype.values()) for o in {otype[x] for x in pickupable}
                    if T.can_contain(r[:-4], o[:-4])}
        assert contain == expected
        for obj, rec in _atoms(p, "inReceptacle"):
            if obj in pickupable:
                assert (rtype[rec], otype[obj]) in contain, (split, i, obj, rec)
            else:  # decorations stand only where they belong
                assert rtype[rec][:-4] in T.DECOR_HOSTS[otype[obj][:-4]]
        # every type constant the domain names is declared; sinks are named so they show as "sinkbasin"
        for const in ("KnifeType - otype", "ButterKnifeType - otype", "SinkBasinType - rtype",
                      "MicrowaveType - rtype", "FridgeType - rtype"):
            assert const in p
        for rec, t in rtype.items():
            if t == "SinkBasinType":
                assert rec.startswith("Sink_bar_") and rec.endswith("_bar_SinkBasin")
        for (o,) in _atoms(p, "openable"):
            assert rtype[o][:-4] in T.OPENABLE_CLASSES
        for pred, table in (("heatable", T.HEATABLE), ("coolable", T.COOLABLE), ("cleanable", T.CLEANABLE),
                            ("sliceable", T.SLICEABLE), ("toggleable", T.TOGGLEABLE)):
            assert all(otype[o][:-4] in table for (o,) in _atoms(p, pred))


def test_goals_and_params_agree():
    for split, i in SAMPLE:
        game = make_game(split, i)
        params = game.pddl_params
        words = {"obj": params["object_target"].lower(), "recep": params["parent_target"].lower(),
                 "toggle": params["toggle_target"].lower()}
        assert game.goal in [t.format(**words) for t in T.GOAL_TEMPLATES[game.task_type]]
        assert f"(objectType ?o{'1' if 'two' in game.task_type else ''} {params['object_target']}Type)" in game.problem
        appliance = T.APPLIANCE.get(game.task_type)
        if appliance:
            assert params["object_target"] in T.TASK_OBJECTS[game.task_type]
            assert f"{appliance}Type)" in game.problem


def test_walkthrough_is_dialect_specific_and_problem_is_not():
    classic, v04 = make_game("valid", 0, "classic"), make_game("valid", 0, "v04")
    assert classic.problem == v04.problem and v04.dialect == "v04"
    assert classic.walkthrough[-1].startswith("put ") and " in/on " in classic.walkthrough[-1]
    assert v04.walkthrough[-1].startswith("move ") and " to " in v04.walkthrough[-1]


def test_display_names_number_downwards_within_a_class():
    names = display_names(["Drawer_bar__minus_01", "Drawer_bar__plus_02", "Sink_bar_0_bar_SinkBasin", "Sink_bar_0"])
    assert names == {"Drawer_bar__minus_01": "drawer 2", "Drawer_bar__plus_02": "drawer 1",
                     "Sink_bar_0": "sink 1", "Sink_bar_0_bar_SinkBasin": "sinkbasin 1"}


@pytest.mark.parametrize("bad", [("nope", 0), ("test", 140), ("test", -1), ("train", "3")])
def test_bad_requests_are_clear_errors(bad):
    with pytest.raises(ValueError):
        make_game(*bad)
    with pytest.raises(ValueError, match="dialect"):
        make_game("test", 0, dialect="modern")


def test_engine_check_catches_a_broken_walkthrough():
    import dataclasses

    game = make_game("test", 0)
    assert "not admissible" in engine_check(dataclasses.replace(game, walkthrough=("go to moon 1",)))
    assert "does not win" in engine_check(dataclasses.replace(game, walkthrough=game.walkthrough[:-1]))


def test_every_problem_parses_in_the_native_reader():
    from spa_gym.envs.alfworld import pddl

    for split, i in SAMPLE:
        problem = pddl.parse_problem(make_game(split, i).problem)
        assert problem.goal and problem.init


def test_walkthroughs_win_and_the_expert_solves_a_sample_of_every_type_and_split():
    from spa_gym.envs.alfworld.expert import solve

    for split, i in SAMPLE:
        for dialect in ("classic", "v04"):
            game = make_game(split, i, dialect)
            assert engine_check(game) is None, (split, i, dialect)
            plan = solve(game)
            assert plan is not None and len(plan) <= len(game.walkthrough), (split, i, dialect)


@pytest.mark.textworld
def test_real_alfworld_engine_plays_generated_games_to_a_win():
    backend = pytest.importorskip("spa_gym.envs.alfworld.textworld_backend")
    if not backend.is_available():
        pytest.skip(f"real ALFWorld engine not installed ({backend.INSTALL_HINT})")
    # The smallest game of each type among the first test tasks keeps the real engine's resets short.
    smallest = {}
    for i in range(60):
        g = make_game("test", i)
        if g.task_type not in smallest or g.scene["receptacles"] < smallest[g.task_type].scene["receptacles"]:
            smallest[g.task_type] = g
    for k, game in enumerate(smallest.values()):
        if k % 2:
            game = make_game("test", int(game.name.rsplit("/", 1)[1]), "v04")
        with backend.TextWorldGame(game) as tw:
            tw.reset()
            for command in game.walkthrough:
                assert command in tw.admissible_commands, (game.name, game.dialect, command)
                _, won, _ = tw.step(command)
            assert won, (game.name, game.dialect)


def test_heat_walkthrough_heats_at_the_microwave_before_placing():
    game = make_game("test", 3)
    assert game.task_type == "pick_heat_then_place_in_recep"
    plan = list(game.walkthrough)
    heat = next(i for i, c in enumerate(plan) if c.startswith("heat "))
    take = next(i for i, c in enumerate(plan) if c.startswith("take "))
    assert take < heat < len(plan) - 1 and plan[-1].startswith("put ")
    assert plan[heat].endswith("with microwave 1")
