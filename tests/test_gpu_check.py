"""benchmarks/gpu_check.py at its tiny CPU sizes: the parts run and the summary reports what it promises.

The GPU numbers themselves come from ``benchmarks/gpu_check.sh`` on a device; this only checks the script. The
learning part (the demo pipeline) is covered by the demo's own tests and left out here to stay fast.
"""

from __future__ import annotations

import json


def test_tiny_estimator_and_ppo_parts_report_figures(load_benchmark, tmp_path):
    check = load_benchmark("gpu_check")
    summary = check.main(["--tiny", "--parts", "estimator,ppo", "--out", str(tmp_path)])
    assert summary["errors"] == {}
    est, ppo = summary["estimator"], summary["ppo"]
    assert est["steps"] == est["batch"] * check.TINY.estimator_steps and est["steps_per_s"] > 0
    phases = sum(ppo[k] for k in ("time_generation", "time_env", "time_rewards", "time_reference", "time_update"))
    rounding = 6 * 0.00005  # the summary rounds the five phases and the total to 0.1 ms each
    assert 0 < phases <= ppo["time_total"] * 1.05 + rounding and ppo["reply_tokens"] > 0
    assert json.loads((tmp_path / "summary.json").read_text())["mode"] == "tiny"
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("# gpu_check (tiny)") and "steps/s" in text and "PPO iteration" in text

