"""RRO: the rising-reward collector, its records, the training data made from them, and its command line."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import spa_gym  # noqa: F401  (registers the env ids)
from agents_fixtures import tiny_model_dir, toy_env  # noqa: F401  (fixtures)
from spa_gym.agents.prompts import PromptConfig, build_messages
from spa_gym.agents.rro import (EstimatorProgress, ExpertPlanProgress, RROConfig, RROStep,
                                collect_rising_trajectories, main, preference_pairs, read_steps, sft_samples,
                                summarize, trajectories)
from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, RandomPolicy, Step, collect_episodes
from spa_gym.progress.toy import CountingEnv


def alfworld():
    return gym.make("SPA-ALFWorld-v0", expert=True)


def collect(env, n=4, policy=None, scorer=None, **cfg):
    cfg.setdefault("max_candidates", 4)
    return collect_rising_trajectories(env, policy or NoisyExpertPolicy(epsilon=0.8), scorer or ExpertPlanProgress(),
                                       n, RROConfig(**cfg), progress=False)


def check_rising_rule(steps: list[RROStep], config: RROConfig) -> None:
    """Every step follows the rule: sample until one rises; keep it, or the best when none does."""
    by_episode: dict[int, list[RROStep]] = {}
    for s in steps:
        by_episode.setdefault(s.episode, []).append(s)
    for ep_steps in by_episode.values():
        assert [s.t for s in ep_steps] == list(range(len(ep_steps)))
        assert [s.done for s in ep_steps] == [False] * (len(ep_steps) - 1) + [True]
        for prev, s in zip([None] + ep_steps, ep_steps):
            if prev is not None:  # the bar is the previous step's chosen reward
                assert s.prev_reward == prev.chosen_candidate.reward
            bar = s.prev_reward + config.min_rise
            rewards = [c.reward for c in s.candidates]
            assert 1 <= s.n_samples <= config.max_candidates
            assert s.n_samples == sum(c.samples for c in s.candidates)
            assert len({c.action for c in s.candidates}) == len(s.candidates)
            # Every candidate tried before the last one fell short of the bar.
            assert all(r < bar for r in rewards[:-1])
            if s.rose:  # sampling stopped at the first rising candidate, and it continues the trajectory
                assert s.chosen == len(s.candidates) - 1 and rewards[-1] >= bar
            else:  # it used every sample and kept the best
                assert s.n_samples == config.max_candidates and max(rewards) < bar
                assert rewards[s.chosen] == max(rewards)
            # All candidates of a step start from the same progress: the chosen one's of the step before.
            starts = {round(c.progress - c.contribution, 6) for c in s.candidates}
            assert len(starts) == 1
            if prev is not None:
                assert starts.pop() == pytest.approx(prev.chosen_candidate.progress, abs=1e-5)
            for c in s.candidates:
                assert c.reward == (c.progress if config.reward == "cumulative" else c.contribution)


@pytest.mark.parametrize("reward, min_rise", [("cumulative", 0.0), ("cumulative", 1.0), ("spa", 0.0)])
def test_rising_rule_and_sample_bound_on_alfworld(reward, min_rise):
    config = RROConfig(max_candidates=3, reward=reward, min_rise=min_rise, seed=5)
    steps = collect(alfworld(), n=6, max_candidates=3, reward=reward, min_rise=min_rise, seed=5)
    check_rising_rule(steps, config)
    # The adaptive part: some steps took one sample, some needed more.
    counts = {s.n_samples for s in steps}
    assert 1 in counts and max(counts) > 1


def test_expert_plan_progress_counts_remaining_expert_steps():
    env = alfworld()
    obs, info = env.reset(seed=0, options={"task_id": 3})
    scorer = ExpertPlanProgress()
    snapshot = env.unwrapped.get_state()
    start = scorer(Episode(info["task"], obs), env.unwrapped, info)
    assert env.unwrapped.get_state() == snapshot  # the scorer left the env as it found it
    plan = 0
    while not info["won"]:
        obs, _, _, _, info = env.step(info["expert_action"])
        plan += 1
        assert scorer(Episode(info["task"], obs), env.unwrapped, info) == start + plan
    assert start == -plan and plan > 1
    with pytest.raises(ValueError, match="expert=True"):
        scorer(Episode("t", "o"), gym.make("SPA-ALFWorld-v0").unwrapped, {"won": False})


def replayed_expert_distance(env_id: str, split: str, task_id: int, seed: int, actions: list[str],
                             make=gym.make) -> int | None:
    """An independent oracle: replay ``actions`` in an env with no step limit, then count the expert's steps."""
    env = make(env_id, expert=True, max_steps=10 ** 6)
    _, info = env.reset(seed=seed, options={"split": split, "task_id": task_id})
    for action in actions:
        _, _, _, _, info = env.step(action)
    n = 0
    while not info["won"]:
        if info["expert_action"] is None or n == 1000:
            return None
        _, _, _, _, info = env.step(info["expert_action"])
        n += 1
    return n


