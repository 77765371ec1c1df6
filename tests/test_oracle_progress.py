"""OracleProgressReward: (d_{t-1} - d_t) / d_0 from the expert distance, on all three envs."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import spa_gym  # noqa: F401  (registers the env ids)
from spa_gym.progress.toy import CountingEnv
from spa_gym.progress.true_progress import expert_distance, true_progress
from spa_gym.wrappers import OracleProgressReward

IDS = list(spa_gym.ENV_IDS)


def test_needs_an_expert_env(make):
    with pytest.raises(ValueError, match="expert=True"):
        OracleProgressReward(make("SPA-ALFWorld-v0"))
    with pytest.raises(ValueError, match="expert=True"):
        OracleProgressReward(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="limit"):
        OracleProgressReward(CountingEnv(expert=True), limit=0)


@pytest.mark.parametrize("env_id", IDS)
def test_expert_episode_earns_one_over_d0_per_step(make, env_id):
    env = OracleProgressReward(make(env_id, expert=True))
    for task_id in range(3):
        _, info = env.reset(seed=0, options={"split": "test", "task_id": task_id})
        d0 = info["oracle"]["distance"]
        assert d0 > 0 and info["oracle"]["progress"] == 0.0
        rewards, done = [], False
        while not done:
            _, reward, terminated, truncated, info = env.step(info["expert_action"])
            rewards.append(reward)
            done = terminated or truncated
        assert terminated and info["won"] and len(rewards) == d0
        assert info["oracle"] == {"distance": 0, "progress": 1.0}
        final = 1.0  # all three envs pay 1.0 for a win (WebShop: a purchase scoring 1.0)
        np.testing.assert_allclose(rewards, [1 / d0] * (d0 - 1) + [1 / d0 + final])


@pytest.mark.parametrize("env_id", IDS)
def test_random_episode_telescopes_and_leaves_env_untouched(make, env_id):
    """Over a random episode to the step limit: the shaped rewards sum to the final true progress, the
    progress in info is true_progress of the distances, and the env plays exactly as an unwrapped twin."""
    env = OracleProgressReward(make(env_id, expert=True), add_final_reward=False)
    twin = make(env_id, expert=True)
    rng = np.random.default_rng(0)
    for task_id in range(3):
        opts = {"split": "test", "task_id": task_id}
        obs, info = env.reset(seed=task_id, options=opts)
        assert (obs, {k: v for k, v in info.items() if k != "oracle"}) == twin.reset(seed=task_id, options=opts)
        distances, progress, rewards, done = [info["oracle"]["distance"]], [0.0], [], False
        while not done:
            cmds = info["admissible_commands"] or ["search[soft blue]"]
            action = cmds[rng.integers(len(cmds))]
            obs, reward, terminated, truncated, info = env.step(action)
            t_obs, t_reward, t_term, t_trunc, t_info = twin.step(action)
            assert (obs, terminated, truncated) == (t_obs, t_term, t_trunc)
            assert {k: v for k, v in info.items() if k != "oracle"} == t_info
            assert info["oracle"]["distance"] == expert_distance(twin)
            distances.append(info["oracle"]["distance"])
            progress.append(info["oracle"]["progress"])
            rewards.append(reward)
            done = terminated or truncated
        np.testing.assert_allclose(progress, true_progress(distances))
        assert sum(rewards) == pytest.approx(progress[-1])


def test_unwinnable_state_counts_as_limit_steps(make):
    env = OracleProgressReward(make("SPA-WebShop-v0", expert=True), limit=50)
    _, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
    d0 = info["oracle"]["distance"]
    *_, info = env.step("search[dress belt]")
    products = [c for c in info["admissible_commands"] if c not in ("click[back to search]", "click[next >]")]
    _, _, _, _, info = env.step(products[-1])
    before = info["oracle"]["distance"]
    _, reward, terminated, _, info = env.step("click[Buy Now]")  # a purchase that does not score 1.0
    assert terminated and not info["won"]
    assert info["oracle"]["distance"] is None and info["oracle"]["progress"] == pytest.approx(1 - 50 / d0)
    env_reward = info["reward_breakdown"]["reward"]
    assert reward == pytest.approx((before - 50) / d0 + env_reward)


def test_composes_with_other_wrappers():
    from spa_gym.wrappers import GroundingReward

    env = GroundingReward(OracleProgressReward(CountingEnv(expert=True), add_final_reward=False), beta=0.5,
                          add_final_reward=True)
    env.reset(seed=0, options={"task_id": 0})
    _, reward, _, _, info = env.step("go up")
    assert reward == pytest.approx(1 / 6 + 0.5) and info["oracle"]["distance"] == 5 and "spa" in info
