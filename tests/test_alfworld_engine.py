"""The native ALFWorld engine: rules, strings (both wordings, quirks and strict fixes), goals, expert, env.

The expected strings are the real engine's (alfworld 0.4.2 + textworld 1.7.0) as observed on official
game files; the parity test replays whole games against the real engine when it is installed.
"""

from __future__ import annotations

import pickle

import pytest
from gymnasium.utils.env_checker import check_env

from spa_gym.envs.alfworld.env import TINY_GAME, AlfWorldEnv, NativeGame
from spa_gym.envs.alfworld.expert import plan, solve
from spa_gym.envs.alfworld.game import GameSpec
from spa_gym.envs.alfworld.goals import Goal, goal_params
from spa_gym.envs.alfworld.pddl import parse_problem
from spa_gym.envs.alfworld.text import HELP_TEXT, phrase_list
from spa_gym.envs.alfworld.world import Scene, demangle

# One kitchen with every feature: two cabinets sharing a location, an open drawer, appliances, a lamp,
# a knife, a receptacle object (mug) with something in it, an object with two parents (the mug), a
# floor object (window) and a second apple behind a closed cabinet door. Ids are numbered downwards:
# apple_bar_01 is "apple 2", cabinet_bar_02 is "cabinet 1", loc_bar_1 is "loc 7".
OBJECTS = """agent1 - agent
  Apple_bar_01 Apple_bar_02 Knife_bar_01 Mug_bar_01 Spoon_bar_01 Book_bar_01 DeskLamp_bar_01 Window_bar_01 - object
  CounterTop_bar_01 Cabinet_bar_01 Cabinet_bar_02 Drawer_bar_01 Microwave_bar_01 Fridge_bar_01
  Sink_bar_01_bar_SinkBasin SideTable_bar_01 - receptacle
  loc_bar_0 loc_bar_1 loc_bar_2 loc_bar_3 loc_bar_4 loc_bar_5 loc_bar_6 loc_bar_7 - location
  AppleType KnifeType ButterKnifeType MugType SpoonType BookType DeskLampType WindowType - otype
  CounterTopType CabinetType DrawerType MicrowaveType FridgeType SinkBasinType SideTableType - rtype"""

RECEPTACLES = [("CounterTop_bar_01", "CounterTopType", 1), ("Cabinet_bar_01", "CabinetType", 2),
               ("Cabinet_bar_02", "CabinetType", 2), ("Drawer_bar_01", "DrawerType", 3),
               ("Microwave_bar_01", "MicrowaveType", 4), ("Fridge_bar_01", "FridgeType", 5),
               ("Sink_bar_01_bar_SinkBasin", "SinkBasinType", 6), ("SideTable_bar_01", "SideTableType", 7)]
OPENABLE = ["Cabinet_bar_01", "Cabinet_bar_02", "Drawer_bar_01", "Microwave_bar_01", "Fridge_bar_01"]
PLACED = [("Apple_bar_02", "AppleType", "CounterTop_bar_01", 1), ("Apple_bar_01", "AppleType", "Cabinet_bar_01", 2),
          ("Knife_bar_01", "KnifeType", "Drawer_bar_01", 3), ("Mug_bar_01", "MugType", "CounterTop_bar_01", 1),
          ("Spoon_bar_01", "SpoonType", "CounterTop_bar_01", 1), ("Book_bar_01", "BookType", "SideTable_bar_01", 7),
          ("DeskLamp_bar_01", "DeskLampType", "SideTable_bar_01", 7)]
CAN_CONTAIN = {"CounterTopType": "Apple Knife Mug Spoon Book", "CabinetType": "Apple Mug", "DrawerType": "Knife Spoon",
               "MicrowaveType": "Apple Mug", "FridgeType": "Apple Mug", "SinkBasinType": "Apple Mug",
               "SideTableType": "Book Apple Mug"}