def test_expert_plan_progress_past_the_step_limit():
    """A random policy run to the step limit: the score is minus the true distance at every step, the last
    (truncated) one included, and never -max_plan unless the expert really cannot win."""
    scorer = ExpertPlanProgress(max_plan=100)
    env = gym.make("SPA-ALFWorld-v0", expert=True, max_steps=12)
    policy = RandomPolicy(seed=0)
    for task_id in range(3):
        obs, info = env.reset(seed=task_id, options={"split": "train", "task_id": task_id})
        episode, done = Episode(info["task"], obs), False
        while not done:
            action = policy(obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            episode.steps.append(Step(action, obs, info["action_valid"], float(reward)))
            done = terminated or truncated
            true = replayed_expert_distance("SPA-ALFWorld-v0", "train", task_id, task_id,
                                            [s.action for s in episode.steps])
            score = scorer(episode, env.unwrapped, info)
            assert score == -(scorer.max_plan if true is None else true), (task_id, len(episode.steps))
            assert score != -scorer.max_plan or true is None
        if truncated:  # the env offers no expert step any more, the score still counts the real plan
            assert info["expert_action"] is None and score > -scorer.max_plan


def test_expert_plan_progress_at_the_webshop_step_limit(make):
    """The same on WebShop (the RRO comparison's env): a noisy shopper run into a 5-step limit, its last step
    truncated, is scored minus its true distance, never -max_plan while the expert can still buy."""
    scorer = ExpertPlanProgress(max_plan=100)
    env = make("SPA-WebShop-v0", expert=True, max_steps=5)
    policy = NoisyExpertPolicy(epsilon=0.6, seed=1)
    truncated_seen = False
    for task_id in range(3):
        obs, info = env.reset(seed=task_id, options={"split": "train", "task_id": task_id})
        episode, done = Episode(info["task"], obs), False
        while not done:
            action = policy(obs, info)
            obs, reward, terminated, truncated, info = env.step(action)
            episode.steps.append(Step(action, obs, info["action_valid"], float(reward)))
            done = terminated or truncated
            true = replayed_expert_distance("SPA-WebShop-v0", "train", task_id, task_id,
                                            [s.action for s in episode.steps], make=make)
            assert scorer(episode, env.unwrapped, info) == -(scorer.max_plan if true is None else true)
        if truncated and not terminated:
            truncated_seen = True
            assert info["expert_action"] is None and true is not None
    assert truncated_seen  # the limit was reached at least once


def test_rising_collection_with_a_random_policy_never_scores_max_plan():
    scorer = ExpertPlanProgress(max_plan=100)
    config = RROConfig(max_candidates=2, max_steps=100, seed=3)
    steps = collect_rising_trajectories(gym.make("SPA-ALFWorld-v0", expert=True, max_steps=15), RandomPolicy(seed=0),
                                        scorer, 3, config, progress=False)
    assert all(c.progress > -scorer.max_plan for s in steps for c in s.candidates)
    for i, ep in enumerate(trajectories(steps)):
        last = [s for s in steps if s.episode == i][-1]
        assert last.done and last.t + 1 == 15 and not last.won  # ran to the env's step limit
        true = replayed_expert_distance("SPA-ALFWorld-v0", "train", ep.task_id, config.seed + i,
                                        [s.action for s in ep.steps])
        assert last.chosen_candidate.progress == -true


def test_trajectory_continues_from_exactly_the_right_state():
    """Replaying the records in a fresh env gives every recorded observation, for the chosen actions and
    for every candidate tried from each snapshot."""
    config = RROConfig(max_candidates=4, seed=11)
    steps = collect_rising_trajectories(alfworld(), RandomPolicy(seed=0), ExpertPlanProgress(max_plan=30), 2,
                                        config, progress=False)
    fresh = alfworld()
    for i, ep in enumerate(trajectories(steps)):
        ep_steps = [s for s in steps if s.episode == i]
        obs, info = fresh.reset(seed=config.seed + i, options={"split": "train", "task_id": ep.task_id})
        assert obs == ep.observation
        for t, (step, record) in enumerate(zip(ep.steps, ep_steps)):
            snapshot = fresh.unwrapped.get_state()
            for c in record.candidates:
                fresh.unwrapped.set_state(snapshot)
                assert fresh.unwrapped.step(c.action)[0] == c.observation
            fresh.unwrapped.set_state(snapshot)
            obs, _, _, _, info = fresh.step(step.action)
            assert obs == step.observation and info["step"] == t + 1


class ForgetfulEnv(CountingEnv):
    """A broken env whose set_state restores nothing."""

    def set_state(self, state):
        pass


def test_an_env_that_does_not_restore_is_caught():
    with pytest.raises(RuntimeError, match="set_state does not restore"):
        collect(ForgetfulEnv(expert=True), n=2, policy=NoisyExpertPolicy(epsilon=1.0), scorer=lambda *a: 0.0,
                min_rise=1.0)


def test_jsonl_round_trip_and_determinism(tmp_path):
    out = tmp_path / "rro" / "steps.jsonl"
    config = RROConfig(max_candidates=3, min_rise=1.0, seed=3)
    steps = collect_rising_trajectories(alfworld(), NoisyExpertPolicy(epsilon=0.8), ExpertPlanProgress(), 3, config,
                                        out, progress=False)
    assert len(out.read_text().splitlines()) == len(steps)  # one line per step, written as it was decided
    assert read_steps(out) == steps
    again = collect_rising_trajectories(alfworld(), NoisyExpertPolicy(epsilon=0.8), ExpertPlanProgress(), 3, config,
                                        progress=False)
    assert again == steps
    other = collect_rising_trajectories(alfworld(), NoisyExpertPolicy(epsilon=0.8), ExpertPlanProgress(), 3,
                                        RROConfig(max_candidates=3, min_rise=1.0, seed=4), progress=False)
    assert other != steps
    bad = tmp_path / "bad.jsonl"
    bad.write_text(out.read_text().splitlines()[0] + "\n{\"episode\": 0}\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: malformed RRO step"):
        read_steps(bad)


def test_rising_trajectories_succeed_more_than_the_noisy_policy_alone():
    env = alfworld()
    rro = summarize(collect(env, n=10, min_rise=1.0, max_candidates=4, max_steps=40))
    plain = collect_episodes(env, NoisyExpertPolicy(epsilon=0.8), 10, seed=0, max_steps=40, progress=False)
    assert rro["success_rate"] >= 0.9 > np.mean([ep.won for ep in plain])
    assert rro["episodes"] == 10 and rro["preference_pairs"] > 0


def test_preference_pairs_and_sft_samples():
    steps = collect(alfworld(), n=3, min_rise=1.0, max_candidates=4)
    pairs = preference_pairs(steps)
    assert len(pairs) == sum(len(s.rejected) for s in steps) > 0
    for p in pairs:
        assert p["chosen_reward"] > p["rejected_reward"] and p["chosen"] != p["rejected"]
        assert p["prompt"].startswith("Instructions:") and p["prompt"].endswith("Agent:\n")
    assert len(preference_pairs(steps, min_margin=1.5)) < len(pairs)
    rising = [s for s in steps if s.rose]
    samples = sft_samples(steps)
    assert [x.reply for x in samples] == [s.chosen_candidate.reply for s in rising]
    assert len(sft_samples(steps, rising_only=False)) == len(steps)
    # The recorded prompt is what the agent sees at that point of the chosen trajectory.
    for s in steps:
        history = [(x.chosen_candidate.reply, x.chosen_candidate.observation) for x in steps
                   if x.episode == s.episode and x.t < s.t]
        assert s.messages == build_messages(s.task, s.first_observation, history, PromptConfig())


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="max_candidates"):
        RROConfig(max_candidates=0)
    with pytest.raises(ValueError, match="reward must be one of"):
        RROConfig(reward="dense")
    with pytest.raises(TypeError, match="policy must be"):
        collect(toy_env(), policy="go up")
    with pytest.raises(TypeError, match="estimator must be"):
        collect(toy_env(), scorer=3)
    with pytest.raises(ValueError, match="task_ids"):
        collect_rising_trajectories(toy_env(), RandomPolicy(), ExpertPlanProgress(), 2, task_ids=[0],
                                    progress=False)


