"""What a new user meets first (issue 17): progress output, Ctrl-C, bad --out, file modes, help, thread count."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
import torch

import spa_gym.agents.pipeline as pipeline
from agents_fixtures import sft_toy_dir, tiny_model_dir  # noqa: F401  (fixtures)
from spa_gym.cli import main
from spa_gym.core.bars import PlainProgress, progress_bar
from spa_gym.core.files import atomic_path, make_staging_dir, write_text_atomic

TOY_ID = "AgentTest-Counting-v0"
if TOY_ID not in gym.registry:
    gym.register(TOY_ID, "spa_gym.progress.toy:CountingEnv")


# ------------------------------------------------------------------ progress display
def test_plain_progress_lines_in_a_log_file():
    log = io.StringIO()
    bar = progress_bar(total=4, desc="eval SFT", unit="ep", file=log, interval=0.0)
    assert isinstance(bar, PlainProgress)  # a StringIO is not a terminal
    for _ in range(4):
        bar.update(1)
    bar.set_postfix(success="0.50")
    bar.close()
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and all(len(line) < 120 for line in lines)
    assert lines[0].startswith("eval SFT: 0/4 ep (0%)") and lines[-1].startswith("eval SFT: 4/4 ep (100%)")
    assert "left" in lines[2] and "success=0.50" in lines[-1]


def test_plain_progress_is_quiet_between_intervals():
    log = io.StringIO()
    for _ in progress_bar(range(1000), desc="SFT", file=log, interval=3600.0):
        pass
    assert len(log.getvalue().splitlines()) == 2  # the start and the end


def test_rollout_progress_moves_before_any_episode_ends(sft_toy_dir, monkeypatch):  # noqa: F811
    """Parallel episodes that finish together must not read 0 done (and an ETA of hours) until then."""
    from spa_gym.agents import rollout
    from spa_gym.agents.policy import LLMPolicy

    seen: list[float] = []

    class Recorder(PlainProgress):
        def update(self, n: float = 1) -> None:
            super().update(n)
            seen.append(self.n)

    monkeypatch.setattr("spa_gym.core.bars.PlainProgress", Recorder)
    policy = LLMPolicy.from_pretrained(sft_toy_dir, max_new_tokens=4)
    trajs = rollout.run_episodes(policy, lambda: gym.make(TOY_ID), [("test", i) for i in range(3)], n_envs=3,
                                 temperature=0.0, progress=True)
    first_end = min(len(t.episode) for t in trajs)
    assert 0 < seen[0] < 1 and seen[first_end - 2] < 1  # moving during the first steps, below one episode
    assert seen == sorted(seen) and seen[-1] == pytest.approx(3.0)


# ------------------------------------------------------------------ interrupt, resume, stage times
def test_ctrl_c_says_what_is_kept_and_how_to_resume(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_demo", interrupted)
    out = tmp_path / "my run"
    assert main(["demo", "--preset", "smoke", "--out", str(out)]) == 130
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"kept in {out}" in err
    assert err.endswith(f"spa-gym demo --preset smoke --out '{out}'")


def test_stage_times_add_up_over_invocations(tmp_path):
    times = pipeline._StageTimes(tmp_path / "stage_times.json")
    times.start("SFT")()
    times.start("PPO")
    assert times.interrupted() == "PPO"  # Ctrl-C in the middle of PPO: its time so far is kept
    again = pipeline._StageTimes(tmp_path / "stage_times.json")
    again.start("PPO")()
    again.finish(1.0)
    assert again.invocations == 2 and set(again.per_stage()) == {"SFT", "PPO"}
    assert again.total() == pytest.approx(sum(again.per_stage().values()))
    assert len(json.loads((tmp_path / "stage_times.json").read_text())) == 2


# ------------------------------------------------------------------ thread count
def test_demo_runs_with_its_configured_threads_and_records_them(tmp_path, monkeypatch):
    seen = []

    def stop_after_sft(policy, samples, cfg, **kwargs):
        seen.append(torch.get_num_threads())
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "train_sft", stop_after_sft)
    before = torch.get_num_threads()
    cfg = pipeline.DemoConfig(env_id=TOY_ID, model_size="tiny", sft_tasks=1, threads=3)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_demo(cfg, tmp_path / "run", progress=False, log=lambda line: None)
    assert seen == [3] and torch.get_num_threads() == before
    assert json.loads((tmp_path / "run" / "config.json").read_text())["threads"] == 3


_DEMO = """
import json, sys
import gymnasium as gym
from dataclasses import replace
gym.register("AgentTest-Counting-v0", "spa_gym.progress.toy:CountingEnv")
from spa_gym.agents.pipeline import PRESETS, run_demo
cfg = replace(PRESETS["smoke"], env_id="AgentTest-Counting-v0", sft_tasks=3, explore_tasks=3, eval_tasks=3,
              ppo=replace(PRESETS["smoke"].ppo, iterations=1), threads=2)
