"""benchmarks/progress_quality.py's metrics on hand-made episodes: what each figure counts.

The benchmark's full run is minutes (it is never a timed test); this checks its scoring function.
"""

from __future__ import annotations

import numpy as np
import pytest

from spa_gym.progress.episodes import Episode, Step


def _episode(n: int, reward: float, won: bool) -> Episode:
    return Episode("buy it", "start", [Step(f"a{i}", f"o{i}", True) for i in range(n)], reward, won)


def test_terminal_reward_metric_values_a_wrong_purchase_at_its_reward(load_benchmark):
    pq = load_benchmark("progress_quality")
    cap = pq.DISTANCE_CAP
    # a partial purchase: the expert's distance falls 4 -> 1, then the purchase ends the episode (no plan: cap)
    bought = _episode(4, 0.8, False)
    rising = np.array([0.2, 0.2, 0.2, 0.2])            # cumulative 0.2, 0.4, 0.6, 0.8 = P_T = R
    result = pq.quality([rising], [bought], [([4, 3, 2, 1, cap], True)])
    assert result["spearman_per_episode"] == pytest.approx(-0.2)   # the capped final state ranks lowest
    assert result["spearman_per_episode_terminal_reward"] == pytest.approx(1.0)
    # the same distances without a terminal step (the step cap ran out): both figures agree
    result = pq.quality([rising], [bought], [([4, 3, 2, 1, cap], False)])
    assert result["spearman_per_episode_terminal_reward"] == pytest.approx(result["spearman_per_episode"])


def test_constant_prediction_counts_zero_and_flat_truth_is_skipped(load_benchmark):
    pq = load_benchmark("progress_quality")
    eps = [_episode(3, 1.0, True), _episode(3, 0.0, False)]
    scores = [np.zeros(3), np.array([0.1, 0.1, 0.1])]
    result = pq.quality(scores, eps, [([3, 2, 1, 0], True), ([3, 3, 3, 3], False)])
    assert result["episodes_ranked"] == 1 and result["spearman_per_episode"] == 0.0