GOALS = {
    "pick_and_place_simple": "(exists (?r - receptacle) (exists (?o - object) (and (inReceptacle ?o ?r) "
                             "(objectType ?o AppleType) (receptacleType ?r FridgeType))))",
    "pick_heat_then_place_in_recep": "(exists (?r - receptacle) (exists (?o - object) (and (heatable ?o) "
                                     "(objectType ?o AppleType) (receptacleType ?r SideTableType) (isHot ?o) (inReceptacle ?o ?r))))",
    "pick_cool_then_place_in_recep": "(exists (?r - receptacle) (exists (?o - object) (and (coolable ?o) "
                                     "(objectType ?o MugType) (receptacleType ?r SideTableType) (isCool ?o) (inReceptacle ?o ?r))))",
    "pick_clean_then_place_in_recep": "(exists (?r - receptacle) (exists (?o - object) (and (cleanable ?o) "
                                      "(objectType ?o AppleType) (receptacleType ?r CabinetType) (isClean ?o) (inReceptacle ?o ?r))))",
    "pick_two_obj_and_place": "(exists (?r - receptacle) (exists (?o1 - object) (and (objectType ?o1 AppleType) "
                              "(receptacleType ?r FridgeType) (inReceptacle ?o1 ?r) (exists (?o2 - object) (and "
                              "(not (= ?o1 ?o2)) (objectType ?o2 AppleType) (receptacleType ?r FridgeType) (inReceptacle ?o2 ?r))))))",
    "look_at_obj_in_light": "(and (exists (?ot - object ?r - receptacle ?a - agent ?l - location) (and "
                            "(objectType ?ot DeskLampType) (toggleable ?ot) (isToggled ?ot) (receptacleAtLocation ?r ?l) "
                            "(atLocation ?a ?l) (inReceptacle ?ot ?r))) (exists (?o - object ?a - agent) (and "
                            "(objectType ?o BookType) (holds ?a ?o))))",
}
SENTENCES = {"pick_and_place_simple": "put some apple on fridge", "pick_heat_then_place_in_recep": "put a hot apple in sidetable",
             "pick_cool_then_place_in_recep": "put a cool mug in sidetable", "pick_clean_then_place_in_recep": "put a clean apple in cabinet",
             "pick_two_obj_and_place": "put two apple in fridge", "look_at_obj_in_light": "look at book under the desklamp"}


def problem(task_type: str = "pick_and_place_simple", extra_init: str = "") -> str:
    init = ["(atLocation agent1 loc_bar_0)"]
    for r, t, l in RECEPTACLES:
        init += [f"(receptacleType {r} {t})", f"(receptacleAtLocation {r} loc_bar_{l})"]
    init += [f"(openable {r})" for r in OPENABLE] + ["(opened Drawer_bar_01)"]
    for o, t, r, l in PLACED:
        init += [f"(objectType {o} {t})", f"(inReceptacle {o} {r})", f"(objectAtLocation {o} loc_bar_{l})"]
    init += ["(inReceptacle Mug_bar_01 Cabinet_bar_02)", "(objectType Window_bar_01 WindowType)",
             "(objectAtLocation Window_bar_01 loc_bar_1)", "(isReceptacleObject Mug_bar_01)",
             "(inReceptacleObject Spoon_bar_01 Mug_bar_01)", "(toggleable DeskLamp_bar_01)"]
    for o in ("Apple_bar_01", "Apple_bar_02", "Knife_bar_01", "Mug_bar_01", "Spoon_bar_01", "Book_bar_01"):
        init.append(f"(pickupable {o})")
    for o in ("Apple_bar_01", "Apple_bar_02", "Mug_bar_01"):
        init += [f"(heatable {o})", f"(coolable {o})", f"(cleanable {o})"]
    init += ["(sliceable Apple_bar_01)", "(sliceable Apple_bar_02)"]
    for rt, objs in CAN_CONTAIN.items():
        init += [f"(canContain {rt} {o}Type)" for o in objs.split()]
    return (f"(define (problem kitchen) (:domain alfred)\n(:objects {OBJECTS})\n(:init {' '.join(init)} {extra_init})\n"
            f"(:goal {GOALS[task_type]}))")


