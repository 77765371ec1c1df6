"""SPA-RL's VirtualHome text interface: command templates, the fallback, name resolution, observations."""

from __future__ import annotations

import numpy as np
import pytest

from spa_gym.envs.virtualhome.text import (ERROR_INPUT, NOTHING_HAPPENS, TEMPLATES, ScriptLine, format_command,
                                           parse_command, task_observation)
from spa_gym.envs.virtualhome.world import World
from tests.test_virtualhome_executor import AGENT, CUP, KITCHEN, KNIFE, LIVING, TABLE, house


def test_there_are_42_templates_and_each_one_parses_to_its_action():
    assert len(TEMPLATES) == 42
    for template, action in TEMPLATES:
        if action == "RELEASE":
            continue  # declared with one argument but its template has none: never matches (below)
        text = template.replace("{}", "big cup", 1).replace("{}", "kitchen table")
        line = parse_command(text)
        assert line.action == action, text
        assert all(" " not in n for n in line.names)


@pytest.mark.parametrize("text, expected", [
    ("walk to kitchen", ScriptLine("WALK", ("kitchen",))),
    ("  Walk To Kitchen  ", ScriptLine("WALK", ("kitchen",))),
    ("Thought: I need a cup.\nAction: grab cup", ScriptLine("GRAB", ("cup",))),
    ("Action:grab cup", ScriptLine("GRAB", ("cup",))),
    ("Action: Act: switch on tv", ScriptLine("SWITCHON", ("tv",))),  # text after the first ':' is kept
    ("put cup on kitchen counter", ScriptLine("PUTBACK", ("cup", "kitchen_counter"))),
    ("put cup in fridge", ScriptLine("PUTIN", ("cup", "fridge"))),
    ("put on clothes shirt", ScriptLine("PUTON", ("clothes_shirt",))),
    ("put back cup", ScriptLine("PUTOBJBACK", ("cup",))),
    ("pour milk into cup", ScriptLine("POUR", ("milk", "cup"))),
    ("stand up", ScriptLine("STANDUP", ())),
    # fallbacks: no template or several templates match -> the original-case words
    ("walk kitchen", ScriptLine("WALK", ("kitchen",))),
    ("release cup", ScriptLine("RELEASE", ("cup",))),
    ("release", ScriptLine("RELEASE", ())),
    ("grab Cup now", ScriptLine("GRAB", ("cup_now",))),
    ("fetch Cup now", ScriptLine("FETCH", ("Cup", "now"))),
    ("put pot on stove in kitchen", ScriptLine("PUT", ("pot_on_stove_in_kitchen",))),
    ("dance", ScriptLine("DANCE", ())),
    ("walk to kitchen.", ScriptLine("WALK", ("kitchen.",))),
    ("walk to kitchen\nThen grab cup", ScriptLine("WALK", ("kitchen\nthen_grab_cup",))),
])
def test_parse_command(text, expected):
    assert parse_command(text) == expected


def test_format_command_round_trips_through_the_parser():
    for action, names in (("PUTIN", ("cup", "kitchen_cabinet")), ("SWITCHON", ("remote_control",)), ("SLEEP", ())):
        assert parse_command(format_command(action, *names)) == ScriptLine(action, names)


def test_task_observation_has_no_space_before_parenthesis():
    assert task_observation("Drink", "Get a glass.") == "The task is Drink(Get a glass.)."


def world(strict: bool = False) -> World:
    return World(house(), {"cup": CUP}, strict=strict)


def test_observations_after_success_and_failure_literals():
    w, rng = world(), np.random.default_rng(0)
    assert w.step("walk to living room", rng).observation == "Observation: "
    assert w.step("walk to kitchen", rng).observation == "Observation: "
    out = w.step("walk to cup", rng)
    # only the agent's own CLOSE targets are described (plus every other node of their classes)
    expected = "Observation: cup is CLEAN, kitchen_counter is CLEAN, cup ON kitchen_counter. "
    assert out.success and out.observation == expected
    out = w.step("grab cup", rng)
    assert out.observation.endswith("You have cup. ") and out.script == f"[GRAB] <cup> ({CUP})"
    assert w.step("walk to the moon", rng).observation == NOTHING_HAPPENS
    assert w.step("grab cup", rng).observation == NOTHING_HAPPENS  # already held


def test_regrabbing_a_dropped_object_shows_the_character_quirk():
    w, rng = world(), np.random.default_rng(0)
    for c in ("walk to cup", "grab cup", "drop cup"):
        assert w.step(c, rng).success
    assert w.step("grab cup", rng).observation.startswith("Observation: character, cup is CLEAN")


def test_objects_in_closed_containers_are_not_observed():
    w, rng = world(), np.random.default_rng(0)
    obs = w.step("walk to fridge", rng).observation
    assert "milk" not in obs and "fridge is CLOSED" in obs
    assert "milk" in w.step("open fridge", rng).observation


def test_take_off_answers_error_input_in_spa_mode_and_works_in_strict():
    for strict in (False, True):
        w, rng = world(strict), np.random.default_rng(0)
        for c in ("walk to clothes shirt", "grab clothes shirt", "put on clothes shirt"):
            assert w.step(c, rng).success
        out = w.step("take off clothes shirt", rng)
        assert (out.observation == ERROR_INPUT) is not strict and out.success is strict


