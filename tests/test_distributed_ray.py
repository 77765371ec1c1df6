"""spa_gym.distributed on a local Ray: episodes, SPA rewards, PPO's rewards, a killed worker, and the CLI's --ray.

Ray starts once for the module (``ray.init(num_cpus=2)``) and its actors are module-scoped fixtures (three env
workers, one estimator actor shared by every reward form), holding no CPU reservation, so every test's actors
fit beside them: each actor is a process that imports spa_gym and torch, the cost of these tests. Only
``collect --ray`` runs as a user runs it, a fresh process starting its own local Ray.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (the `ray` extra: pip install 'spa-gym[ray]')")

from agents_fixtures import sft_toy_dir, tiny_model_dir, toy_env  # noqa: E402,F401  (fixtures)

from spa_gym.agents.ppo import turn_rewards  # noqa: E402
from spa_gym.agents.rollout import run_episodes  # noqa: E402
from spa_gym.distributed import (LLMBatchPolicy, PerEpisodePolicy, RayRollouts, SPAStepScorer,  # noqa: E402
                                 start_estimator)
from spa_gym.distributed.ppo import online_reward_settings, online_rewards, ray_rollout_fn  # noqa: E402
from spa_gym.progress import ProgressEstimator  # noqa: E402
from spa_gym.progress.episodes import NoisyExpertPolicy, collect_episodes  # noqa: E402
from spa_gym.progress.toy import CountingEnv  # noqa: E402
from spa_gym.wrappers import SPAReward  # noqa: E402

TOY_ID = "AgentTest-Counting-v0"
TASKS = [("train", i) for i in range(10)]
TOY = functools.partial(CountingEnv, expert=True)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    # The workers' processes register the toy id too (the CLI makes envs by id), and import what every worker
    # imports as they start, not when their actor arrives (no torch: test_a_worker_process_imports_no_torch).
    def setup():
        import spa_gym.distributed.workers  # noqa: F401

        gym.register(TOY_ID, "spa_gym.progress.toy:CountingEnv")

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"worker_process_setup_hook": setup, "env_vars": {"OMP_NUM_THREADS": "1"}})
    if TOY_ID not in gym.registry:
        gym.register(TOY_ID, "spa_gym.progress.toy:CountingEnv")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def one_worker():
    with RayRollouts(TOY, n_workers=1, envs_per_worker=4, worker_cpus=0) as rollouts:
        yield rollouts


@pytest.fixture(scope="module")
def two_workers():
    with RayRollouts(TOY, n_workers=2, envs_per_worker=2, worker_cpus=0) as rollouts:
        yield rollouts


@pytest.fixture(scope="module")
def estimator():
    return ProgressEstimator.default(seed=1, device="cpu")


@pytest.fixture(scope="module")
def estimator_actor(estimator):
    """One estimator actor for the module; each test's runs give their own reward settings."""
    actor = start_estimator(estimator, num_gpus=0)
    yield actor
    ray.kill(actor)


def test_episodes_are_those_of_collect_episodes_whatever_the_number_of_workers(one_worker, two_workers):
    reference = collect_episodes(toy_env(), NoisyExpertPolicy(0.4), len(TASKS), seed=7, split="train",
                                 task_ids=[i for _, i in TASKS], progress=False)
    assert len({len(ep) for ep in reference}) > 1  # episodes of different lengths: slots refill out of order
    for rollouts in (one_worker, two_workers):
        trajs = rollouts.run(PerEpisodePolicy(NoisyExpertPolicy(0.4)), TASKS, seed=7, n_envs=4)
        assert [t.episode.to_dict() for t in trajs] == [ep.to_dict() for ep in reference]


def test_llm_policy_gives_run_episodes_trajectories(one_worker, two_workers, tiny_model_dir):
    from spa_gym.agents.policy import LLMPolicy

    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=4)
    tasks = TASKS[:5]
    reference = run_episodes(policy, toy_env, tasks, seed=3, n_envs=3)
    for rollouts in (one_worker, two_workers):
        trajs = rollouts.run(LLMBatchPolicy(policy), tasks, seed=3, n_envs=3)
        assert [t.episode.to_dict() for t in trajs] == [t.episode.to_dict() for t in reference]
        assert [[(u.response_ids, u.logprobs) for u in t.turns] for t in trajs] == \
            [[(u.response_ids, u.logprobs) for u in t.turns] for t in reference]


