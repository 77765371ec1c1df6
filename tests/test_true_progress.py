"""expert_distance / true_progress: exact distances on all three envs, independent of the step limit, no trace left."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import spa_gym  # noqa: F401  (registers the env ids)
from spa_gym.progress.toy import CountingEnv
from spa_gym.progress.true_progress import DEFAULT_LIMIT, expert_distance, true_progress

IDS = list(spa_gym.ENV_IDS)
TASKS = {"SPA-ALFWorld-v0": range(6), "SPA-WebShop-v0": range(6), "SPA-VirtualHome-v0": range(4)}


def expert_actions(env: gym.Env, task_id: int) -> list[str]:
    """The expert's winning commands for a test task, played on an env without a practical step limit."""
    _, info = env.reset(seed=0, options={"split": "test", "task_id": task_id})
    actions = []
    while not info["won"]:
        actions.append(info["expert_action"])
        _, _, terminated, truncated, info = env.step(actions[-1])
        assert not truncated and (info["won"] or not terminated)
    return actions


def state(env: gym.Env) -> dict:
    # Compared by value: pickled bytes are no identity (a set copied by set_state may iterate in another order).
    return env.unwrapped.get_state()


@pytest.mark.parametrize("env_id", IDS)
def test_expert_episode_distance_drops_by_one_per_step(make, env_id):
    env = make(env_id, expert=True)
    for task_id in TASKS[env_id]:
        _, info = env.reset(seed=0, options={"split": "test", "task_id": task_id})
        distances = [expert_distance(env)]
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(info["expert_action"])
            done = terminated or truncated
            distances.append(expert_distance(env))
        assert info["won"] and distances[-1] == 0
        assert distances == list(range(distances[0], -1, -1)), (task_id, distances)
        np.testing.assert_allclose(true_progress(distances), np.arange(len(distances)) / distances[0])


@pytest.mark.parametrize("env_id", IDS)
def test_distance_ignores_step_limit_and_truncation(make, env_id):
    """A 2-step limit: the env stops offering the expert (VirtualHome even plans within it), the distance does not."""
    long_env = make(env_id, expert=True, max_steps=10_000)
    short = make(env_id, expert=True, max_steps=2)
    for task_id in TASKS[env_id]:
        actions = expert_actions(long_env, task_id)
        if len(actions) <= 2:
            continue
        _, info = short.reset(seed=0, options={"split": "test", "task_id": task_id})
        assert expert_distance(short) == len(actions)
        for t, action in enumerate(actions[:2], start=1):
            _, _, terminated, truncated, info = short.step(action)
            assert expert_distance(short) == len(actions) - t
        assert truncated and not terminated and info["expert_action"] is None
        assert expert_distance(short) == len(actions) - 2
        # still true after stepping the finished episode (which changes nothing), and it stays finished
        assert short.unwrapped.step(actions[2])[2:4] == (True, False)
        before = state(short)
        assert expert_distance(short) == len(actions) - 2 and state(short) == before
        assert short.unwrapped.max_steps == 2 and short.unwrapped._done


def test_virtualhome_expert_plan_longer_than_the_step_limit(make):
    env = make("SPA-VirtualHome-v0", expert=True, max_steps=3)
    lengths = {t: len(expert_actions(make("SPA-VirtualHome-v0", expert=True), t)) for t in range(10)}
    task_id = next(t for t, n in lengths.items() if n > 3)
    _, info = env.reset(seed=0, options={"split": "test", "task_id": task_id})
    assert info["expert_action"] is None  # its planner gives up beyond max_steps commands ...
    assert expert_distance(env) == lengths[task_id]  # ... the rollout plans without that limit
    assert env.unwrapped._plan == []  # and the env's own cache is as it was


@pytest.mark.parametrize("env_id", IDS)
def test_call_leaves_env_exactly_as_it_was(make, env_id):
    """Twin envs, one measured at every step: same state, and every next step gives the same result."""
    a, b = make(env_id, expert=True), make(env_id, expert=True)
    rng = np.random.default_rng(0)
    for task_id in TASKS[env_id]:
        obs_a, info_a = a.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        assert (obs_a, info_a) == b.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        for _ in range(a.unwrapped.max_steps + 2):  # past the step limit too
            before = state(a)
            expert_distance(a)
            assert state(a) == before == state(b)
            cmds = info_a["admissible_commands"]
            if info_a.get("expert_action") and rng.random() < 0.6:
                action = info_a["expert_action"]
            elif cmds:
                action = cmds[rng.integers(len(cmds))]
            else:
                action = "search[red shirt]"
            out_a = a.step(action)
            assert out_a == b.step(action), action
            info_a = out_a[4]


