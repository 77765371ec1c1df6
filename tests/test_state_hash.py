"""``info["state_hash"]``: stable across processes, equal exactly when the state is equal, kept by set_state."""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys

import gymnasium as gym
import pytest

import spa_gym
from spa_gym.core.state_hash import canonical, digest, state_hash

IDS = list(spa_gym.ENV_IDS)
HASH_SEEDS = ("0", "12345")


def play(make, env_id: str, task_id: int, n_random: int = 12, seed: int = 0) -> list[tuple[str, dict, str]]:
    """Expert steps interleaved with random admissible (and invalid) commands: ``(command, info, truth)`` per
    state, where ``truth`` is the ascii form of canonical(get_state()) without the step bookkeeping."""
    env = make(env_id, expert=True)
    _, info = env.reset(seed=seed, options={"split": "test", "task_id": task_id})
    rng = random.Random(task_id)
    out = [("", info, truth(env))]
    for k in range(40):
        if k % 3 == 2 and n_random:
            n_random -= 1
            choices = info["admissible_commands"] + ["fly to the moon"]
            command = rng.choice(choices)
        else:
            command = info["expert_action"] or "look"
        _, _, terminated, truncated, info = env.step(command)
        out.append((command, info, truth(env)))
        if terminated or truncated:
            break
    return out


def truth(env: gym.Env) -> str:
    state = dict(env.unwrapped.get_state())
    for key in ("step", "last_obs", "last_valid", "last_command"):
        state.pop(key, None)
    if type(env.unwrapped).__name__ == "AlfWorldEnv":
        state.pop("np_random")  # the ALFWorld engine never draws from it, and its hash leaves it out
    return ascii(canonical(state))


def test_canonical_ignores_set_and_dict_order():
    words = [f"w{i}" for i in range(50)]
    a = {"s": set(words), "d": {w: i for i, w in enumerate(words)}}
    shuffled = words[::-1]
    b = {"d": {w: words.index(w) for w in shuffled}, "s": set(shuffled)}
    assert state_hash(a) == state_hash(b)
    assert state_hash(a) != state_hash({**a, "s": set(words[1:])})
    assert state_hash({1, 2}) != state_hash((1, 2))  # containers are tagged with their kind
    assert state_hash([None, "a"]) != state_hash(["None", "a"])
    assert len(digest(())) == 32


def test_canonical_refuses_what_it_cannot_name():
    class Opaque:
        __slots__ = ()

        def __getstate__(self):  # noqa: D401 - object's default would give None for a slotless object
            raise TypeError("nope")

    with pytest.raises(TypeError):
        state_hash(Opaque())


@pytest.mark.parametrize("env_id", IDS)
def test_hash_on_every_reset_and_step(make, env_id):
    env = make(env_id)
    obs, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
    assert isinstance(info["state_hash"], str) and len(info["state_hash"]) == 32
    assert info["state_hash"] == env.unwrapped.state_hash()
    _, info2 = env.reset(seed=0, options={"split": "test", "task_id": 0})
    assert info2["state_hash"] == info["state_hash"]
    _, info3 = env.reset(seed=0, options={"split": "test", "task_id": 1})
    assert info3["state_hash"] != info["state_hash"]
    for action in ["", "fly to the moon", "click[nothing here]"]:
        *_, info4 = env.step(action)
        assert not info4["action_valid"] and info4["state_hash"] == info3["state_hash"], action


@pytest.mark.parametrize("env_id", IDS)
def test_equal_hash_exactly_when_equal_state(make, env_id):
    states = [s for task_id in (0, 1) for s in play(make, env_id, task_id)]
    by_truth: dict[str, set[str]] = {}
    by_hash: dict[str, set[str]] = {}
    for _, info, t in states:
        by_truth.setdefault(t, set()).add(info["state_hash"])
        by_hash.setdefault(info["state_hash"], set()).add(t)
    assert all(len(h) == 1 for h in by_truth.values())  # equal states -> equal hash
    assert all(len(t) == 1 for t in by_hash.values())  # different states -> different hash
    assert len(by_hash) >= 8  # the episodes really visited many states


