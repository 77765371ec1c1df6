"""SPA progress estimation: episodes, the small default model, the estimator, its training, incremental scoring.

The estimator gives each step of an episode a contribution ``c_t``; trained so that the contributions of an
episode sum to its final reward (SPA, arXiv 2505.20732). See :mod:`spa_gym.progress.estimator`.
Names are imported on first use (:mod:`spa_gym.core.lazy`): episodes and the toy env do not import torch.
"""

from typing import TYPE_CHECKING

from spa_gym.core.lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["Episode", "NoisyExpertPolicy", "RandomPolicy", "Step", "collect_episodes", "read_jsonl",
                     "write_jsonl"], "spa_gym.progress.episodes"),
    "ProgressEstimator": "spa_gym.progress.estimator",
    "IncrementalScorer": "spa_gym.progress.incremental",
    "build_small_model": "spa_gym.progress.small_model",
    **dict.fromkeys(["EstimatorTrainingConfig", "train_estimator"], "spa_gym.progress.training"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from spa_gym.progress.episodes import (Episode, NoisyExpertPolicy, RandomPolicy, Step, collect_episodes,
                                           read_jsonl, write_jsonl)
    from spa_gym.progress.estimator import ProgressEstimator
    from spa_gym.progress.incremental import IncrementalScorer
    from spa_gym.progress.small_model import build_small_model
    from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator

__all__ = ["Episode", "EstimatorTrainingConfig", "IncrementalScorer", "NoisyExpertPolicy", "ProgressEstimator",
           "RandomPolicy", "Step", "build_small_model", "collect_episodes", "read_jsonl", "train_estimator",
           "write_jsonl"]
