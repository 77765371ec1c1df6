"""StepProgressEstimator: the estimator API, online = offline scoring, save/load, training, data recipe."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spa_gym.progress import ProgressEstimator
from spa_gym.progress.episodes import NoisyExpertPolicy, RandomPolicy, collect_episodes
from spa_gym.progress.recipes import mixed_outcome_episodes
from spa_gym.progress.step_model import StepModelConfig, StepProgressEstimator
from spa_gym.progress.toy import CountingEnv
from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator


@pytest.fixture(scope="module")
def episodes():
    return collect_episodes(CountingEnv(max_steps=10, expert=True), RandomPolicy(seed=0, invalid_prob=0.3), 12,
                            seed=0, progress=False)


def test_default_is_the_step_model_and_contributions_sum_to_progress(episodes):
    est = ProgressEstimator.default(seed=0)
    assert isinstance(est, StepProgressEstimator)
    for ep, c in zip(episodes, est.score_episodes(episodes, batch_size=5)):
        assert c.shape == (len(ep),)
        np.testing.assert_allclose(np.cumsum(c), est.progress(ep), atol=1e-6)
        np.testing.assert_allclose(c, est.score_steps(ep), atol=1e-6)  # batching changes nothing


def test_incremental_scoring_equals_full_scoring(episodes):
    est = StepProgressEstimator(seed=2)
    with torch.no_grad():
        est.head.weight.mul_(30)  # contributions clearly non-zero
    scorer = est.incremental_scorer()
    for key, ep in enumerate(episodes[:4]):
        scorer.start(key, ep.task, ep.observation)
    online = {k: [] for k in range(4)}
    for t in range(max(len(ep) for ep in episodes[:4])):
        items = [(k, ep.steps[t].action, ep.steps[t].observation, ep.steps[t].action_valid)
                 for k, ep in enumerate(episodes[:4]) if t < len(ep)]
        for (k, *_), c in zip(items, scorer.add_steps(items)):
            online[k].append(c)
    for k, ep in enumerate(episodes[:4]):
        np.testing.assert_allclose(online[k], est.score_steps(ep), atol=1e-5)
    with pytest.raises(KeyError, match="not started"):
        scorer.add_steps([("nope", "go up", "x")])


def test_save_and_load_round_trip(tmp_path, episodes):
    est = StepProgressEstimator(StepModelConfig(feature_dim=64, hidden_size=16), seed=4)
    est.save(tmp_path / "est")
    again = ProgressEstimator.load(tmp_path / "est", device="cpu")
    assert isinstance(again, StepProgressEstimator) and again.config == est.config
    for a, b in zip(est.score_episodes(episodes), again.score_episodes(episodes)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="not 'steps'"):
        (tmp_path / "est" / "estimator.json").write_text('{"kind": "lm"}')
        StepProgressEstimator.load(tmp_path / "est")


def test_seed_is_deterministic_and_leaves_the_global_stream_alone(episodes):
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = StepProgressEstimator(seed=7), StepProgressEstimator(seed=7)
    assert torch.rand(1) == expected
    np.testing.assert_array_equal(a.score_steps(episodes[0]), b.score_steps(episodes[0]))


@pytest.mark.parametrize("objective", ["spa", "value", "uniform_prefix", "hindsight"])
def test_training_learns_that_the_expert_makes_progress(objective):
    env = CountingEnv(max_steps=100, expert=True)
    train = mixed_outcome_episodes(env, range(30), per_task=4, epsilons=(0.0, 0.5, 1.0), min_steps=3, max_steps=10,
                                   seed=0, progress=False)
    est = StepProgressEstimator(StepModelConfig(feature_dim=64, hidden_size=32), seed=0)
    cfg = EstimatorTrainingConfig(epochs=15, learning_rate=3e-3, objective=objective, progress=False)
    history = train_estimator(est, train, train[:20], cfg)
    assert history["train_loss"][-1] < history["train_loss"][0]
    # "go up" moves towards the target, "go down" away: the trained estimator must tell them apart.
    expert = collect_episodes(env, NoisyExpertPolicy(0.0), 5, seed=100, split="valid", max_steps=5, progress=False)
    away = [ep for ep in collect_episodes(env, RandomPolicy(seed=1), 30, seed=200, split="valid", max_steps=5,
                                          progress=False) if sum(s.action == "go down" for s in ep.steps) >= 3]
    assert away
    expert_total = np.mean([c.sum() for c in est.score_episodes(expert)])
    away_total = np.mean([c.sum() for c in est.score_episodes(away)])
    assert expert_total > away_total + 0.1


def test_recipe_mixes_outcomes_per_task_and_lengths():
    env = CountingEnv(max_steps=100, expert=True)
    eps = mixed_outcome_episodes(env, range(10), per_task=6, min_steps=2, max_steps=15, seed=3, progress=False)
    by_task = {}
    for ep in eps:
        by_task.setdefault(ep.task_id, []).append(ep.won)
    assert sum(len(set(v)) == 2 for v in by_task.values()) >= 5  # most tasks have both outcomes
    failed_lengths = {len(ep) for ep in eps if not ep.won}
    assert len(failed_lengths) >= 5  # failures end at many lengths, not all at one cap
    again = mixed_outcome_episodes(env, range(10), per_task=6, min_steps=2, max_steps=15, seed=3, progress=False)
    assert [e.to_dict() for e in eps] == [e.to_dict() for e in again]
    with pytest.raises(ValueError, match="min_steps"):
        mixed_outcome_episodes(env, range(2), min_steps=5, max_steps=2, progress=False)


def test_unknown_objective_is_a_clear_error(episodes):
    with pytest.raises(ValueError, match="unknown objective"):
        train_estimator(StepProgressEstimator(), episodes, None, EstimatorTrainingConfig(objective="magic"))


def test_task_sentence_is_cut_from_observations_and_overlap_shares_are_counted():
    from spa_gym.progress.step_model import OVERLAP_SCALE, StepFeaturizer, content_words

    assert content_words("I am looking for a Red mug, 2 pack") == {"red", "mug", "2", "pack"}
    f = StepFeaturizer(StepModelConfig(feature_dim=32))
    task = "i want a red mug"  # content words: red, mug
    page = f"Instruction: [SEP] {task} [SEP] Blue Mug [SEP] $3.00"
    row, = f.steps(task, [("click[blue mug]", page, True)])
    same, = f.steps(task, [("click[blue mug]", "Instruction: [SEP]   [SEP] Blue Mug [SEP] $3.00", True)])
    np.testing.assert_array_equal(row, same)  # the repeated instruction is not part of the page
    d = 32
    assert row.shape == (4 * d + 3,) and row[4 * d] == 1.0  # grounding flag, then the two shares
    assert row[4 * d + 1] == pytest.approx(OVERLAP_SCALE * 0.5)  # "mug" of {red, mug} on the page
    assert row[4 * d + 2] == pytest.approx(OVERLAP_SCALE * 0.5)  # and in the action
    off = StepFeaturizer(StepModelConfig(feature_dim=32, task_overlap=False))
    plain, = off.steps(task, [("click[blue mug]", page, True)])
    assert plain.shape == (4 * d + 1,) and not np.array_equal(plain[:4 * d], row[:4 * d])


def test_folders_saved_before_task_overlap_load_without_it(tmp_path, episodes):
    import json

    old = StepProgressEstimator(StepModelConfig(feature_dim=64, hidden_size=16, task_overlap=False), seed=4)
    old.save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "estimator.json").read_text())
    del meta["config"]["task_overlap"]  # as an older version wrote it
    (tmp_path / "old" / "estimator.json").write_text(json.dumps(meta))
    again = ProgressEstimator.load(tmp_path / "old", device="cpu")
    assert again.config.task_overlap is False
    for a, b in zip(old.score_episodes(episodes), again.score_episodes(episodes)):
        np.testing.assert_array_equal(a, b)