def game(task_type: str = "pick_and_place_simple", dialect: str = "classic", strict: bool = False,
         extra_init: str = "") -> NativeGame:
    spec = GameSpec(problem(task_type, extra_init), task_type, SENTENCES[task_type], dialect, name=f"kitchen/{task_type}")
    g = NativeGame(spec, strict=strict)
    g.reset()
    return g


def play(g: NativeGame, *commands: str) -> str:
    obs = ""
    for c in commands:
        assert c in g.admissible_commands(), f"{c!r} not admissible: {g.admissible_commands()}"
        obs, _ = g.play(c)
    return obs


# ---------------------------------------------------------------------------------------------- names and lists
def test_demangler_numbers_downwards_in_ascending_id_order_and_adds_basin():
    names = demangle(["cabinet_bar__minus_01", "cabinet_bar__plus_01", "cabinet_bar_00", "sink_bar_1_bar_sinkbasin",
                      "sink_bar_2", "bathtub_bar_3_bar_bathtubbasin", "loc_bar_5", "loc_bar_10"])
    # Plain string order: "_bar_00" < "_bar__minus_01" < "_bar__plus_01" ('0' < '_', 'm' < 'p').
    assert names["cabinet_bar_00"] == "cabinet 3" and names["cabinet_bar__minus_01"] == "cabinet 2"
    assert names["cabinet_bar__plus_01"] == "cabinet 1"
    assert names["sink_bar_1_bar_sinkbasin"] == "sinkbasin 1" and names["sink_bar_2"] == "sink 1"
    assert names["bathtub_bar_3_bar_bathtubbasin"] == "bathtubbasin 1"
    assert names["loc_bar_10"] == "loc 2" and names["loc_bar_5"] == "loc 1"


def test_list_phrasing_uses_a_and_oxford_and():
    assert phrase_list([]) == "nothing"
    assert phrase_list(["a x 1"]) == "a x 1"
    assert phrase_list(["a x 1", "a y 1"]) == "a x 1, and a y 1"
    assert phrase_list(["a x 1", "a y 1", "a z 1"]) == "a x 1, a y 1, and a z 1"


# ---------------------------------------------------------------------------------------------- intro and look
def test_intro_has_three_parts_and_lists_receptacles_in_id_order():
    g = NativeGame(GameSpec(problem(), "pick_and_place_simple", "put some apple on fridge", name="k"))
    obs, info = g.reset()
    welcome, room, task = obs.split("\n\n")
    assert welcome == "-= Welcome to TextWorld, ALFRED! =-"
    assert room == ("You are in the middle of a room. Looking quickly around you, you see a cabinet 2, a cabinet 1, "
                    "a countertop 1, a drawer 1, a fridge 1, a microwave 1, a sidetable 1, and a sinkbasin 1.")
    assert task == "Your task is to: put some apple on fridge."
    assert info["admissible_commands"] == sorted(info["admissible_commands"]) and not info["won"]


def test_look_at_start_lists_nothing_unless_strict():
    assert play(game(), "look") == "You are in the middle of a room. Looking quickly around you, you see nothing."
    assert play(game(strict=True), "look").endswith("you see a cabinet 2, a cabinet 1, a countertop 1, a drawer 1, "
                                                     "a fridge 1, a microwave 1, a sidetable 1, and a sinkbasin 1.")