def _single_process_rewards(episode, estimator, form):
    env = SPAReward(toy_env(), estimator, form=form)
    env.reset(seed=episode["seed"], options={"split": "train", "task_id": episode["task_id"]})
    rewards, spa = [], []
    for step in episode["steps"]:
        _, reward, _, _, info = env.step(step["action"])
        rewards.append(reward)
        spa.append(info["spa"])
    return rewards, spa


@pytest.mark.parametrize("form", ["potential", "per_step"])
def test_estimator_actor_rewards_equal_spareward(two_workers, estimator, estimator_actor, form):
    before = ray.get(estimator_actor.describe.remote())
    trajs = two_workers.run(PerEpisodePolicy(NoisyExpertPolicy(0.5, invalid_prob=0.2)), TASKS[:6], seed=11,
                            n_envs=4, estimator=estimator_actor, reward={"form": form})
    after = ray.get(estimator_actor.describe.remote())
    n_steps, batches = sum(len(t.episode) for t in trajs), after["batches"] - before["batches"]
    assert after["steps_scored"] - before["steps_scored"] == n_steps and batches < n_steps  # several per batch
    for k, traj in enumerate(trajs):
        rewards, spa = _single_process_rewards(dict(traj.episode.to_dict(), seed=11 + k), estimator, form)
        _assert_close(traj.dense_rewards, traj.spa, rewards, spa)


def _assert_close(rewards, spa, expected_rewards, expected_spa):
    # Batched scoring (one GRU or LM forward over several episodes) agrees with one episode at a time to float
    # rounding; the reward arithmetic on top is SPAReward's own.
    assert len(rewards) == len(expected_rewards)
    np.testing.assert_allclose(rewards, expected_rewards, rtol=0, atol=1e-6)
    for mine, theirs in zip(spa, expected_spa):
        assert mine.keys() == theirs.keys()
        np.testing.assert_allclose([mine[k] for k in mine], [theirs[k] for k in mine], rtol=0, atol=1e-6)


@pytest.mark.parametrize("size, form", [("steps", "per_step"), ("tiny", "potential"), ("tiny", "per_step")])
def test_step_scorer_batches_equal_spareward(size, form):
    """The actor's scorer in-process: several episodes per batch, the step-level model and the tiny LM."""
    estimator = ProgressEstimator.default(seed=3, size=size, device="cpu")
    episodes = collect_episodes(toy_env(), NoisyExpertPolicy(0.5, invalid_prob=0.3), 3, seed=4, split="train",
                                task_ids=[0, 1, 2], progress=False)
    scorer = SPAStepScorer(estimator, form=form)
    scorer.start([(k, ep.task, ep.observation) for k, ep in enumerate(episodes)])
    got: list[list] = [[] for _ in episodes]
    for t in range(max(len(ep) for ep in episodes)):  # one batch per step: every episode still running
        live = [k for k, ep in enumerate(episodes) if t < len(ep)]
        steps = [(k, s.action, s.observation, s.action_valid, s.reward, t == len(episodes[k]) - 1)
                 for k in live for s in [episodes[k].steps[t]]]
        for k, answer in zip(live, scorer.score(steps)):
            got[k].append(answer)
    assert len(scorer) == 0  # every episode ended and was forgotten
    for k, ep in enumerate(episodes):
        rewards, spa = _single_process_rewards(dict(ep.to_dict(), seed=4 + k), estimator, form)
        _assert_close([r for r, _ in got[k]], [d for _, d in got[k]], rewards, spa)


def test_step_scorer_in_process_equals_spareward_exactly():
    """Without Ray and one episode per batch, the scorer's numbers are SPAReward's bit for bit."""
    estimator = ProgressEstimator.default(seed=2)
    episode = collect_episodes(toy_env(), NoisyExpertPolicy(0.5, invalid_prob=0.3), 1, seed=4, split="train",
                               task_ids=[2], progress=False)[0]
    rewards, spa = _single_process_rewards(dict(episode.to_dict(), seed=4), estimator, "potential")
    scorer = SPAStepScorer(estimator)
    scorer.start([("e", episode.task, episode.observation)])
    mine = [scorer.score([("e", s.action, s.observation, s.action_valid, s.reward, t == len(episode) - 1)])[0]
            for t, s in enumerate(episode.steps)]
    assert [r for r, _ in mine] == rewards and [d for _, d in mine] == spa
    assert len(scorer) == 0  # the last step ended the episode