def test_llm_policy_and_estimator_plumbing(tiny_model_dir):  # noqa: F811
    from spa_gym.agents.policy import LLMPolicy
    from spa_gym.progress.estimator import ProgressEstimator

    policy = LLMPolicy.from_pretrained(tiny_model_dir, max_new_tokens=4)
    estimator = ProgressEstimator.from_pretrained(tiny_model_dir, "cpu")
    config = RROConfig(max_candidates=3, max_steps=3, reward="spa", seed=1)
    steps = collect_rising_trajectories(toy_env(), policy, estimator, 2, config, progress=False)
    check_rising_rule(steps, config)
    assert any(len(s.candidates) > 1 for s in steps)  # sampled replies differ
    # The untrained estimator's contributions hover below 0: steps sample to the limit and keep the best.
    assert any(not s.rose for s in steps)
    lenient = RROConfig(max_candidates=3, max_steps=3, min_rise=-1.0, seed=1)
    first_rises = collect_rising_trajectories(toy_env(), policy, estimator, 1, lenient, progress=False)
    assert all(s.rose and s.n_samples == 1 for s in first_rises)
    check_rising_rule(first_rises, lenient)
    for i, ep in enumerate(trajectories(steps)):
        # The chosen steps' contributions are the estimator's own scores of the whole trajectory.
        ep_steps = [s for s in steps if s.episode == i]
        scores = estimator.score_steps(ep)
        assert [s.chosen_candidate.contribution for s in ep_steps] == pytest.approx(scores.tolist(), abs=1e-5)
        assert EstimatorProgress(estimator)(ep) == pytest.approx(float(scores.sum()), abs=1e-5)
    for s in steps:
        assert s.messages == build_messages(s.task, s.first_observation,
                                            [(x.chosen_candidate.reply, x.chosen_candidate.observation)
                                             for x in steps if x.episode == s.episode and x.t < s.t],
                                            policy.prompt_config, ["go up", "go down", "look"])
    again = collect_rising_trajectories(toy_env(), policy, estimator, 2, config, progress=False)
    assert [s.to_dict() for s in again] == [s.to_dict() for s in steps]
    pairs = preference_pairs(steps, tokenizer=policy.tokenizer)
    assert all(p["prompt"].endswith("<|assistant|>\n") for p in pairs)
    # Candidates generated two per model call follow the same rule.
    batched = RROConfig(max_candidates=3, max_steps=3, reward="spa", seed=1, sample_batch=2)
    check_rising_rule(collect_rising_trajectories(toy_env(), policy, estimator, 1, batched, progress=False), batched)