def test_look_names_every_receptacle_of_a_shared_location_and_what_was_moved_between_them():
    g = game()
    assert play(g, "go to cabinet 1", "look") == "You are facing the cabinet 2, and cabinet 1. Next to it, you see nothing."
    # Take the apple from cabinet 2 and put it in cabinet 1: TextWorld keeps not_inreceptacle(apple, cabinet 2),
    # so the apple, at this location and "not in" a receptacle here, is listed next to it.
    play(g, "open cabinet 2", "take apple 2 from cabinet 2", "open cabinet 1", "put apple 2 in/on cabinet 1")
    assert play(g, "look") == "You are facing the cabinet 2, and cabinet 1. Next to it, you see a apple 2."
    play(g, "take apple 2 from cabinet 1", "put apple 2 in/on cabinet 2")
    assert play(g, "look") == "You are facing the cabinet 2, and cabinet 1. Next to it, you see a apple 2."
    play(g, "take apple 2 from cabinet 2", "go to countertop 1", "put apple 2 in/on countertop 1")
    assert play(g, "go to cabinet 2", "look") == "You are facing the cabinet 2, and cabinet 1. Next to it, you see nothing."


# ---------------------------------------------------------------------------------------------- movement
@pytest.mark.parametrize("dialect,arrive", [("classic", "You arrive at loc 7."), ("v04", "You arrive at countertop 1.")])
def test_go_to_wording_per_dialect(dialect, arrive):
    obs = play(game(dialect=dialect), "go to countertop 1")
    assert obs == f"{arrive} On the countertop 1, you see a apple 1, a mug 1, and a spoon 1."


def test_go_to_is_not_offered_for_any_receptacle_at_the_current_location():
    g = game()
    play(g, "go to cabinet 2")
    cmds = g.admissible_commands()
    assert "go to cabinet 1" not in cmds and "go to cabinet 2" not in cmds and "go to fridge 1" in cmds
    assert {"examine cabinet 1", "examine cabinet 2", "open cabinet 1", "open cabinet 2"} <= set(cmds)


# ---------------------------------------------------------------------------------------------- open, close, examine
def test_open_close_and_examine_receptacle_rules():
    g = game()
    assert play(g, "go to fridge 1") == "You arrive at loc 3. The fridge 1 is closed."
    assert "close fridge 1" not in g.admissible_commands()
    assert play(g, "open fridge 1") == "You open the fridge 1. The fridge 1 is open. In it, you see nothing."
    assert "open fridge 1" not in g.admissible_commands()
    assert play(g, "examine fridge 1") == "The fridge 1 is open. In it, you see nothing."
    assert play(g, "close fridge 1") == "You close the fridge 1."
    assert play(g, "examine fridge 1") == "The fridge 1 is closed."
    assert play(g, "go to drawer 1") == "You arrive at loc 5. The drawer 1 is open. In it, you see a knife 1."
    assert play(g, "go to countertop 1", "examine countertop 1") == \
        "On the countertop 1, you see a apple 1, a mug 1, and a spoon 1."


def test_take_needs_an_open_receptacle_and_empty_hands():
    g = game()
    play(g, "go to cabinet 2")
    assert "take apple 2 from cabinet 2" not in g.admissible_commands()
    assert g.play("take apple 2 from cabinet 2") == ("Nothing happens.", False)
    assert play(g, "open cabinet 2", "take apple 2 from cabinet 2") == "You pick up the apple 2 from the cabinet 2."
    play(g, "go to countertop 1")
    assert not [c for c in g.admissible_commands() if c.startswith("take ")]
    assert play(g, "inventory") == "You are carrying: a apple 2."


def test_object_with_two_parents_stays_listed_in_the_other():
    g = game()
    play(g, "go to countertop 1", "take mug 1 from countertop 1")
    assert play(g, "examine countertop 1") == "On the countertop 1, you see a apple 1, and a spoon 1."
    assert play(g, "go to cabinet 1", "open cabinet 1") == "You open the cabinet 1. The cabinet 1 is open. In it, you see a mug 1."


@pytest.mark.parametrize("dialect,cmd,text", [
    ("classic", "put apple 1 in/on fridge 1", "You put the apple 1 in/on the fridge 1."),
    ("v04", "move apple 1 to fridge 1", "You move the apple 1 to the fridge 1.")])