def test_step_scorer_reward_settings_per_episode():
    """Episodes with their own reward settings, in the same batches, get SPAReward's rewards for those settings."""
    estimator = ProgressEstimator.default(seed=5)
    episodes = collect_episodes(toy_env(), NoisyExpertPolicy(0.5, invalid_prob=0.3), 2, seed=6, split="train",
                                task_ids=[1, 2], progress=False)
    scorer = SPAStepScorer(estimator, form="potential", beta=0.1)
    forms = ["potential", "per_step"]
    for k, (ep, form) in enumerate(zip(episodes, forms)):
        scorer.start([(k, ep.task, ep.observation)], {"form": form, "beta": 0.5})
    got: list[list] = [[] for _ in episodes]
    for t in range(max(len(ep) for ep in episodes)):
        live = [k for k, ep in enumerate(episodes) if t < len(ep)]
        steps = [(k, s.action, s.observation, s.action_valid, s.reward, t == len(episodes[k]) - 1)
                 for k in live for s in [episodes[k].steps[t]]]
        for k, answer in zip(live, scorer.score(steps)):
            got[k].append(answer)
    for k, (ep, form) in enumerate(zip(episodes, forms)):
        rewards, spa = _single_process_rewards(dict(ep.to_dict(), seed=6 + k), estimator, form)
        _assert_close([r for r, _ in got[k]], [d for _, d in got[k]], rewards, spa)
    with pytest.raises(ValueError, match="unknown reward settings"):
        scorer.start([("x", "t", "o")], {"shape": "potential"})


def _untimed(history):
    return [{k: v for k, v in h.items() if not k.startswith("time")} for h in history]


