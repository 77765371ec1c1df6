"""The demo's SB3 comparison stage (spa_gym.agents.sb3_comparison through spa_gym.agents.pipeline), smoke-sized:
its rows and its progress plot reach report.md / report.json, and a finished stage runs nothing again."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sb3_contrib", reason="needs the sb3 extra: pip install 'spa-gym[sb3]'")
pytest.importorskip("matplotlib", reason="the stage draws a PNG")

from spa_gym.agents import pipeline  # noqa: E402
from spa_gym.agents.evaluate import write_report  # noqa: E402
from spa_gym.agents.sb3_comparison import headline, summarise, wilson_interval  # noqa: E402


def test_comparison_stage_puts_its_rows_and_plot_in_the_report_and_resumes(tmp_path):
    cfg = pipeline.PRESETS["smoke"]
    started: list[str] = []

    def stage(name: str):
        started.append(name)
        return lambda: None

    entry, sections = pipeline._compare_rewards(cfg, tmp_path, lambda line: None, stage)
    assert list(entry["arms"]) == list(pipeline.COMPARISON_ARMS)
    assert any("estimator" in name for name in started) and len(started) == 2 + len(pipeline.COMPARISON_ARMS)
    for r in entry["arms"].values():
        assert 0.0 <= r["train_success"] <= 1.0 and r["train_success_episodes"] == cfg.comparison.train_tasks
    traces = entry["progress_traces"]
    assert len(traces) == len(pipeline.PLOT_EPSILONS)
    for trace in traces:
        assert len(trace["progress"]) == len(trace["true_progress"]) == len(trace["reward"]) + 1
        assert trace["true_progress"][0] == 0.0 and trace["split"] != "train"  # held-out tasks
        assert trace["won"] == (trace["true_progress"][-1] == 1.0)
    assert traces[0]["won"]  # the noise-free expert wins

    paths = write_report(tmp_path, {}, meta={"env": "x"}, sections=sections, extra={"sb3_comparison": entry})
    md = paths["markdown"].read_text()
    for arm in pipeline.COMPARISON_ARMS:
        assert f"| {arm} |" in md
    assert "](progress_plot.png)" in md and (tmp_path / "progress_plot.png").stat().st_size > 0
    report = json.loads(paths["json"].read_text())
    assert report["sb3_comparison"]["arms"].keys() == entry["arms"].keys()

    started.clear()
    again, _ = pipeline._compare_rewards(cfg, tmp_path, lambda line: None, stage)
    assert started == []  # estimator, arms and traces are all read back
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(entry))


def test_headline_and_interval_edge_cases():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 40)
    assert low == 0.0 and 0.0 < high < 0.1
    run = lambda wins: {"train": {"wins": wins, "success": sum(wins) / len(wins)},  # noqa: E731
                        "heldout": {"wins": wins, "success": sum(wins) / len(wins), "mean_length": 5.0},
                        "train_seconds": 1.0}
    job = {"env": "alfworld", "seed": 0,
           "arms": {"sparse": run([False, False]), "spa_potential": run([True, False]), "oracle": run([True, True])}}
    line = headline(summarise([job], ["sparse", "spa_potential", "oracle"]))
    assert "50.0% vs 0%" in line and "share of the oracle's gain over sparse: 50%" in line
    assert headline(summarise([job], ["sparse", "oracle"])) is None