def test_put_wording_needs_open_receptacle_and_can_contain(dialect, cmd, text):
    g = game(dialect=dialect)
    play(g, "go to countertop 1", "take apple 1 from countertop 1", "go to drawer 1")
    assert not [c for c in g.admissible_commands() if c.startswith(("put ", "move "))]  # a drawer holds no apple
    play(g, "go to fridge 1")
    assert g.play(cmd) == ("Nothing happens.", False)  # closed
    play(g, "open fridge 1")
    assert play(g, cmd) == text
    assert g.won and "You are not carrying anything." == play(g, "inventory")


# ---------------------------------------------------------------------------------------------- appliances
def test_heat_cool_clean_work_on_closed_appliances_and_examine_says_so():
    g = game()
    play(g, "go to countertop 1", "take apple 1 from countertop 1")
    assert play(g, "examine apple 1") == "There's nothing special about apple 1."
    assert play(g, "go to microwave 1", "heat apple 1 with microwave 1") == "You heat the apple 1 using the microwave 1."
    assert "heat apple 1 with microwave 1" in g.admissible_commands()  # stays admissible
    assert play(g, "examine apple 1") == "This is a hot apple 1."
    assert play(g, "go to fridge 1", "cool apple 1 with fridge 1") == "You cool the apple 1 using the fridge 1."
    assert play(g, "examine apple 1") == "This is a cold apple 1."  # cooling clears hot
    assert play(g, "go to sinkbasin 1", "clean apple 1 with sinkbasin 1") == "You clean the apple 1 using the sinkbasin 1."
    assert play(g, "examine apple 1") == "This is a cool and clean apple 1."
    play(g, "go to microwave 1", "heat apple 1 with microwave 1")
    assert play(g, "examine apple 1") == "This is a hot and clean apple 1."


@pytest.mark.parametrize("flags,text", [
    ((), "There's nothing special about apple 1."),
    (("hot",), "This is a hot apple 1."), (("cool",), "This is a cold apple 1."), (("clean",), "This is a clean apple 1."),
    (("hot", "clean"), "This is a hot and clean apple 1."), (("cool", "clean"), "This is a cool and clean apple 1."),
    (("sliced",), "This is a sliced apple 1."), (("sliced", "hot"), "This is a hot sliced apple 1."),
    (("sliced", "cool"), "This is a cool sliced apple 1."), (("sliced", "clean"), "This is a clean sliced apple 1."),
    (("sliced", "hot", "clean"), "This is a hot and clean sliced apple 1."),
    (("sliced", "cool", "clean"), "This is a cool and clean sliced apple 1.")])
def test_every_examine_object_rule(flags, text):
    g = game()
    for flag in flags:
        getattr(g.state, flag).add("apple_bar_02")
    assert g.text.examine_object(g.state, "apple_bar_02") == text


def test_examine_toggled_lamp_says_on():
    g = game()
    assert g.text.examine_object(g.state, "desklamp_bar_01") == "There's nothing special about desklamp 1."
    g.state.toggled.add("desklamp_bar_01")
    assert g.text.examine_object(g.state, "desklamp_bar_01") == "This desklamp 1 is on."


def test_only_the_held_object_can_be_examined_unless_strict():
    g = game()
    play(g, "go to countertop 1")
    assert "examine apple 1" not in g.admissible_commands()
    s = game(strict=True)
    assert play(s, "go to countertop 1", "examine apple 1") == "There's nothing special about apple 1."


def test_receptacle_object_examines_as_normal_unless_strict():
    for strict, expected in ((False, "This is a normal mug 1. In it, you see a spoon 1."),
                             (True, "This is a hot mug 1. In it, you see a spoon 1.")):
        g = game(strict=strict)
        play(g, "go to countertop 1", "take mug 1 from countertop 1", "go to microwave 1", "heat mug 1 with microwave 1")
        assert play(g, "examine mug 1") == expected


