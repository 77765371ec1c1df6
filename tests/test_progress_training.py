"""Training with the SPA objective: it learns, validates, stops early, resumes exactly, fails clearly."""

from __future__ import annotations

import numpy as np
import pytest

from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, collect_episodes
from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.toy import CountingEnv
from spa_gym.progress.training import EstimatorTrainingConfig, evaluate_loss, train_estimator


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


def _fresh(model_cache) -> ProgressEstimator:
    return ProgressEstimator.default(size="tiny", seed=0, device="cpu", cache_dir=model_cache)


@pytest.fixture(scope="module")
def data():
    # Noisy experts on short tasks: about half the episodes succeed, within a 6-step limit.
    env = CountingEnv(expert=True, max_steps=6)
    eps = collect_episodes(env, NoisyExpertPolicy(0.5), 80, seed=0, progress=False)
    return eps[:60], eps[60:]


def test_training_lowers_the_spa_loss(model_cache, data):
    train, valid = data
    est = _fresh(model_cache)
    rewards = np.array([ep.final_reward for ep in valid])
    assert 0.2 < rewards.mean() < 0.8  # both outcomes present
    before = evaluate_loss(est, valid)
    cfg = EstimatorTrainingConfig(epochs=8, batch_size=4, learning_rate=3e-4, patience=0, progress=False)
    history = train_estimator(est, train, valid, cfg)
    assert history["epochs_run"] == 8 and len(history["valid_loss"]) == 8
    assert history["best_valid_loss"] == min(history["valid_loss"])
    # A constant predictor (the mean reward) scores mean((R - mean)^2); learning beats it.
    baseline = float(((rewards - rewards.mean()) ** 2).mean())
    assert history["best_valid_loss"] < 0.5 * min(before, baseline)
    assert evaluate_loss(est, valid) == pytest.approx(history["best_valid_loss"], abs=1e-5)  # best weights kept
    sums = np.array([c.sum() for c in est.score_episodes(valid)])
    assert np.corrcoef(sums, rewards)[0, 1] > 0.5


def test_early_stopping(model_cache, data):
    train, valid = data
    cfg = EstimatorTrainingConfig(epochs=5, learning_rate=0.0, head_learning_rate=0.0, patience=1, progress=False)
    history = train_estimator(_fresh(model_cache), train[:6], valid[:4], cfg)
    assert history["stopped_early"] and history["epochs_run"] == 2 and history["best_epoch"] == 1


def test_resume_continues_the_same_run(model_cache, data, tmp_path):
    train, valid = data[0][:12], data[1][:4]
    cfg = EstimatorTrainingConfig(epochs=3, batch_size=4, learning_rate=1e-3, patience=0, progress=False)
    straight = _fresh(model_cache)
    h_straight = train_estimator(straight, train, valid, cfg)

    first = _fresh(model_cache)
    train_estimator(first, train, valid, EstimatorTrainingConfig(**{**cfg.__dict__, "epochs": 2}), tmp_path)
    assert (tmp_path / "checkpoint" / "trainer.pt").is_file() and (tmp_path / "best" / "estimator.json").is_file()
    resumed = _fresh(model_cache)  # a new process would start from fresh weights too
    h_resumed = train_estimator(resumed, train, valid, cfg, tmp_path)
    assert h_resumed["epochs_run"] == 3 and len(h_resumed["train_loss"]) == 3
    np.testing.assert_allclose(h_resumed["train_loss"], h_straight["train_loss"], rtol=1e-4)
    for a, b in zip(straight.score_episodes(valid), resumed.score_episodes(valid)):
        np.testing.assert_allclose(a, b, atol=1e-5)
    loaded = ProgressEstimator.load(tmp_path / "best", device="cpu")
    np.testing.assert_allclose(loaded.score_steps(valid[0]), resumed.score_steps(valid[0]), atol=1e-5)


def test_clear_errors(model_cache):
    est = _fresh(model_cache)
    with pytest.raises(ValueError, match="empty"):
        train_estimator(est, [])
    with pytest.raises(ValueError, match="zero steps"):
        train_estimator(est, [Episode("t", "o", [], 1.0)])
    with pytest.raises(ValueError, match="epochs"):
        train_estimator(est, [Episode("t", "o", [], 1.0)], config=EstimatorTrainingConfig(epochs=0))


