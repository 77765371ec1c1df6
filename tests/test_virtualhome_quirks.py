"""VirtualHome HEAD's executor quirks on the official scene graphs: exact in ``mode="spa"``, fixed in ``"strict"``.

Each test is one behaviour where our executor used to differ from the original evolving-graph executor
(xavierpuigf/virtualhome HEAD). The scenes are the seven official TrimmedTestScene graphs, read from the shared
data folder as the files have them (no SPA-RL edge clean-up: the executor itself never sees it); the tests
skip when the folder is absent. Node ids below are those of TrimmedTestScene1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spa_gym.envs.virtualhome.executor import ExecutorCrash, execute
from spa_gym.envs.virtualhome.graph import EnvGraph, Node
from spa_gym.envs.virtualhome.official import load_graph
from spa_gym.envs.virtualhome.properties import properties_of
from spa_gym.envs.virtualhome.text import ERROR_INPUT, NOTHING_HAPPENS
from spa_gym.envs.virtualhome.world import World

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "virtualhome"
pytestmark = pytest.mark.skipif(not (DATA / "TrimmedTestScene1_graph.json").is_file(),
                                reason=f"official VirtualHome scenes not found in {DATA}")

# TrimmedTestScene1: the agent starts INSIDE the bathroom.
AGENT, BATHROOM, BEDROOM, DINING = 65, 1, 67, 201
BED, CHAIR, PILLOW, TV, SINK = 105, 103, 182, 248, 42


def scene(k: int = 1) -> EnvGraph:
    return load_graph(DATA / f"TrimmedTestScene{k}_graph.json", clean_edges=False)


def add_object(g: EnvGraph, node_id: int, class_name: str, room: int, **relations: int) -> int:
    """A scene lacks an object a task needs: add it as the dataset does (id >= 1000, our properties, CLEAN),
    INSIDE ``room`` and e.g. ``ON=bed`` or ``INSIDE=sink``."""
    g.add_node(Node(node_id, class_name, "placable_objects", frozenset(properties_of(class_name)), {"CLEAN"}))
    g.add_edge(node_id, "INSIDE", room)
    for rel, target in relations.items():
        g.add_edge(node_id, rel, target)
    return node_id


class Script:
    """Runs script lines on one graph the way SPA-RL's env does: one grab record and one start graph (HEAD
    reads the character node from the graph the episode started with)."""

    def __init__(self, g: EnvGraph, strict: bool = False) -> None:
        self.g, self.strict, self.records = g, strict, {}
        self.start = frozenset(g.nodes[g.character_id].states)

    def __call__(self, action: str, *ids: int) -> str | None:
        return execute(self.g, action, list(ids), self.records, self.strict, start_states=self.start)


def world(strict: bool = False, k: int = 1) -> World:
    return World(scene(k), strict=strict)


RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------- 7. LOOKAT_SHORT / LOOKAT_LONG
def test_lookat_short_and_long_crash_in_spa_and_alias_lookat_in_strict():
    for k in range(1, 8):  # every scene: a TV the agent turns to
        g = scene(k)
        tv = g.by_class["television"][0]
        run = Script(g)
        assert run("TURNTO", tv) is None
        for variant in ("LOOKAT_SHORT", "LOOKAT_LONG"):
            with pytest.raises(ExecutorCrash):
                run(variant, tv)
        assert run("LOOKAT_MEDIUM", tv) is None and run("LOOKAT", tv) is None  # MEDIUM is LOOKAT's alias
        strict = Script(g, strict=True)
        for variant in ("LOOKAT_SHORT", "LOOKAT_MEDIUM", "LOOKAT_LONG"):
            assert strict(variant, tv) is None


def test_spa_text_interface_does_not_know_the_lookat_variants():
    # SPA-RL's action enum comments the variants out, so the line never reaches the executor.
    for strict, expected in ((False, NOTHING_HAPPENS), (True, None)):
        w = world(strict)
        assert w.step("turn to television", RNG).success
        out = w.step("lookat_short television", RNG)
        if expected is None:
            assert out.success and out.script.startswith("[LOOKAT_SHORT] <television>")
        else:
            assert out.observation == expected and not out.success


# ---------------------------------------------------------------------- 2. FIND on something not close
def test_find_on_something_not_close_crashes_in_spa_and_walks_in_strict():
    g = scene()
    before = g.to_json()
    with pytest.raises(ExecutorCrash):  # HEAD calls JoinedExecutor.execute with too many arguments
        Script(g)("FIND", TV)
    assert g.to_json() == before
    g = scene()
    assert Script(g, strict=True)("FIND", TV) is None and g.has_edge(AGENT, "INSIDE", DINING) and TV in g.targets(
        AGENT, "CLOSE")
    g = scene()
    run = Script(g)
    assert run("WALK", TV) is None and run("FIND", TV) is None  # close: FIND only turns the agent to it


def test_spa_text_interface_answers_error_input_when_find_crashes():
    w = world()
    before = w.graph.to_json()
    out = w.step("find television", RNG)
    assert out.observation == ERROR_INPUT and not out.success and w.graph.to_json() == before
    assert w.step("walk to television", RNG).success and w.step("find television", RNG).success
    out = world(strict=True).step("find television", RNG)
    assert out.success and out.observation != ERROR_INPUT


# ---------------------------------------------------------------------- 5. walking to the agent or worn clothes
def test_walking_to_the_agent_or_to_worn_clothes_adds_a_character_self_loop_in_spa():
    for strict in (False, True):
        g = scene()
        run = Script(g, strict)
        assert run("WALK", AGENT) is None
        assert g.has_edge(AGENT, "CLOSE", AGENT) is (not strict)
        shirt = add_object(g, 1000, "clothes_shirt", BEDROOM, ON=BED)
        for line in (("WALK", shirt), ("GRAB", shirt), ("PUTON", shirt), ("WALK", BATHROOM)):
            assert run(*line) is None
        assert not g.has_edge(AGENT, "CLOSE", AGENT)
        assert run("WALK", shirt) is None  # the shirt is ON the agent: CLOSE to what X is ON
        assert g.has_edge(AGENT, "CLOSE", AGENT) is (not strict)


def test_the_self_loop_shows_the_character_in_spa_observations():
    w = world()
    assert w.step("walk to character", RNG).observation.startswith("Observation: character")
    assert "character" not in world(strict=True).step("walk to character", RNG).observation


# ---------------------------------------------------------------------- 4. GRAB's "already grabbed"
def test_grab_reads_the_grab_record_that_puton_and_pouring_water_leave_behind():
    for strict in (False, True):
        g = scene()
        run = Script(g, strict)
        shirt = add_object(g, 1000, "clothes_shirt", BEDROOM, ON=BED)
        for line in (("WALK", shirt), ("GRAB", shirt), ("PUTON", shirt)):
            assert run(*line) is None
        assert shirt in run.records  # PUTON does not clear it
        err = run("GRAB", shirt)
        assert (err is None) is strict and (strict or "already grabbed" in err)
        water = add_object(g, 1001, "water", BATHROOM, INSIDE=SINK)
        for line in (("WALK", water), ("GRAB", water), ("POUR", water, SINK)):
            assert run(*line) is None
        assert water in run.records and not g.sources(water, "HOLDS_RH")  # poured water leaves the hand
        err = run("GRAB", water)
        assert (err is None) is strict and (strict or "already grabbed" in err)


# ---------------------------------------------------------------------- 3. PUTOBJBACK that can not put back
def test_putobjback_with_a_grab_record_never_fails_in_spa():
    for strict in (False, True):
        g = scene()
        run = Script(g, strict)
        assert run("WALK", PILLOW) is None and run("GRAB", PILLOW) is None and run.records[PILLOW] == (BED, "ON")
        assert run("WALK", BATHROOM) is None  # far from the bed now
        before = g.to_json()
        err = run("PUTOBJBACK", PILLOW)
        if strict:
            assert "not close" in err
        else:  # HEAD's put check fails and it returns the unchanged state as a success
            assert err is None and g.to_json() == before and PILLOW in run.records
        assert g.has_edge(AGENT, "HOLDS_RH", PILLOW)
    w = world()
    for command in ("walk to pillow", "grab pillow", "walk to bathroom"):
        assert w.step(command, RNG).success
    out = w.step("put back pillow", RNG)
    assert out.success and out.observation == "Observation: pillow. You have pillow. "
    assert "Nothing happens." in world(strict=True).step("put back pillow", RNG).observation  # no record


# ---------------------------------------------------------------------- 6. PUTOBJBACK to a CLOSE origin
def test_putobjback_to_a_close_origin_adds_close_edges_and_no_inside_edge_in_spa():
    for strict, room in ((False, BEDROOM), (True, BATHROOM)):
        g = scene()
        run = Script(g, strict)
        assert run("WALK", CHAIR) is None and run("GRAB", CHAIR) is None
        # The chair stands on nothing; the first node it is CLOSE to is the agent that just walked up to it.
        assert run.records[CHAIR] == (AGENT, "CLOSE")
        assert run("WALK", BATHROOM) is None  # HEAD files the held chair in the room left (the bedroom)
        assert g.targets(CHAIR, "INSIDE") == {room}
        assert run("PUTOBJBACK", CHAIR) is None
        assert not g.sources(CHAIR, "HOLDS_RH") and CHAIR not in run.records
        assert g.has_edge(CHAIR, "CLOSE", AGENT) and g.has_edge(AGENT, "CLOSE", CHAIR)
        # spa: a put with relation CLOSE (agent CLOSE origin: here a self-loop), no INSIDE edge;
        # strict: dropped into the agent's room, next to the origin
        assert g.targets(CHAIR, "INSIDE") == {room} and g.has_edge(AGENT, "CLOSE", AGENT) is (not strict)


# ---------------------------------------------------------------------- 1. posture read on the start graph
BATHTUB, MAT = 30, 22


def test_posture_is_read_on_the_start_graph_in_spa():
    for strict in (False, True):
        g = scene()
        run = Script(g, strict)
        assert run("WALK", BED) is None and run("SIT", BED) is None
        assert g.nodes[AGENT].states == {"SITTING"} and g.has_edge(AGENT, "ON", BED)
        # spa: the start graph's agent stands, so it may sit again, can not sleep, wake up or stand up ...
        assert (run("SIT", BED) is None) is (not strict)
        assert (run("SLEEP") is None) is strict and (run("WAKEUP") is None) is strict
        assert (run("STANDUP") is None) is strict
        assert run("WALK", BATHTUB) is None  # spa: walks off while still SITTING; strict: stood up first
        assert g.nodes[AGENT].states == (set() if strict else {"SITTING"})
        assert run("LIE", BATHTUB) is None and g.nodes[AGENT].states == {"LYING"}
        assert (run("LIE", BATHTUB) is None) is (not strict)


def test_an_agent_that_starts_sitting_never_walks_in_spa():
    for strict in (False, True):
        g = scene()
        g.nodes[AGENT].states = {"SITTING"}
        run = Script(g, strict)
        assert "sitting" in run("WALK", BED)
        assert "not close" in run("FIND", TV)  # sitting: FIND only looks around (no walk, no crash)
        assert run("STANDUP") is None and g.nodes[AGENT].states == set()
        assert (run("WALK", BED) is None) is strict
        assert (run("STANDUP") is None) is (not strict)  # spa: the start graph's agent still sits


def test_spa_world_reads_the_posture_of_the_episode_start():
    for strict in (False, True):
        w = world(strict)
        for command in ("walk to bed", "sit on bed"):
            assert w.step(command, RNG).success
        cmds = w.admissible_commands()
        assert ("walk to bathroom" in cmds) is (not strict) and ("stand up" in cmds) is strict
        assert w.step("walk to bathroom", RNG).success is (not strict)
        assert w.step("stand up", RNG).success is strict
        assert w.copy().step("walk to bathroom", RNG).success  # the start posture survives copies


def test_env_counts_a_crashing_find_as_a_step_answered_with_error_input():
    from spa_gym.envs.virtualhome import VirtualHomeEnv

    for mode in ("spa", "strict"):
        env = VirtualHomeEnv(split="test", mode=mode)
        env.reset(seed=0, options={"task_id": 0})  # Watch TV: the agent starts in another room
        obs, reward, terminated, truncated, info = env.step("Thought: go there.\nAction: find television")
        assert info["step"] == 1 and reward == 0.0 and not terminated
        assert (obs == ERROR_INPUT and not info["action_valid"]) if mode == "spa" else info["action_valid"]