def test_use_lamp_always_turns_on_unless_strict():
    g = game()
    play(g, "go to sidetable 1")
    assert play(g, "use desklamp 1") == "You turn on the desklamp 1."
    assert play(g, "use desklamp 1") == "You turn on the desklamp 1."
    s = game(strict=True)
    play(s, "go to sidetable 1")
    assert [play(s, "use desklamp 1") for _ in range(2)] == ["You turn on the desklamp 1.", "You turn off the desklamp 1."]


def test_slice_needs_a_held_knife_and_the_object_at_the_location():
    g = game()
    play(g, "go to drawer 1", "take knife 1 from drawer 1", "go to countertop 1")
    assert "slice apple 1 with knife 1" in g.admissible_commands()
    assert play(g, "slice apple 1 with knife 1") == "You sliced the apple 1 with the knife 1."
    play(g, "put knife 1 in/on countertop 1", "take apple 1 from countertop 1")
    assert play(g, "examine apple 1") == "This is a sliced apple 1."


def test_help_only_in_v04_and_text_is_exact():
    assert "help" not in game().admissible_commands()
    g = game(dialect="v04")
    assert play(g, "help") == HELP_TEXT
    assert HELP_TEXT.startswith("Available commands:\n  look:") and HELP_TEXT.count("\n") == 14


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("command", ["", "x" * 10_000, "\u00e9\u4e2d\U0001F600", "\x00\x07\n", "Look", "look.",
                                     "go  to countertop 1", "go to countertop 9", "take apple 1 from countertop 1",
                                     "search[s]", "search['s]", "search[men\u2019s running shoes]"])
def test_bad_commands_do_nothing(command):
    g = game()
    before = g.get_state()
    assert g.play(command) == ("Nothing happens.", False)
    assert g.state == before


def test_commands_are_stripped_before_matching():
    assert game().play("  look \n")[1] is True


# ---------------------------------------------------------------------------------------------- goals
WINS = {
    "pick_and_place_simple": ["go to countertop 1", "take apple 1 from countertop 1", "go to fridge 1", "open fridge 1",
                              "put apple 1 in/on fridge 1"],
    "pick_heat_then_place_in_recep": ["go to countertop 1", "take apple 1 from countertop 1", "go to microwave 1",
                                      "heat apple 1 with microwave 1", "go to sidetable 1", "put apple 1 in/on sidetable 1"],
    "pick_cool_then_place_in_recep": ["go to countertop 1", "take mug 1 from countertop 1", "go to fridge 1",
                                      "cool mug 1 with fridge 1", "go to sidetable 1", "put mug 1 in/on sidetable 1"],
    "pick_clean_then_place_in_recep": ["go to countertop 1", "take apple 1 from countertop 1", "go to sinkbasin 1",
                                       "clean apple 1 with sinkbasin 1", "go to cabinet 1", "open cabinet 1",
                                       "put apple 1 in/on cabinet 1"],
    "pick_two_obj_and_place": ["go to countertop 1", "take apple 1 from countertop 1", "go to fridge 1", "open fridge 1",
                               "put apple 1 in/on fridge 1", "go to cabinet 2", "open cabinet 2",
                               "take apple 2 from cabinet 2", "go to fridge 1", "put apple 2 in/on fridge 1"],
    "look_at_obj_in_light": ["go to sidetable 1", "take book 1 from sidetable 1", "use desklamp 1"],
}


@pytest.mark.parametrize("task_type", sorted(WINS))
def test_each_goal_is_won_exactly_at_the_last_step(task_type):
    g = game(task_type)
    for i, cmd in enumerate(WINS[task_type]):
        assert not g.won, f"won early, before {cmd!r}"
        play(g, cmd)
    assert g.won