@pytest.mark.parametrize("env_id", IDS)
def test_set_state_brings_the_hash_back(make, env_id):
    env = make(env_id, expert=True)
    _, info = env.reset(seed=3, options={"split": "test", "task_id": 2})
    snapshots = []
    for _ in range(4):
        snapshots.append((env.unwrapped.get_state(), info["state_hash"]))
        *_, info = env.step(info["expert_action"])
    other = make(env_id)
    other.reset(seed=9, options={"split": "train", "task_id": 5})
    for state, h in reversed(snapshots):
        env.unwrapped.set_state(state)
        assert env.unwrapped.state_hash() == h
        other.unwrapped.set_state(pickle.loads(pickle.dumps(state)))  # as sent to another worker
        assert other.unwrapped.state_hash() == h


def test_alfworld_revisited_state_hashes_the_same(make):
    """The step counter is not part of the hash: coming back to a state gives its hash again."""
    env = make("SPA-ALFWorld-v0")
    _, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
    a, b = [c for c in info["admissible_commands"] if c.startswith("go to")][:2]
    hashes = [info["state_hash"]]
    for command in (a, b, a):
        *_, info = env.step(command)
        assert info["action_valid"]
        hashes.append(info["state_hash"])
    assert hashes[1] == hashes[3] and len(set(hashes)) == 3


def test_virtualhome_tracked_changes_match_a_full_scan(make):
    """The env's graph compares only touched nodes with the task's graph; a graph with no tracking (as
    unpickled) compares every node: both must give the same changes over random play."""
    env = make("SPA-VirtualHome-v0", expert=True)
    for task_id in range(4):
        _, info = env.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        rng = random.Random(task_id)
        for k in range(30):
            base = env.unwrapped
            graph = base.world.graph
            assert graph._touched is not None  # tracking is on in the env
            full = pickle.loads(pickle.dumps(graph))
            assert full._touched is None
            assert graph.changes_from(base.task.graph) == full.changes_from(base.task.graph)
            command = info["expert_action"] if k % 2 == 0 and info["expert_action"] else \
                rng.choice(info["admissible_commands"] or ["look"])
            *_, terminated, truncated, info = env.step(command)
            if terminated or truncated:
                break


_SCRIPT = r"""
import json, sys, gymnasium as gym, spa_gym
env_id, kwargs = sys.argv[1], json.loads(sys.argv[2])
env = gym.make(env_id, expert=True, **kwargs)
_, info = env.reset(seed=0, options={"split": "test", "task_id": 1})
hashes = [info["state_hash"]]
while info["expert_action"] and len(hashes) < 12:
    *_, terminated, truncated, info = env.step(info["expert_action"])
    hashes.append(info["state_hash"])
    if terminated or truncated:
        break
print(json.dumps(hashes))
"""


@pytest.mark.parametrize("env_id", IDS)
def test_hash_is_the_same_in_other_processes(make, env_id):
    env = make(env_id, expert=True)
    kwargs = {k: str(v) if k == "cache_dir" else v for k, v in env.spec.kwargs.items()
              if k in ("num_products", "cache_dir")}
    runs = []
    for seed in HASH_SEEDS:
        out = subprocess.run([sys.executable, "-c", _SCRIPT, env_id, json.dumps(kwargs)],
                             env=dict(os.environ, PYTHONHASHSEED=seed),
                             capture_output=True, text=True, timeout=120, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    _, info = env.reset(seed=0, options={"split": "test", "task_id": 1})
    here = [info["state_hash"]]
    while info["expert_action"] and len(here) < 12:
        *_, terminated, truncated, info = env.step(info["expert_action"])
        here.append(info["state_hash"])
        if terminated or truncated:
            break
    assert runs[0] == runs[1] == here and len(set(here)) > 2
