"""benchmarks/spa_learning.py end to end on a tiny configuration: the JSON has every arm's numbers, in [0, 1].

The benchmark itself is never a timed test; this only checks that it runs and reports what it promises.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sb3_contrib", reason="needs the sb3 extra: pip install 'spa-gym[sb3]'")
pytest.importorskip("matplotlib", reason="the benchmark draws a learning-curve PNG")


def test_tiny_run_writes_every_arm_with_fractions_and_a_plot(load_benchmark, tmp_path):
    bench = load_benchmark("spa_learning")
    arms = ["random", "uniform", "spa_potential"]
    args = bench.parse_args([
        "--env", "alfworld", "--seeds", "0", "--arms", ",".join(arms), "--train-tasks", "2",
        "--total-timesteps", "256", "--n-steps", "32", "--batch-size", "64", "--n-epochs", "1",
        "--estimator-per-task", "4", "--estimator-epochs", "2", "--eval-episodes", "1",
        "--heldout-eval-episodes", "1", "--max-heldout-tasks", "3", "--curve-bin", "64",
        "--out", str(tmp_path), "--json", str(tmp_path / "result.json")])
    bench.main(args)
    result = json.loads((tmp_path / "result.json").read_text())
    assert list(result["arms"]) == arms
    for arm, r in result["arms"].items():
        for key in ("train_success", "heldout_success"):
            assert 0.0 <= r[key] <= 1.0, (arm, key)
            low, high = r[f"{key}_ci95"]
            assert 0.0 <= low <= r[key] <= high <= 1.0
            assert len(r[f"{key}_per_seed"]) == 1 and all(0.0 <= v <= 1.0 for v in r[f"{key}_per_seed"])
        assert r["train_success_episodes"] == 2 and r["heldout_success_episodes"] == 3
        assert set(r["by_env"]) == {"alfworld"}
    assert (tmp_path / "learning_curves.png").stat().st_size > 0
    assert result["estimators"][0]["train_episodes"] == 8
    assert {c["arm"] for c in result["curves"]} == set(arms)
    assert any(c["episodes"] for c in result["curves"] if c["arm"] != "random")


def test_unknown_arm_is_a_clear_error(load_benchmark, tmp_path):
    bench = load_benchmark("spa_learning")
    with pytest.raises(ValueError, match="unknown arm"):
        bench.main(bench.parse_args(["--arms", "sparse,dense", "--out", str(tmp_path)]))