def test_goals_that_must_fail():
    g = game("pick_heat_then_place_in_recep")  # a cold apple does not count
    play(g, "go to countertop 1", "take apple 1 from countertop 1", "go to sidetable 1", "put apple 1 in/on sidetable 1")
    assert not g.won
    g = game("look_at_obj_in_light")  # holding the book away from the lamp
    play(g, "go to sidetable 1", "use desklamp 1", "take book 1 from sidetable 1", "go to countertop 1")
    assert not g.won
    play(g, "go to sidetable 1")
    assert g.won  # isToggled persists
    g = game("pick_two_obj_and_place")  # the same apple twice is one apple
    play(g, *WINS["pick_two_obj_and_place"][:5], "take apple 1 from fridge 1", "put apple 1 in/on fridge 1")
    assert not g.won


def test_goal_params_read_the_formula():
    for task_type, expected in [("pick_two_obj_and_place", ("appletype", "fridgetype", None, 2)),
                                ("pick_cool_then_place_in_recep", ("mugtype", "sidetabletype", "cool", 1)),
                                ("look_at_obj_in_light", ("booktype", None, None, 1))]:
        p = goal_params(parse_problem(problem(task_type)).goal)
        assert (p["object_type"], p["receptacle_type"], p["state"], p["count"]) == expected
    assert goal_params(parse_problem(problem("look_at_obj_in_light")).goal)["toggle_type"] == "desklamptype"


def test_goal_initially_true_is_reported_at_reset():
    g = game(extra_init="(inReceptacle Apple_bar_02 Fridge_bar_01)")
    assert g.won and g.reset()[1]["won"]


# ---------------------------------------------------------------------------------------------- expert
@pytest.mark.parametrize("task_type", sorted(WINS))
def test_expert_wins_each_task_type_at_most_as_long_as_a_handmade_win(task_type):
    spec = GameSpec(problem(task_type), task_type, SENTENCES[task_type], name=task_type)
    commands = solve(spec)
    g = game(task_type)
    play(g, *commands)
    assert g.won and len(commands) <= len(WINS[task_type])


def test_expert_solves_pick_two_from_different_receptacles_and_from_mid_game_states():
    g = game("pick_two_obj_and_place")
    play(g, "go to drawer 1", "take knife 1 from drawer 1", "go to cabinet 2")  # holding something useless
    acts = plan(g.scene, g.state, g.goal, goal_params(g.goal.formula))
    for a in acts:
        g.play(g.text.command(a))
    assert g.won


def test_env_expert_action_follows_and_recovers():
    spec = GameSpec(problem("pick_heat_then_place_in_recep"), "pick_heat_then_place_in_recep", "put a hot apple in sidetable")
    env = AlfWorldEnv(game_files=[spec], expert=True)
    _, info = env.reset(options={"task_id": 0})
    env.step("go to fridge 1")  # a detour
    for _ in range(12):
        _, reward, terminated, _, info = env.step(info["expert_action"])
        if terminated:
            break
    assert reward == 1.0 and info["won"]


# ---------------------------------------------------------------------------------------------- env contract
def test_env_passes_gymnasium_checker_and_adds_dialect_and_game():
    env = AlfWorldEnv(game_files=[TINY_GAME])
    check_env(env, skip_render_check=True)
    _, info = env.reset(seed=1)
    assert info["dialect"] == "classic" and info["game"] == "tiny" and info["task_type"] == "pick_and_place_simple"


def test_get_state_set_state_is_exact_and_picklable():
    spec = GameSpec(problem("pick_two_obj_and_place"), "pick_two_obj_and_place", "put two apple in fridge", name="two")
    env = AlfWorldEnv(game_files=[spec])
    env.reset(options={"task_id": 0})
    for cmd in WINS["pick_two_obj_and_place"][:6]:
        env.step(cmd)
    snap = pickle.loads(pickle.dumps(env.get_state()))
    rest = [env.step(c) for c in WINS["pick_two_obj_and_place"][6:]]
    other = AlfWorldEnv(game_files=[spec])
    other.reset(options={"task_id": 0})
    other.set_state(snap)
    assert [other.step(c) for c in WINS["pick_two_obj_and_place"][6:]] == rest
    assert rest[-1][2] is True


