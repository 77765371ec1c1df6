"""benchmarks/llm_spa_learning.py: the SFT task mix, and a tiny VirtualHome run end to end (no timing)."""

from __future__ import annotations

import json

import pytest


def test_sft_task_counts_share_the_budget_and_reject_bad_specs(load_benchmark):
    bench = load_benchmark("llm_spa_learning")
    assert bench.sft_task_counts("watch_tv:4,drink,take_shower", 21) == {"watch_tv": 4, "drink": 9,
                                                                        "take_shower": 8}
    assert bench.sft_task_counts("drink:3", 96) == {"drink": 3}
    assert bench.sft_task_counts("", 96) == {}
    with pytest.raises(ValueError, match="twice"):
        bench.sft_task_counts("drink,drink", 10)
    with pytest.raises(ValueError, match="cannot share"):
        bench.sft_task_counts("drink:9,watch_tv,take_shower", 10)


def test_sft_task_types_only_for_virtualhome(load_benchmark):
    bench = load_benchmark("llm_spa_learning")
    with pytest.raises(SystemExit):
        bench.parse_args(["--env", "alfworld", "--sft-task-types", "drink"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--env", "webshop"])


def test_tiny_virtualhome_run_trains_on_other_task_types(load_benchmark, tmp_path):
    bench = load_benchmark("llm_spa_learning")
    args = bench.parse_args(["--env", "virtualhome", "--quick", "--sft-task-types", "watch_tv:1,drink",
                             "--out", str(tmp_path)])
    result = bench.main(args)
    seed = result["seeds"][0]
    for name in ("SFT", "PPO-sparse", "PPO-SPA"):
        for split in ("train", "heldout"):
            assert 0.0 <= seed[name][split]["success_rate"] <= 1.0
    assert len(seed["PPO-SPA"]["history"]) == args.ppo_iterations
    assert json.loads((tmp_path / "results.json").read_text())["args"]["env"] == "virtualhome"
    # SFT saw one other watch_tv task and three drink tasks, never a training task
    watch_tv = json.loads(next((tmp_path / "tasks").glob("virtualhome-train-watch_tv-*-2.json")).read_text())
    sft = result["tasks"]["sft"]
    assert len(sft) == 4 and not set(sft) & set(watch_tv)


def test_pooled_table_adds_up_the_seeds_of_several_runs(load_benchmark):
    bench = load_benchmark("llm_spa_learning")

    def cell(rate: float, episodes: int) -> dict:
        return {"success_rate": rate, "episodes": episodes, "grounding": 0.5}

    run_a = {"seeds": {"0": {name: {"train": cell(0.25, 8), "heldout": cell(0.0, 16)} for name in bench.POLICIES}}}
    run_b = {"seeds": {"1": {name: {"train": cell(0.5, 8), "heldout": cell(0.125, 16)} for name in bench.POLICIES}}}
    table = bench.pooled_table([run_a, run_b])
    rows = [line for line in table.splitlines() if line.startswith("| PPO-SPA")]
    assert len(rows) == 1
    assert "37.5% (6/16)" in rows[0] and "6.2% (2/32)" in rows[0]
    assert "25.0% / 0.0%, 50.0% / 12.5%" in rows[0]
