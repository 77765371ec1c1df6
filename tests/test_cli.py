"""The `spa-gym` command line: one-line user errors, the demo end to end (smoke preset), crash and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import gymnasium as gym
import pytest
import torch

import spa_gym.agents.pipeline as pipeline
from agents_fixtures import sft_toy_dir, tiny_model_dir  # noqa: F401  (fixtures)
from spa_gym.cli import main

TOY_ID = "AgentTest-Counting-v0"
REGISTER = f"import gymnasium as gym; gym.register({TOY_ID!r}, 'spa_gym.progress.toy:CountingEnv')"
if TOY_ID not in gym.registry:
    gym.register(TOY_ID, "spa_gym.progress.toy:CountingEnv")


@pytest.mark.parametrize("argv, message", [
    (["eval", "--env", "SPA-Nowhere-v0", "--model", "x"], "unknown environment id 'SPA-Nowhere-v0'"),
    (["eval", "--env", TOY_ID, "--model", "/no/such/model", "--tasks", "1"], "model folder not found"),
    (["train", "--env", TOY_ID, "--model", "x", "--out", "x", "--reward", "dense"], "reward must be one of"),
    (["demo", "--preset", "huge"], "unknown preset"),
])
def test_user_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err and "Traceback" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for a GPU that is absent")
def test_absent_gpu_is_one_line(capsys):
    assert main(["demo", "--device", "cuda", "--out", "unused"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --device cuda was asked for, but no CUDA GPU is available "
                                               "here (use --device cpu)")


def test_envs_lists_the_ids(capsys):
    assert main(["envs"]) == 0
    assert "SPA-ALFWorld-v0" in capsys.readouterr().out


class Crash(Exception):
    pass


def test_demo_end_to_end_survives_a_crash_and_resumes(tmp_path, monkeypatch, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--env", TOY_ID, "--preset", "smoke", "--out", str(out)]
    real_train_ppo = pipeline.train_ppo

    def crash_in_spa_run(policy, env_fn, cfg, **kwargs):
        def callback(iteration, metrics):
            if cfg.reward != "sparse":
                raise Crash  # after the first checkpoint of the second PPO run (the SPA one)
        return real_train_ppo(policy, env_fn, cfg, callback=callback, **kwargs)

    monkeypatch.setattr(pipeline, "train_ppo", crash_in_spa_run)
    with pytest.raises(Crash):
        main(argv)
    first = capsys.readouterr().out
    assert "SFT on expert demonstrations" in first and (out / "ppo_spa" / "ppo_checkpoint.pt").is_file()
    assert not (out / "report.json").exists()

    monkeypatch.setattr(pipeline, "train_ppo", real_train_ppo)
    assert main(argv) == 0
    second = capsys.readouterr().out
    assert "SFT on expert" not in second and "fitting the progress" not in second  # finished stages are kept
    assert "PPO with spa_potential rewards" in second and "PPO with sparse" not in second
    report = json.loads((out / "report.json").read_text())
    assert list(report["results"]) == ["SFT", "PPO-sparse", "PPO-SPA"]
    assert list(report["curves"]) == ["PPO-sparse", "PPO-SPA"]  # one name per run, as in the table
    meta = report["meta"]  # the stage times of both invocations, the crashed one included
    assert meta["invocations"] == 2 and "SFT on expert demonstrations of 4 training tasks" in meta["stage times (s)"]
    assert [h["iteration"] for h in report["curves"]["PPO-SPA"]] == [1, 2]
    assert (out / "learning_curves.png").is_file() and "| PPO-SPA |" in (out / "report.md").read_text()
    assert "PPO-SPA" in second  # the printed table
    # ... and, last, the SB3 comparison of reward forms (ALFWorld, smoke-sized) with its progress plot
    assert list(report["sb3_comparison"]["arms"]) == ["sparse", "spa_potential", "oracle"]
    assert "| spa_potential |" in (out / "report.md").read_text() and (out / "progress_plot.png").is_file()
    assert second.rstrip().splitlines()[-1].startswith("progress plot: ")
    # the exploration and test episodes are recorded through RecordEpisodes for `spa-gym view`, once each
    from spa_gym.progress.episodes import read_jsonl

    recorded = {p.stem: read_jsonl(p) for p in (out / "episodes").glob("*.jsonl")}
    assert sorted(recorded) == ["eval-PPO-SPA", "eval-PPO-sparse", "eval-SFT", "explore"]
    assert [len(v) for v in recorded.values()] == [4, 4, 4, 4]
    assert "true_progress" in json.loads((out / "episodes" / "eval-SFT.jsonl").read_text().splitlines()[0])["steps"][0]

    assert main(argv) == 0  # a finished run only re-reads its results: no stage runs again
    third = capsys.readouterr().out
    assert "PPO-SPA" in third and not any(line.rstrip().endswith("...") for line in third.splitlines())
    assert main(argv + ["--seed", "1"]) == 2
    assert "other settings (seed)" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_train_command_resumes(sft_toy_dir, tmp_path):
    run = tmp_path / "run"
    code = (f"{REGISTER}; import sys, torch; torch.set_num_threads(1); from spa_gym.cli import main; "
            f"sys.exit(main(sys.argv[1:]))")
    cmd = [sys.executable, "-c", code, "train", "--env", TOY_ID, "--model", str(sft_toy_dir), "--reward", "sparse",
           "--out", str(run), "--iterations", "2", "--episodes-per-iteration", "2"]
    env = {**os.environ, "TQDM_DISABLE": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = run / "ppo_checkpoint.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = torch.load(ckpt, weights_only=False)
    assert saved["iteration"] >= 1
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
    history = json.loads((run / "history.json").read_text())
    assert [h["iteration"] for h in history] == [1, 2]
    # The iterations finished before the kill were kept, not played again.
    assert history[: saved["iteration"]] == saved["history"]


def test_collect_and_eval_commands(sft_toy_dir, tmp_path, capsys):
    from spa_gym.progress.episodes import read_jsonl

    assert main(["collect", "--env", TOY_ID, "--model", "expert", "--tasks", "3", "--out",
                 str(tmp_path / "expert.jsonl")]) == 0
    episodes = read_jsonl(tmp_path / "expert.jsonl")
    assert len(episodes) == 3 and all(ep.won for ep in episodes)
    assert main(["eval", "--env", TOY_ID, "--model", str(sft_toy_dir), "--tasks", "2", "--out",
                 str(tmp_path / "eval")]) == 0
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert report["results"][str(sft_toy_dir)]["episodes"] == 2
    assert "100.0%" in capsys.readouterr().out


def test_demo_rejects_an_unknown_spa_reward_before_any_work(tmp_path):
    from spa_gym.agents.pipeline import DemoConfig, run_demo

    with pytest.raises(ValueError, match="spa_reward"):
        run_demo(DemoConfig(spa_reward="dense"), tmp_path / "demo")
    assert not (tmp_path / "demo" / "config.json").exists()  # refused before the run folder is used