def test_bad_constructor_arguments_fail_clearly():
    with pytest.raises(ValueError, match="dialect"):
        AlfWorldEnv(dialect="modern", game_files=[TINY_GAME])
    with pytest.raises(ValueError, match="backend"):
        AlfWorldEnv(backend="thor", game_files=[TINY_GAME])
    with pytest.raises(ValueError, match="empty"):
        AlfWorldEnv(game_files=[])


@pytest.mark.parametrize("text,match", [
    ("(define (problem x) (:objects a - agent)", "unbalanced"),
    ("(define (problem x) (:objects a - agent) (:init (flies a)) (:goal (holds a a)))", "unsupported predicate"),
    ("(define (problem x) (:objects a - agent) (:init (holds a b)) (:goal (holds a a)))", "undeclared object"),
    ("(define (problem x) (:objects a - agent) (:init))", "no :goal"),
    ("", "empty")])
def test_malformed_problems_raise_value_errors_naming_the_game(text, match):
    with pytest.raises(ValueError, match=match) as err:
        parse_problem(text, "games/bad")
    assert "games/bad" in str(err.value)


def test_scene_rejects_a_problem_without_a_single_agent_location():
    p = parse_problem(problem().replace("(atLocation agent1 loc_bar_0)", ""), "noagent")
    with pytest.raises(ValueError, match="atLocation"):
        Scene.from_problem(p, where="noagent")


def test_goal_rejects_predicates_it_cannot_evaluate():
    p = parse_problem(problem())
    scene = Scene.from_problem(p)
    with pytest.raises(ValueError, match="checked"):
        Goal(("checked", "agent1"), scene)


@pytest.mark.textworld
def test_textworld_backend_matches_native_and_replays_snapshots():
    from spa_gym.envs.alfworld import textworld_backend

    if not textworld_backend.is_available():
        pytest.skip("the real engine (textworld extra) is not installed")
    real, native = AlfWorldEnv(game_files=[TINY_GAME], backend="textworld"), AlfWorldEnv(game_files=[TINY_GAME])
    assert real.reset(seed=0)[0] == native.reset(seed=0)[0]
    for cmd in ["go to countertop 1", "take apple 1 from countertop 1", "bogus", "go to fridge 1"]:
        a, b = real.step(cmd), native.step(cmd)
        assert a[:4] == b[:4] and a[4]["admissible_commands"] == b[4]["admissible_commands"]
    snap = real.get_state()
    after = real.step("open fridge 1")
    real.set_state(snap)
    assert real.step("open fridge 1")[:4] == after[:4]
    with pytest.raises(ValueError, match="strict"):
        AlfWorldEnv(game_files=[TINY_GAME], backend="textworld", strict=True)
    with pytest.raises(ValueError, match="expert"):
        AlfWorldEnv(game_files=[TINY_GAME], backend="textworld", expert=True)


_DIGEST = """
import hashlib, random, sys
sys.path.insert(0, {tests!r})
from test_alfworld_engine import game
h = hashlib.sha256()
for task_type in ("look_at_obj_in_light", "pick_two_obj_and_place"):
    g, rng = game(task_type), random.Random(0)
    for _ in range(25):
        cmd = rng.choice(g.admissible_commands())
        h.update((cmd + g.play(cmd)[0] + "|".join(g.admissible_commands())).encode())
    from spa_gym.envs.alfworld.expert import Expert
    h.update(str(Expert(g).next_action()).encode())
print(h.hexdigest())
"""


def test_episodes_and_expert_are_identical_across_processes_and_hash_seeds():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = _DIGEST.format(tests=str(Path(__file__).parent))
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1 and len(runs.pop().strip()) == 64