r = run_demo(cfg, sys.argv[1], progress=False, log=lambda line: None)
curves = {k: [{m: v for m, v in h.items() if not m.startswith("time_")} for h in c] for k, c in r["curves"].items()}
print(json.dumps({"results": r["results"], "curves": curves}, sort_keys=True))
"""


@pytest.mark.slow
def test_demo_results_do_not_depend_on_the_machines_thread_count(tmp_path):
    outputs = []
    for omp in ("1", "3"):
        env = {**os.environ, "OMP_NUM_THREADS": omp, "MKL_NUM_THREADS": omp, "TQDM_DISABLE": "1"}
        proc = subprocess.run([sys.executable, "-c", _DEMO, str(tmp_path / f"omp{omp}")], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.append(proc.stdout.strip().splitlines()[-1])
    assert outputs[0] == outputs[1]


# ------------------------------------------------------------------ bad --out
def test_bad_out_is_one_line_before_any_work(tmp_path, sft_toy_dir, capsys):  # noqa: F811
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    a_dir = tmp_path / "a_dir"
    a_dir.mkdir()
    cases = [
        (["demo", "--env", TOY_ID, "--preset", "smoke", "--out", str(a_file)], "is an existing file"),
        (["eval", "--env", TOY_ID, "--model", str(sft_toy_dir), "--tasks", "1", "--out", str(a_file)],
         "is an existing file"),
        (["eval", "--env", TOY_ID, "--model", str(sft_toy_dir), "--tasks", "1", "--out", str(a_file / "sub")],
         "(is in the way|can not write in)"),
        (["collect", "--env", TOY_ID, "--model", "expert", "--tasks", "1", "--out", str(a_dir)], "is a folder"),
        (["collect", "--env", TOY_ID, "--model", str(sft_toy_dir), "--tasks", "1", "--out",
          str(a_file / "x.jsonl")], "(is in the way|can not write in)"),
        (["collect", "--env", TOY_ID, "--model", "random", "--split", "bogus", "--out", str(tmp_path / "x.jsonl")],
         "unknown split"),
        (["fit-estimator", "--episodes", str(a_dir), "--out", str(tmp_path / "est")], r"no \*\.jsonl episode files"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert err.startswith("error: ") and re.search(message, err) and "\n" not in err, (argv, err)
        assert "Traceback" not in err and ".tmp" not in err and captured.out == "", argv  # no bar, no work
    assert a_file.read_text() == "x" and not any(a_dir.iterdir())


def test_fit_estimator_reads_a_folder_of_episode_files(tmp_path, capsys):
    assert main(["collect", "--env", TOY_ID, "--model", "expert", "--tasks", "4",
                 "--out", str(tmp_path / "data" / "expert.jsonl")]) == 0
    assert main(["fit-estimator", "--episodes", str(tmp_path / "data"), "--out", str(tmp_path / "est"),
                 "--epochs", "1", "--valid", "0.25"]) == 0
    assert (tmp_path / "est" / "final" / "estimator.json").is_file()


# ------------------------------------------------------------------ file modes follow the umask
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_written_files_and_folders_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "report.json", "{}")
        with atomic_path(tmp_path / "weights.pt") as tmp:
            torch.save({"x": 1}, tmp)
        folder = make_staging_dir(tmp_path / "model")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "report.json") == mode(tmp_path / "weights.pt") == mode(plain) == 0o666 & ~umask
    assert mode(folder) == 0o777 & ~umask


def test_saved_policy_folder_is_readable_like_any_other(sft_toy_dir, tmp_path):  # noqa: F811
    from spa_gym.agents.policy import LLMPolicy

    old = os.umask(0o022)
    try:
        out = LLMPolicy.from_pretrained(sft_toy_dir).save_pretrained(tmp_path / "model")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o644 for f in out.iterdir())


# ------------------------------------------------------------------ CLI details
def test_help_and_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("spa-gym ")
    assert main(["fit-estimator", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "<bool>" not in help_text and "list[" not in help_text and "--episodes FILE|DIR" in help_text


def test_python_api_prints_no_transformers_bars(tiny_model_dir, tmp_path, capfd):  # noqa: F811
    from spa_gym.agents.policy import LLMPolicy
    from spa_gym.progress.estimator import ProgressEstimator

    policy = LLMPolicy.from_pretrained(tiny_model_dir)
    policy.save_pretrained(tmp_path / "policy")
    ProgressEstimator.from_pretrained(tiny_model_dir).save(tmp_path / "est")
    captured = capfd.readouterr()
    assert "Loading weights" not in captured.err + captured.out
    assert "Writing" not in captured.err + captured.out


# ------------------------------------------------------------------ the plot
def test_learning_curves_say_what_they_show():
    from spa_gym.agents.evaluate import learning_curves_figure

    flat = [{"iteration": i, "success_rate": 0.0, "grounding": 0.5, "kl_to_ref": 0.01 * i} for i in (1, 2, 3)]
    fig = learning_curves_figure({"PPO-sparse": flat, "PPO-SPA": flat})
    success, grounding, kl = fig.axes
    assert "training rollouts" in fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert all(float(t).is_integer() for t in ticks)  # whole iterations, no 1.5
    assert success.get_ylim()[0] < 0 < 1 < success.get_ylim()[1]  # a rate axis, not -0.04..0.04
    a, b = success.get_lines()
    assert (a.get_marker(), a.get_linestyle()) != (b.get_marker(), b.get_linestyle())  # both visible when equal
    assert a.get_markersize() > b.get_markersize()
    assert [t.get_text() for t in success.get_legend().get_texts()] == ["PPO-sparse", "PPO-SPA"]
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_empty_game_files_name_the_data_layout():
    from spa_gym.envs.alfworld import AlfWorldEnv

    with pytest.raises(ValueError, match=r"ALFWORLD_DATA.*json_2\.1\.1/<split>/<task>/<trial>/game\.tw-pddl"):
        AlfWorldEnv(game_files=[])