def test_estimator_progress_prefix_cache_equals_full_scoring(tiny_model_dir):  # noqa: F811
    """Candidates scored on the cached prefix give the numbers of full re-encoding, also when the episode
    outgrows the context (sliding window) and when a new episode starts."""
    from spa_gym.progress.estimator import ProgressEstimator

    for max_context in (2048, 96):
        estimator = ProgressEstimator.from_pretrained(tiny_model_dir, "cpu", max_context=max_context)
        cached, full = EstimatorProgress(estimator), EstimatorProgress(estimator, reuse_prefix=False)
        for task_id in (0, 1):
            ep = collect_episodes(toy_env(), RandomPolicy(seed=task_id), 1, seed=task_id, task_ids=[task_id],
                                  progress=False)[0]
            for t in range(1, len(ep) + 1):
                for action, obs in ((ep.steps[t - 1].action, ep.steps[t - 1].observation), ("look", "Nothing.")):
                    branch = Episode(ep.task, ep.observation, ep.steps[: t - 1] + [Step(action, obs, True)])
                    assert cached(branch) == pytest.approx(full(branch), abs=1e-5)
                    assert full(branch) == pytest.approx(float(estimator.score_steps(branch).sum()), abs=1e-6)
        assert cached._tokens <= max_context


def test_step_level_estimator_as_process_reward():
    """ProgressEstimator.default() (the step-level model, no token prefix to cache) scores candidates in full,
    with the default reuse_prefix=True too, and the chosen contributions are its own scores of the trajectory."""
    from spa_gym.progress.estimator import ProgressEstimator

    estimator = ProgressEstimator.default(seed=0, device="cpu")
    assert not EstimatorProgress(estimator).reuse_prefix
    config = RROConfig(max_candidates=3, max_steps=4, seed=2)
    steps = collect_rising_trajectories(toy_env(), RandomPolicy(seed=1), estimator, 2, config, progress=False)
    check_rising_rule(steps, config)
    for i, ep in enumerate(trajectories(steps)):
        chosen = [s.chosen_candidate.contribution for s in steps if s.episode == i]
        assert chosen == pytest.approx(estimator.score_steps(ep).tolist(), abs=1e-5)


def test_command_line(tmp_path, capsys):
    out = tmp_path / "rro"
    args = ["--env", "SPA-ALFWorld-v0", "--episodes", "2", "--out", str(out), "--min-rise", "1",
            "--max-candidates", "3", "--compare"]
    summary = main(args)
    assert summary["episodes"] == 2 and json.loads((out / "summary.json").read_text())["steps"] == summary["steps"]
    assert len(read_steps(out / "steps.jsonl")) == summary["steps"]
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert len(pairs) == summary["preference_pairs"]
    assert (out / "sft.jsonl").read_text().count("\n") > 0
    with pytest.raises(SystemExit):
        main(args)  # refuses to mix with an earlier run
    assert "--overwrite" in capsys.readouterr().err
    again = main(args + ["--overwrite"])
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in summary.items() if k != "seconds"}
    assert 0.0 <= summary["policy_alone_success_rate"] <= 1.0
    with pytest.raises(SystemExit):
        main(["--env", "SPA-Nowhere-v0", "--out", str(tmp_path / "x")])
    assert "unknown environment id 'SPA-Nowhere-v0'" in capsys.readouterr().err