def test_failure_weight_defaults_and_effect(model_cache, data):
    """The step-level estimator weights failed episodes 0.3 by default, the LM 1.0; the weight scales only the
    failed episodes' terms, and a negative weight is refused."""
    import torch

    from spa_gym.progress.training import objective_loss, resolve_config

    assert resolve_config(ProgressEstimator.default(seed=0), EstimatorTrainingConfig()).failure_weight == 0.3
    assert resolve_config(_fresh(model_cache), EstimatorTrainingConfig()).failure_weight == 1.0
    assert resolve_config(ProgressEstimator.default(seed=0),
                          EstimatorTrainingConfig(failure_weight=0.0)).failure_weight == 0.0
    c = [torch.tensor([0.3, 0.3]), torch.tensor([0.4, 0.1])]
    won, lost = torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.0])
    for objective in ("spa", "value", "uniform_prefix"):  # all episodes won: the weight changes nothing
        assert objective_loss(objective, c, won, 0.3).item() == pytest.approx(objective_loss(objective, c, won).item())
        full, none = objective_loss(objective, c, lost, 1.0).item(), objective_loss(objective, c, lost, 0.0).item()
        assert objective_loss(objective, c, lost, 0.3).item() == pytest.approx(none + 0.3 * (full - none))
        assert full > none
    train, valid = data
    with pytest.raises(ValueError, match="failure_weight"):
        train_estimator(ProgressEstimator.default(seed=0), train, valid,
                        EstimatorTrainingConfig(epochs=1, failure_weight=-0.5, progress=False))


# ---- learning-rate schedule and keeping the last weights (options; measured, not the defaults)
def _step_estimator():
    from spa_gym.progress.step_model import StepModelConfig, StepProgressEstimator

    return StepProgressEstimator(StepModelConfig(feature_dim=64, hidden_size=16), seed=0)


def test_schedule_defaults_and_bad_schedule(model_cache):
    from spa_gym.progress.training import resolve_config

    for est in (_step_estimator(), _fresh(model_cache)):
        cfg = resolve_config(est, EstimatorTrainingConfig())
        assert (cfg.lr_schedule, cfg.keep_best) == ("constant", True)
    assert resolve_config(_step_estimator(), EstimatorTrainingConfig(lr_schedule="cosine")).lr_schedule == "cosine"
    with pytest.raises(ValueError, match="lr_schedule"):
        train_estimator(_step_estimator(), data_stub(), None, EstimatorTrainingConfig(lr_schedule="linear", progress=False))


def data_stub() -> list[Episode]:
    from spa_gym.progress.episodes import Step

    return [Episode("t", "o", [Step("a", "b", True, 1.0)], 1.0, True)]


def test_keep_last_runs_every_epoch_and_ends_with_the_last_weights(data):
    train, valid = data
    # A frozen model never improves on validation: with keep_best=False patience does not stop it.
    frozen = EstimatorTrainingConfig(epochs=3, learning_rate=0.0, head_learning_rate=0.0, patience=1,
                                     keep_best=False, progress=False)
    history = train_estimator(_step_estimator(), train[:8], valid[:4], frozen)
    assert history["epochs_run"] == 3 and not history["stopped_early"]
    est = _step_estimator()
    cfg = EstimatorTrainingConfig(epochs=4, batch_size=4, lr_schedule="cosine", keep_best=False, progress=False)
    history = train_estimator(est, train, valid, cfg)
    assert history["epochs_run"] == 4 and history["best_epoch"] < 4  # so the best and the last weights differ
    assert evaluate_loss(est, valid, objective="hindsight", failure_weight=0.3) == pytest.approx(
        history["valid_loss"][-1], abs=1e-6)  # the last epoch's weights, not the best epoch's


def test_cosine_run_resumes_exactly_after_a_crash(data, tmp_path, monkeypatch):
    import spa_gym.progress.training as training

    train, valid = data[0][:16], data[1][:4]
    cfg = EstimatorTrainingConfig(epochs=3, batch_size=4, lr_schedule="cosine", progress=False)
    straight = _step_estimator()
    h_straight = train_estimator(straight, train, valid, cfg)

    save = training._save_checkpoint

    def crash_after_second_epoch(path, estimator, optimizer, scheduler, state):
        save(path, estimator, optimizer, scheduler, state)
        if state["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "_save_checkpoint", crash_after_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_estimator(_step_estimator(), train, valid, cfg, tmp_path)
    monkeypatch.setattr(training, "_save_checkpoint", save)
    resumed = _step_estimator()
    h_resumed = train_estimator(resumed, train, valid, cfg, tmp_path)
    np.testing.assert_allclose(h_resumed["train_loss"], h_straight["train_loss"], rtol=1e-5)
    for a, b in zip(straight.score_episodes(valid), resumed.score_episodes(valid)):
        np.testing.assert_allclose(a, b, atol=1e-5)