def _assert_same_training(history, reference, exact):
    """The same PPO iteration: equal, or (rewards scored step by step on the actor) equal to float rounding."""
    history, reference = _untimed(history), _untimed(reference)
    if exact:
        assert history == reference
        return
    assert [h.keys() for h in history] == [h.keys() for h in reference]
    for mine, theirs in zip(history, reference):
        np.testing.assert_allclose([mine[k] for k in mine], [theirs[k] for k in mine], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", ["spa", "spa_potential"])
def test_ppo_rewards_scored_on_the_actor_equal_those_after_the_episodes(two_workers, estimator, estimator_actor,
                                                                        sft_toy_dir, mode):
    """What PPO's ``rewards_fn`` gets from the actor equals :func:`turn_rewards` of the same episodes."""
    from spa_gym.agents.policy import LLMPolicy

    policy = LLMPolicy.from_pretrained(sft_toy_dir, max_new_tokens=4)
    rollout = ray_rollout_fn(two_workers, estimator=estimator_actor, reward=online_reward_settings(mode))
    timings: dict[str, float] = {}
    trajs = rollout(policy, None, TASKS[:4], seed=9, n_envs=3, timings=timings)
    assert [t.episode.to_dict() for t in trajs] == \
        [t.episode.to_dict() for t in run_episodes(policy, toy_env, TASKS[:4], seed=9, n_envs=3)]
    scored = online_rewards(trajs)
    expected = turn_rewards([t.episode for t in trajs], mode, estimator)
    assert [len(r) for r in scored] == [len(r) for r in expected] and timings["rewards"] >= 0
    np.testing.assert_allclose(np.concatenate(scored), np.concatenate(expected), rtol=0, atol=1e-6)
    assert len({round(r, 6) for r in np.concatenate(expected)}) > 2  # real SPA rewards, not a constant


def test_online_rewards_needs_scored_trajectories(two_workers):
    trajs = two_workers.run(PerEpisodePolicy(NoisyExpertPolicy(0.0)), TASKS[:2], seed=0, n_envs=2)
    with pytest.raises(RuntimeError, match="scored rewards"):
        online_rewards(trajs)


def test_killed_worker_is_restarted_and_its_episodes_replayed(two_workers):
    reference = two_workers.run(PerEpisodePolicy(NoisyExpertPolicy(0.3)), TASKS, seed=5, n_envs=4)
    pids = two_workers.worker_pids()

    def kill(round_no):
        if round_no == 3:  # mid-rollout: every slot holds a running episode
            os.kill(pids[1], signal.SIGKILL)

    replays = two_workers.replays
    trajs = two_workers.run(PerEpisodePolicy(NoisyExpertPolicy(0.3)), TASKS, seed=5, n_envs=4, on_round=kill)
    assert two_workers.replays > replays
    assert two_workers.worker_pids()[1] != pids[1]  # a new process
    assert [t.episode.to_dict() for t in trajs] == [t.episode.to_dict() for t in reference]


def test_a_worker_process_imports_no_torch():
    """What a worker imports (its module, the envs, the line recorder) leaves torch out: it starts in a second."""
    code = ("import functools, sys, gymnasium as gym; from spa_gym.distributed.workers import EnvWorker; "
            "from spa_gym.progress.toy import CountingEnv; "
            "EnvWorker(functools.partial(gym.make, 'SPA-ALFWorld-v0', expert=True), 1, record={}); "
            "EnvWorker(functools.partial(CountingEnv, expert=True), 1); "
            "print(sorted(m for m in ('torch', 'transformers', 'ray') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def _lines(path):
    # Only the time a line was written may differ between two runs.
    return [{k: v for k, v in json.loads(line).items() if k != "recorded_at"}
            for line in path.read_text().splitlines()]


def test_collect_with_ray_writes_the_same_lines(tmp_path):
    from spa_gym.cli import main

    argv = ["collect", "--env", "SPA-ALFWorld-v0", "--model", "expert", "--tasks", "6", "--seed", "3"]
    assert main(argv + ["--out", str(tmp_path / "plain.jsonl")]) == 0
    # The command as a user runs it: `--ray` with no address starts a local Ray for the command (and stops it).
    # One worker plays 8 episodes at once: they end out of task order, and are written in task order.
    proc = subprocess.run([sys.executable, "-m", "spa_gym.cli", *argv, "--out", str(tmp_path / "ray.jsonl"), "--ray",
                           "--workers", "1"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Started a local Ray instance" in proc.stderr
    plain, on_ray = _lines(tmp_path / "plain.jsonl"), _lines(tmp_path / "ray.jsonl")
    assert len(plain) == 6 and on_ray == plain
    assert len({len(line["steps"]) for line in plain}) > 1  # so the Ray run's episodes ended out of task order


def test_llm_collect_and_train_with_ray_match(tmp_path, sft_toy_dir, estimator):
    from spa_gym.cli import main

    collect = ["collect", "--env", TOY_ID, "--model", str(sft_toy_dir), "--tasks", "5", "--seed", "1"]
    assert main(collect + ["--out", str(tmp_path / "plain.jsonl")]) == 0
    assert main(collect + ["--out", str(tmp_path / "ray.jsonl"), "--ray", "--workers", "1"]) == 0
    assert _lines(tmp_path / "ray.jsonl") == _lines(tmp_path / "plain.jsonl")

    # SPA's potential form: with --ray the rewards are scored on an estimator actor the command starts.
    estimator.save(tmp_path / "estimator")
    train = ["train", "--env", TOY_ID, "--model", str(sft_toy_dir), "--reward", "spa_potential", "--estimator",
             str(tmp_path / "estimator"), "--iterations", "1", "--episodes-per-iteration", "2"]
    assert main(train + ["--out", str(tmp_path / "run-plain")]) == 0
    assert main(train + ["--out", str(tmp_path / "run-ray"), "--ray", "--workers", "1"]) == 0
    history = lambda run: json.loads((tmp_path / run / "history.json").read_text())  # noqa: E731
    _assert_same_training(history("run-ray"), history("run-plain"), exact=False)
    assert _lines(tmp_path / "run-ray" / "episodes" / "train.jsonl") == \
        _lines(tmp_path / "run-plain" / "episodes" / "train.jsonl")
