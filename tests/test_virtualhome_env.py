"""SPA-VirtualHome-v0: contract, goals, tasks and splits, expert, determinism, snapshots, official loader."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import spa_gym  # noqa: F401  (registers the ids)
from spa_gym.envs.virtualhome import FAMILIES, TASK_SET, VirtualHomeEnv, load_task
from spa_gym.envs.virtualhome.expert import PlanError, expert_plan, run_plan
from spa_gym.envs.virtualhome.goals import Goal, diff_goal
from spa_gym.envs.virtualhome.official import (OfficialTasks, load_graph, load_spa_records, parse_program,
                                               program_commands, run_program, task_from_record)
from spa_gym.envs.virtualhome.tasks import MANIFEST_PATH, SPLIT_HOUSES, manifest
from spa_gym.envs.virtualhome.text import ERROR_INPUT, NOTHING_HAPPENS
from spa_gym.envs.virtualhome.world import World
from tests.test_virtualhome_executor import AGENT, COUNTER, CUP, TABLE, house


def test_check_env_passes_on_the_registered_id():
    env = gym.make("SPA-VirtualHome-v0")
    check_env(env.unwrapped, skip_render_check=True)
    assert env.spec.max_episode_steps is None and env.unwrapped.max_steps == 40


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="mode must be one of"):
        VirtualHomeEnv(mode="fast")
    with pytest.raises(ValueError, match="unknown split"):
        VirtualHomeEnv(split="dev")
    with pytest.raises(FileNotFoundError, match="init_and_final_graphs"):
        VirtualHomeEnv(data_dir="/nonexistent")


def test_at_least_25_families_and_every_one_generates_solvable_tasks():
    assert len(FAMILIES) >= 25 and len({f.name for f in FAMILIES}) == len(FAMILIES)
    for k in range(len(FAMILIES)):
        task = load_task("valid", k)
        assert task.family == FAMILIES[k].name and not task.goal.satisfied(task.graph)
        world = World(task.initial_graph(), task.object_ids)
        assert task.goal.satisfied(run_plan(world, task.reference_plan).graph)
        assert 150 <= len(task.graph.nodes) <= 300


def test_test_split_is_fixed_versioned_and_in_unseen_houses():
    committed = json.loads(MANIFEST_PATH.read_text())
    current = manifest("test")
    assert current["sha256"] == committed["sha256"], "test split changed: bump TASKS_VERSION and regenerate"
    assert committed["size"] == TASK_SET.size("test") and committed["version"] == TASK_SET.version
    test_houses = {t["house"] for t in committed["tasks"]}
    assert test_houses <= set(SPLIT_HOUSES["test"])
    assert not test_houses & (set(SPLIT_HOUSES["train"]) | set(SPLIT_HOUSES["valid"]))


def test_expert_solves_every_test_task_through_the_env():
    env = VirtualHomeEnv(split="test", expert=True)
    lengths = []
    for task_id in range(TASK_SET.size("test")):
        obs, info = env.reset(seed=task_id, options={"task_id": task_id})
        reward = 0.0
        while not info["won"]:
            assert info["expert_action"] in info["admissible_commands"]
            obs, reward, terminated, truncated, info = env.step(info["expert_action"])
            assert info["action_valid"] and not truncated
        assert reward == 1.0 and terminated and info["expert_action"] is None
        lengths.append(info["step"])
    assert max(lengths) <= 30


def test_expert_recovers_after_detours_in_both_modes():
    for mode in ("spa", "strict"):
        env = VirtualHomeEnv(split="valid", mode=mode, expert=True)
        for task_id in range(0, 33, 4):
            _, info = env.reset(seed=1, options={"task_id": task_id})
            # a detour: a few admissible commands that are not the expert's
            for k in range(3):
                other = [c for c in info["admissible_commands"] if c != info["expert_action"]]
                _, _, terminated, _, info = env.step(other[(7 * k) % len(other)])
                if terminated:
                    break
            while not info["won"] and info["expert_action"] is not None and not info["step"] >= 40:
                _, _, _, _, info = env.step(info["expert_action"])
            solved = info["won"]
            assert solved or info["expert_action"] is None  # the expert says when it can not recover
    # and from the start it always solves in strict mode too
    env = VirtualHomeEnv(split="test", mode="strict", expert=True)
    for task_id in range(0, 300, 17):
        _, info = env.reset(options={"task_id": task_id})
        while not info["won"]:
            _, _, _, _, info = env.step(info["expert_action"])


def test_success_is_checked_after_every_step_and_ends_the_episode():
    env = VirtualHomeEnv(split="test")
    task = load_task("test", 5)
    _, info = env.reset(seed=0, options={"task_id": 5})
    for command in task.reference_plan:
        obs, reward, terminated, truncated, info = env.step(command)
        assert terminated == info["won"] and (reward == 1.0) == info["won"]
        if info["won"]:
            break
    assert info["won"]


def test_step_limit_truncates_and_parse_errors_count():
    env = VirtualHomeEnv(max_steps=3)
    env.reset(seed=0, options={"task_id": 0})
    for k in range(3):
        obs, reward, terminated, truncated, info = env.step("nonsense")
    assert obs == NOTHING_HAPPENS and truncated and not terminated and info["step"] == 3


@pytest.mark.parametrize("action", ["", " ", "x" * 5000, "\u00e9\u4e2d\U0001F600", "\x00\x07\n\r", "Action:", ":::",
                                    "put  on ", "walk to", "put cup in", "[WALK] <kitchen> (1)", "take off shoes",
                                    "pour into", "grab " * 50, "release", "Action: Action: grab cup", "(1)", 42,
                                    "search[s]", "search['s]", "search[men\u2019s running shoes]",
                                    # lines that crash VirtualHome HEAD's executor, and posture quirks
                                    "find bed", "find television", "lookat_short television", "LOOKAT_LONG tv",
                                    "lookat_medium television", "put back cup", "stand up", "sleep", "wake up"])
def test_garbage_actions_never_raise_and_change_nothing(action):
    env = VirtualHomeEnv(split="test")
    env.reset(seed=0, options={"task_id": 7})
    before = env.get_state()["world"]
    obs, reward, terminated, truncated, info = env.step(action)
    assert obs in (NOTHING_HAPPENS, ERROR_INPUT) and reward == 0.0 and not terminated
    assert not info["action_valid"] and env.get_state()["world"].graph == before.graph


def test_same_seed_and_task_give_the_same_episode_in_another_process():
    script = (
        "import json, spa_gym.envs.virtualhome as vh\n"
        "env = vh.VirtualHomeEnv(expert=True)\n"
        "out = []\n"
        "for seed in (0, 1):\n"
        "    obs, info = env.reset(seed=seed)\n"
        "    out.append([obs, info['task_id'], info['admissible_commands']])\n"
        "    for cmd in ['walk to kitchen', 'walk to cup', 'grab cup', info['expert_action'], 'walk to chair']:\n"
        "        out.append(env.step(cmd)[0])\n"
        "print(json.dumps(out))\n")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout for h in (1, 2)]
    assert runs[0] == runs[1] and len(json.loads(runs[0])) == 12


def test_reset_rebuilds_the_graph():
    env = VirtualHomeEnv(split="test", expert=True)
    obs, info = env.reset(seed=0, options={"task_id": 2})
    first = env.get_state()["world"].graph
    while not info["won"]:
        _, _, _, _, info = env.step(info["expert_action"])
    obs2, _ = env.reset(seed=0, options={"task_id": 2})
    assert obs2 == obs and env.get_state()["world"].graph == first


def test_get_state_set_state_round_trip_is_exact():
    env = VirtualHomeEnv(split="test", expert=True)
    _, info = env.reset(seed=4, options={"task_id": 11})
    env.step(info["expert_action"])
    snap = pickle.loads(pickle.dumps(env.get_state()))
    rest = []
    for _ in range(3):
        out = env.step(env._info()["expert_action"] or "stand up")
        rest.append(out[:4] + (out[4]["admissible_commands"],))
    other = VirtualHomeEnv(split="train")
    other.reset(seed=9)
    other.set_state(snap)
    other.expert = True
    for expected in rest:
        out = other.step(other._info()["expert_action"] or "stand up")
        assert out[:4] + (out[4]["admissible_commands"],) == expected


def test_goal_rule_exact_states_required_and_forbidden_edges():
    g = house()
    goal = Goal({AGENT: frozenset({"SITTING"})}, frozenset({(CUP, "ON", TABLE)}), frozenset({(CUP, "ON", COUNTER)}))
    assert not goal.satisfied(g) and goal.unmet(g) == 3
    g.nodes[AGENT].states = {"SITTING"}
    g.add_edge(CUP, "ON", TABLE)
    assert not goal.satisfied(g) and goal.unmet(g) == 1  # the forbidden edge is still there
    g.remove_edge(CUP, "ON", COUNTER)
    assert goal.satisfied(g)
    g.nodes[AGENT].states = {"SITTING", "LYING"}  # exact state set: an extra state fails
    assert not goal.satisfied(g)
    task = load_task("test", 0)
    assert Goal.from_revised_graph(task.goal.to_revised_graph(task.graph)) == task.goal
    assert Goal.from_json(json.loads(json.dumps(task.goal.to_json()))) == task.goal
    assert diff_goal(task.graph, task.graph).is_empty()


def test_put_on_is_not_put_in():
    task = next(load_task("valid", k) for k in range(len(FAMILIES)) if FAMILIES[k].name == "put_groceries_in_fridge")
    world = World(task.initial_graph(), task.object_ids)
    wrong = [c.replace("put groceries in fridge", "put groceries on fridge") for c in task.reference_plan]
    assert not task.goal.satisfied(run_plan(world, wrong).graph)


def test_expert_reports_when_it_can_not_solve():
    task = load_task("test", 1)
    world = World(task.initial_graph(), task.object_ids)
    node = next(n for n in task.goal.node_states if n != world.graph.character_id)
    name = world.graph.nodes[node].class_name
    with pytest.raises(PlanError, match=f"no action makes {name} DIRTY"):
        expert_plan(world, Goal({node: frozenset({"DIRTY"})}))


# ---------------------------------------------------------------------- official data
def _dataset(tmp_path, task_ids=(0, 3)):
    """A folder in the official layout, written from our own tasks (graphs + executable programs)."""
    for k, tid in enumerate(task_ids):
        task = load_task("test", tid)
        world = run_plan(World(task.initial_graph(), task.object_ids), task.reference_plan)
        scene = "TrimmedTestScene7_graph" if k == 0 else "TrimmedTestScene1_graph"
        rel = f"{scene}/results_intentions_march-13-18/file{tid}_1"
        gpath = tmp_path / "init_and_final_graphs" / f"{rel}.json"
        gpath.parent.mkdir(parents=True, exist_ok=True)
        init = task.graph.to_json()
        for n in init["nodes"]:  # trimmed scenes omit these keys
            n.pop("bounding_box"), n.pop("prefab_name")
        gpath.write_text(json.dumps({"init_graph": init, "final_graph": world.graph.to_json()}))
        ppath = tmp_path / "executable_programs" / f"{rel}.txt"
        ppath.parent.mkdir(parents=True, exist_ok=True)
        ppath.write_text(f"{task.title}\n{task.description}\n\n\n[Walk] <kitchen> (1.1)\n")
    return tmp_path


def test_official_folder_loads_into_the_env(tmp_path):
    root = _dataset(tmp_path)
    tasks = OfficialTasks(root)
    assert tasks.task_set.sizes == {"train": 1, "valid": 0, "test": 1}
    env = VirtualHomeEnv(split="test", data_dir=root, expert=True)
    obs, info = env.reset(options={"task_id": 0})
    assert obs == load_task("test", 0).observation
    while not info["won"]:
        _, reward, _, _, info = env.step(info["expert_action"])
    assert reward == 1.0


def test_program_parser_and_runner():
    task = load_task("test", 0)
    g = task.initial_graph()
    ids = task.object_ids
    lines = [f"[Walk] <{c}> (1.{ids[c]})" for c in ("living_room", "television") if c in ids]
    lines.append(f"[SwitchOn] <television> (1.{ids['television']})")
    text = "Watch TV\nDescription here.\n\n\n" + "\n".join(lines) + "\n"
    prog = parse_program("3\nis_off: ('TELEVISION', '1') --> \n" + text.replace("\n[", "\n<char0> ["))
    assert prog.title == "Watch TV" and prog.description == "Description here."
    assert program_commands(prog)[-1] == "switch on television"
    final = run_program(g, prog)
    assert "ON" in final.nodes[ids["television"]].states
    with pytest.raises(ValueError, match="failed"):
        run_program(g, parse_program("t\nd\n\n\n[SwitchOn] <television> (1.%d)\n" % ids["television"]))


def test_spa_record_and_graph_loader():
    task = load_task("test", 4)
    data = task.graph.to_json()
    data["edges"].append({"from_id": 2, "relation_type": "INSIDE", "to_id": 2})  # self-loop: dropped
    g = load_graph(data)
    assert g == task.graph
    record = {"id": "x", "task": task.title, "description": task.description,
              "revised_graph": task.goal.to_revised_graph(g), "object_id_dict": task.object_ids}
    loaded = task_from_record(record, g)
    assert loaded.goal == task.goal and loaded.object_ids == task.object_ids
    with pytest.raises(ValueError, match="character"):
        load_graph({"nodes": [{"id": 1, "class_name": "kitchen", "category": "Rooms"}], "edges": []})


def test_spa_jsonl_records_load_with_their_graphs(tmp_path):
    root = _dataset(tmp_path)
    task = load_task("test", 0)
    record = {"id": "file0_1", "task": task.title, "description": task.description,
              "path": "/somewhere/virtualhome_master/dataset/withoutconds/"
                      "TrimmedTestScene7_graph/results_intentions_march-13-18/file0_1.txt",
              "revised_graph": task.goal.to_revised_graph(task.graph), "object_id_dict": task.object_ids}
    jsonl = tmp_path / "new_unseen_test.jsonl"
    jsonl.write_text(json.dumps(record) + "\n\n")
    (loaded,) = load_spa_records(jsonl, root / "init_and_final_graphs")
    assert loaded.goal == task.goal and loaded.graph == task.graph and loaded.observation == task.observation
    world = World(loaded.initial_graph(), loaded.object_ids)
    assert loaded.goal.satisfied(run_plan(world, expert_plan(world, loaded.goal)).graph)


def test_official_program_titles_keep_their_characters(tmp_path):
    root = _dataset(tmp_path, task_ids=(0,))
    program = next((root / "executable_programs").rglob("*.txt"))
    program.write_text("Caf\u00e9 break \u2013 tea\nMake a caf\u00e9-style tea.\n\n\n[Walk] <kitchen> (1.1)\n")
    env = VirtualHomeEnv(split="test", data_dir=root)
    assert {"\u00e9", "\u2013"} <= env.observation_space.character_set
    obs, _ = env.reset(options={"task_id": 0})
    assert "Caf\u00e9 break \u2013 tea(Make a caf\u00e9-style tea.)" in obs and env.observation_space.contains(obs)
