"""SPA reward wrappers: online rewards equal offline scoring; vector form batches; baselines; redistribution."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.vector import AutoresetMode

from spa_gym.progress.episodes import Episode, RandomPolicy, Step, collect_episodes
from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.toy import CountingEnv
from spa_gym.wrappers import (MODES, GroundingReward, SPAReward, SPARewardVector, redistribute,
                              redistribute_batch)

ATOL = 1e-5


@pytest.fixture(scope="module")
def estimator(tmp_path_factory):
    est = ProgressEstimator.default(size="tiny", seed=0, device="cpu", cache_dir=tmp_path_factory.mktemp("m"))
    with torch.no_grad():
        est.head.bias.fill_(0.1)  # contributions clearly non-zero
    return est


def _play(env, policy, seed):
    """Play one episode through a (wrapped) env; return the Episode and the per-step (reward, info)."""
    obs, info = env.reset(seed=seed)
    ep, out, done = Episode(info["task"], obs), [], False
    while not done:
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        ep.steps.append(Step(action, obs, info["action_valid"], float(info["spa"]["env_reward"])))
        out.append((reward, info))
        done = terminated or truncated
    ep.final_reward = sum(s.reward for s in ep.steps)
    return ep, out


@pytest.mark.parametrize("add_final_reward", [False, True])
def test_spa_reward_online_equals_offline(estimator, add_final_reward):
    env = SPAReward(CountingEnv(max_steps=8), estimator, alpha=2.0, beta=0.5, form="per_step",
                    add_final_reward=add_final_reward)
    policy = RandomPolicy(seed=0, invalid_prob=0.3)
    for seed in range(3):  # several episodes through one wrapper: reset must restart the scorer
        ep, out = _play(env, policy, seed)
        offline = estimator.score_steps(ep)
        for t, ((reward, info), c) in enumerate(zip(out, offline)):
            spa = info["spa"]
            assert spa["contribution"] == pytest.approx(c, abs=ATOL)
            assert spa["grounding"] == float(ep.steps[t].action_valid)
            expected = 2.0 * c + 0.5 * spa["grounding"] + (spa["env_reward"] if add_final_reward else 0.0)
            assert reward == pytest.approx(expected, abs=ATOL)


def test_spa_reward_errors(estimator):
    env = SPAReward(CountingEnv(), estimator)
    with pytest.raises(gym.error.ResetNeeded):
        env.step("go up")
    with pytest.raises(ValueError, match="finite"):
        SPAReward(CountingEnv(), estimator, alpha=float("nan"))


def test_grounding_reward():
    env = GroundingReward(CountingEnv(max_steps=20), beta=0.25)
    ep, out = _play(env, RandomPolicy(seed=1, invalid_prob=0.4), seed=1)
    for step, (reward, info) in zip(ep.steps, out):
        assert reward == pytest.approx(0.25 * step.action_valid + step.reward)
        assert info["spa"]["contribution"] == 0.0
    without = GroundingReward(CountingEnv(max_steps=20), beta=0.25, add_final_reward=False)
    _, out = _play(without, RandomPolicy(seed=1, invalid_prob=0.4), seed=1)
    assert all(r in (0.0, 0.25) for r, _ in out)


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_vector_wrapper_matches_single_env_scoring(estimator, mode, monkeypatch):
    n = 3
    envs = gym.vector.SyncVectorEnv([lambda: CountingEnv(max_steps=5) for _ in range(n)], autoreset_mode=mode)
    venv = SPARewardVector(envs, estimator, alpha=1.0, beta=0.5, form="per_step")
    calls = []
    original = venv.scorer.add_steps
    monkeypatch.setattr(venv.scorer, "add_steps", lambda items: calls.append(len(items)) or original(items))
    rng = np.random.default_rng(0)
    obs, info = venv.reset(seed=0)
    live = [Episode(str(info["task"][i]), obs[i]) for i in range(n)]
    finished, rewards_of = [], {i: [] for i in range(n)}
    stepping_calls = 0
    for _ in range(12):
        actions = tuple(str(rng.choice(["go up", "go down", "look", "jump"])) for _ in range(n))
        obs, rewards, terminated, truncated, info = venv.step(actions)
        stepping_calls += bool(info["_spa"].any())
        for i in range(n):
            if not info["_spa"][i]:  # NEXT_STEP: this call only reset sub-env i
                assert rewards[i] == 0.0
                live[i] = Episode(str(info["task"][i]), obs[i])
                continue
            done = terminated[i] or truncated[i]
            step_obs = info["final_obs"][i] if (mode == AutoresetMode.SAME_STEP and done) else obs[i]
            live[i].steps.append(Step(actions[i], step_obs, bool(info["spa"]["grounding"][i])))
            rewards_of[i].append(rewards[i])
            if done:
                finished.append((live[i], rewards_of[i]))
                rewards_of[i] = []
                if mode == AutoresetMode.SAME_STEP:
                    live[i] = Episode(str(info["task"][i]), obs[i])
    # One batched estimator call per vector step in which some sub-env really stepped.
    assert len(calls) == stepping_calls and stepping_calls >= 10
    assert len(finished) >= n
    for ep, rewards in finished:
        g = np.array([s.action_valid for s in ep.steps], dtype=float)
        np.testing.assert_allclose(rewards, estimator.score_steps(ep) + 0.5 * g, atol=ATOL)


def test_vector_wrapper_rejects_disabled_autoreset(estimator):
    envs = gym.vector.SyncVectorEnv([CountingEnv], autoreset_mode=AutoresetMode.DISABLED)
    with pytest.raises(ValueError, match="autoreset"):
        SPARewardVector(envs, estimator)


def test_redistribution_modes(estimator):
    eps = collect_episodes(CountingEnv(expert=True, max_steps=7), RandomPolicy(invalid_prob=0.3), 5, seed=2,
                           progress=False)
    for ep in eps:
        r, g = ep.final_reward, np.array([s.action_valid for s in ep.steps], dtype=float)
        assert redistribute(ep, "sparse").sum() == r and redistribute(ep, "sparse")[-1] == r
        np.testing.assert_allclose(redistribute(ep, "uniform"), np.full(len(ep), r / len(ep)))
        grounding = redistribute(ep, "grounding", beta=0.3)
        np.testing.assert_allclose(grounding[:-1], 0.3 * g[:-1])
        assert grounding[-1] == pytest.approx(0.3 * g[-1] + r)
        spa = redistribute(ep, "spa", estimator, alpha=2.0, beta=0.3)
        np.testing.assert_allclose(spa, 2.0 * estimator.score_steps(ep) + 0.3 * g, atol=ATOL)
    for mode in MODES:
        batch = redistribute_batch(eps, mode, estimator, batch_size=2)
        for ep, b in zip(eps, batch):
            np.testing.assert_allclose(b, redistribute(ep, mode, estimator), atol=ATOL)
    assert redistribute(Episode("t", "o", [], 1.0), "uniform").shape == (0,)
    with pytest.raises(ValueError, match="unknown mode"):
        redistribute(eps[0], "dense")
    with pytest.raises(ValueError, match="needs an estimator"):
        redistribute(eps[0], "spa")