@pytest.mark.parametrize("env_id", ["SPA-ALFWorld-v0", "SPA-VirtualHome-v0"])
def test_cached_expert_plans_are_put_back(make, env_id):
    """The rollout advances a copy of the expert's cached plan; the env keeps the one it was following."""
    env = make(env_id, expert=True)
    _, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
    _, _, _, _, info = env.step(info["expert_action"])
    base = env.unwrapped
    if env_id == "SPA-ALFWorld-v0":
        planner = base._planner
        plan, at = list(planner._plan), planner._at.copy()
        assert expert_distance(env) > 0
        assert base._planner is planner and planner._plan == plan and planner._at == at
    else:
        plan_list = base._plan
        plan = list(plan_list)
        assert expert_distance(env) == len(plan) > 0
        assert base._plan is plan_list and plan_list == plan
    assert env.step(info["expert_action"])[4]["action_valid"]


@pytest.mark.parametrize("env_id", IDS)
def test_random_play_distances_are_consistent(make, env_id):
    """From any state a random policy reaches, the distance is what the expert then really takes."""
    env, check = make(env_id, expert=True), make(env_id, expert=True, max_steps=10_000)
    rng = np.random.default_rng(1)
    for task_id in TASKS[env_id]:
        _, info = env.reset(seed=0, options={"split": "test", "task_id": task_id})
        done = False
        while not done:
            cmds = info["admissible_commands"] or ["search[blue]"]
            _, _, terminated, truncated, info = env.step(cmds[rng.integers(len(cmds))])
            done = terminated or truncated
            d = expert_distance(env)
            check.reset(seed=0, options={"split": "test", "task_id": task_id})
            check.unwrapped.set_state(env.unwrapped.get_state())
            check.unwrapped._done = False  # an independent count: follow the expert's commands by hand
            if d is None:
                assert not info["won"]
                continue
            for _ in range(d):
                assert not check.unwrapped._won()
                check.step(check.unwrapped._expert_action())
            assert check.unwrapped._won()


def test_webshop_bad_purchase_cannot_be_won(make):
    env = make("SPA-WebShop-v0", expert=True)
    _, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
    *_, info = env.step("search[dress belt]")
    products = [c for c in info["admissible_commands"] if c not in ("click[back to search]", "click[next >]")]
    *_, info = env.step(products[-1])
    _, reward, terminated, _, info = env.step("click[Buy Now]")
    assert terminated and not info["won"] and reward < 1.0
    assert expert_distance(env) is None


def test_env_without_expert_and_limits():
    env = CountingEnv(max_steps=3)  # no expert=True: the rollout forces it, then puts expert=False back
    _, info = env.reset(seed=0, options={"task_id": 0})
    assert "expert_action" not in info and expert_distance(env) == 6
    assert env.expert is False and "expert_action" not in env.step("go up")[4]
    assert expert_distance(env, limit=5) == 5 and expert_distance(env, limit=4) is None
    with pytest.raises(ValueError):
        expert_distance(env, limit=-1)
    with pytest.raises(gym.error.ResetNeeded):
        expert_distance(CountingEnv())
    with pytest.raises(TypeError):
        expert_distance(gym.make("CartPole-v1"))
    for _ in range(5):
        env.step("go up")
    assert env.get_state()["world"]["at"] == 3 and expert_distance(env, limit=0) is None  # truncated at 3
    env.unwrapped._world["at"] = 6
    assert expert_distance(env, limit=0) == 0


def test_rollout_does_not_render(capsys):
    env = CountingEnv(expert=True, render_mode="human")
    env.reset(seed=0, options={"task_id": 0})
    capsys.readouterr()
    assert expert_distance(env) == 6
    assert capsys.readouterr().out == "" and env.render_mode == "human"


def test_true_progress():
    np.testing.assert_allclose(true_progress([4, 3, 5, 0]), [0.0, 0.25, -0.25, 1.0])
    np.testing.assert_allclose(true_progress([2, None], cap=10), [0.0, -4.0])
    np.testing.assert_allclose(true_progress([None, 100]), [0.0, 1 - 100 / DEFAULT_LIMIT])
    np.testing.assert_allclose(true_progress([0]), [1.0])  # d_0 floored at 1
    assert true_progress([]).shape == (0,)
    with pytest.raises(ValueError):
        true_progress([3, -1])
    with pytest.raises(ValueError):
        true_progress([3], cap=0)
