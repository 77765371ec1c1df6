"""benchmarks/rro_comparison.py: the equal-compute data budget and the report of an arm without data.

The benchmark itself is never a timed test (it trains models); this checks the parts that decide what it reports.
"""

from __future__ import annotations

import json

import pytest

from spa_gym.agents.rro import ExpertPlanProgress, RROConfig, collect_rising_trajectories, preference_pairs, sft_samples
from spa_gym.progress.episodes import NoisyExpertPolicy
from spa_gym.progress.toy import CountingEnv


def test_budget_subset_keeps_within_the_budget_and_is_seeded(load_benchmark):
    bench = load_benchmark("rro_comparison")
    steps = collect_rising_trajectories(CountingEnv(expert=True), NoisyExpertPolicy(epsilon=0.9, seed=0),
                                        ExpertPlanProgress(), 6, RROConfig(max_candidates=3, min_rise=1.0, max_steps=8),
                                        progress=False)
    n_pairs, n_sft = len(preference_pairs(steps)), len(sft_samples(steps))
    assert n_pairs > 4 and n_sft > 4
    sub = bench.budget_subset(steps, 4, 4, seed=0)
    assert 0 < len(preference_pairs(sub)) <= 4 and 0 < len(sft_samples(sub)) <= 4
    assert all(s.rejected or s.rose for s in sub)  # every kept step carries training data
    assert [s.to_dict() for s in bench.budget_subset(steps, 4, 4, seed=0)] == [s.to_dict() for s in sub]
    everything = bench.budget_subset(steps, n_pairs, n_sft, seed=1)
    assert len(preference_pairs(everything)) == n_pairs and len(sft_samples(everything)) == n_sft


def test_an_empty_arm_is_reported_with_its_counts(load_benchmark):
    bench = load_benchmark("rro_comparison")
    report = {"results": {
        "SFT": {"success_rate": 0.1, "average_score": 0.25, "samples_per_step": 1.0, "train_steps": 12,
                "sequences": 48, "pairs": 0},
        "RRO-SPA": {"empty": True, "samples_per_step": 1.0, "collected_steps": 96, "collected_pairs": 0,
                    "rising_steps": 0, "collection_success": 0.0, "train_steps": 0, "sequences": 0}}}
    table = bench.markdown(report)
    assert "| RRO-SPA | empty | - | 1.00 | 0 | 0 | 0 | 0 of 96 | 0% |" in table
    assert "| SFT | 10.0% | 0.250 |" in table


def test_pool_sums_test_successes_over_runs(load_benchmark, tmp_path, monkeypatch, capsys):
    bench = load_benchmark("rro_comparison")
    for seed, (sft, rro) in enumerate([(0.2, 0.4), (0.3, 0.3)]):
        run = tmp_path / f"s{seed}"
        run.mkdir()
        results = {"SFT": {"success_rate": sft, "episodes": 10, "samples_per_step": 1.0},
                   "RRO-oracle": {"success_rate": rro, "episodes": 10, "samples_per_step": 2.0 + seed},
                   "RRO-SPA": {"empty": True, "samples_per_step": 1.0}}
        (run / "results.json").write_text(json.dumps({"results": results}))
    monkeypatch.setattr("sys.argv", ["rro_comparison.py", "--pool", f"{tmp_path / 's0'},{tmp_path / 's1'}"])
    bench.main()
    table = capsys.readouterr().out
    assert "| SFT | 25.0% (5/20) [11%, 47%] | +0.0, +0.0 | 20.0%, 30.0% | 1.00 |" in table
    assert "| RRO-oracle | 35.0% (7/20) [18%, 57%] | +20.0, +0.0 | 40.0%, 30.0% | 2.50 |" in table
    assert "RRO-SPA" not in table  # an empty arm has no success to pool


def test_fixed_k_must_not_be_negative(load_benchmark, monkeypatch, tmp_path):
    bench = load_benchmark("rro_comparison")
    monkeypatch.setattr("sys.argv", ["rro_comparison.py", "--fixed-k", "-1", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        bench.main()