def test_strict_mode_says_why_and_bare_release_drops():
    w, rng = world(True), np.random.default_rng(0)
    assert w.step("grab cup", rng).observation == "Observation: Nothing happens. (cup is not close to the agent.)"
    w.step("walk to cup", rng), w.step("grab cup", rng)
    assert w.step("release", rng).success
    w, rng = world(False), np.random.default_rng(0)
    w.step("walk to cup", rng), w.step("grab cup", rng)
    assert w.step("release", rng).reason == "RELEASE needs 1 parameters. But there are 0 parameters."
    assert w.step("release cup", rng).success


def test_name_resolution_rules():
    g = house()
    g.add_node(type(g.nodes[CUP])(90, "cup", "Props", g.nodes[CUP].properties, {"CLEAN"}))
    g.add_edge(90, "INSIDE", LIVING)
    g.add_edge(90, "ON", TABLE)
    g.add_close(90, TABLE)
    rng = np.random.default_rng(0)
    w = World(g, {})
    assert w.step("walk to table", rng).reason == "table isn't available in the environment."
    assert w.step("walk to coffee table", rng).success and w.last_obj_id == TABLE
    assert w.step("grab cup", rng).success and w.specific_objects["cup"] == 90  # the close one
    assert w.step("put cup on sofa", rng).reason == "sofa isn't available in the environment."
    assert w.step("put cup on cup", rng).reason == "cup can't be put or pour into itself."
    assert w.step("put book on coffee table", rng).reason.startswith("book not in hand.")
    # the task's ground-truth instance wins over a nearby one
    w = World(house(), {"cup": CUP})
    w.graph.add_node(type(w.graph.nodes[CUP])(90, "cup", "Props", w.graph.nodes[CUP].properties, {"CLEAN"}))
    w.graph.add_edge(90, "INSIDE", LIVING)
    w.step("walk to coffee table", rng)
    assert w.step("walk to cup", rng).success and w.graph.has_edge(AGENT, "INSIDE", KITCHEN)


def test_random_instance_choice_is_seeded():
    def chosen(seed: int) -> int:
        g = house()
        for i in (91, 92, 93):
            g.add_node(type(g.nodes[KNIFE])(i, "knife", "Props", g.nodes[KNIFE].properties, {"CLEAN"}))
            g.add_edge(i, "INSIDE", LIVING)
        w = World(g, {})
        w.step("walk to knife", np.random.default_rng(seed))
        return w.specific_objects["knife"]
    assert chosen(3) == chosen(3)
    assert len({chosen(s) for s in range(12)}) > 1


def test_admissible_commands_are_deterministic_and_all_execute():
    w, rng = world(), np.random.default_rng(0)
    for c in ("walk to cup", "grab cup", "walk to coffee table"):
        w.step(c, rng)
    cmds = w.admissible_commands()
    assert cmds == w.admissible_commands() and len(cmds) == len(set(cmds)) and len(cmds) < 150
    assert "walk to kitchen" in cmds and "put cup on coffee table" in cmds and "grab book" in cmds
    for c in cmds:
        assert w.copy().step(c, np.random.default_rng(0)).success, c
    strict = World(w.graph.copy(), strict=True)
    for c in ("walk to couch", "sit on couch"):
        w.step(c, rng), strict.step(c, rng)
    assert "stand up" in strict.admissible_commands() and "walk to kitchen" not in strict.admissible_commands()
    # spa: the posture is read on the episode's start graph, where the agent stands (test_virtualhome_quirks)
    assert "stand up" not in w.admissible_commands() and "walk to kitchen" in w.admissible_commands()


def test_relations_and_states_lists_are_sorted():
    w, rng = world(), np.random.default_rng(0)
    w.step("walk to television", rng)
    obs = w.step("switch on television", rng).observation
    assert obs == "Observation: hands_both is CLEAN, television is ON and CLEAN and PLUGGED_IN, tvstand is CLEAN, " \
                  "television ON tvstand. "


@pytest.mark.parametrize("strict", [False, True])
def test_random_walks_admissible_commands_always_execute_and_nothing_raises(strict):
    # The env turns any exception into SPA-RL's Error Input literal, so test the world directly.
    from spa_gym.envs.virtualhome import load_task

    picker = np.random.default_rng(1)
    for task_id in range(8):
        task = load_task("train", task_id)
        w, rng = World(task.initial_graph(), task.object_ids, strict=strict), np.random.default_rng(task_id)
        classes = sorted(w.graph.by_class)
        for _ in range(60):
            if picker.random() < 0.5:
                cmds = w.admissible_commands()
                command = cmds[int(picker.integers(len(cmds)))]
                assert w.step(command, rng).success, command
            else:  # any template with any class names
                template = TEMPLATES[int(picker.integers(len(TEMPLATES)))][0]
                names = [classes[int(picker.integers(len(classes)))] for _ in range(2)]
                w.step(template.replace("{}", names[0], 1).replace("{}", names[1]), rng)
