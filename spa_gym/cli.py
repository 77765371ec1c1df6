"""The ``spa-gym`` command line.

::

    spa-gym envs                                   list the environment ids
    spa-gym demo                                   the main job: the whole SPA pipeline on ALFWorld, CPU, offline
    spa-gym sft   --env ID [--model DIR] --out DIR         SFT on expert demonstrations
    spa-gym collect --env ID --model DIR|expert|random --out FILE.jsonl [--ray [ADDRESS]]
    spa-gym fit-estimator --episodes FILE.jsonl --out DIR  train the SPA progress estimator
    spa-gym train --env ID --model DIR --reward spa --estimator DIR --out DIR [--ray [ADDRESS]]   PPO
    spa-gym eval  --env ID --model DIR --out DIR           success, score, grounding, steps on the test split
    spa-gym view  DIR [--host H] [--port N]              web page over a run folder's episodes and reports
    spa-gym serve --protocol openenv --env ID --port N  serve an env with SPA rewards (openenv-core's server)
    spa-gym export EPISODES.jsonl|DIR... --out FILE.jsonl  episodes as chat messages + per-step rewards
    spa-gym rro collect|train|eval ...                    RRO: rising-reward collection, DPO + SFT, evaluation

``--model`` takes a Hugging Face model folder or ``smollm2`` (SmolLM2-135M-Instruct, the ``smollm`` extra; see
:mod:`spa_gym.models`). Long commands are resumable: run the same command again after a crash or Ctrl-C. User
errors (a missing model folder, an unknown env id, a GPU asked for and absent, a missing extra) print one line,
not a traceback.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

# Plain (click) help: typer's rich panels print metavars such as `--help <bool>` and `<list[Path]>`.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="spa-gym: offline text environments, SPA dense rewards and a PPO-trained LLM agent.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"spa-gym {version('spa-gym')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("spa-gym (not installed)")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """spa-gym: offline text environments, SPA dense rewards and a PPO-trained LLM agent."""

ENV_OPT = typer.Option("SPA-ALFWorld-v0", "--env", help="Environment id (see `spa-gym envs`).")
DEVICE_OPT = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or auto.")
SEED_OPT = typer.Option(0, "--seed", help="Seed of model init, task draws and sampling.")
RAY_OPT = typer.Option(None, "--ray", metavar="[ADDRESS]",
                       help="Step the envs on Ray workers: a cluster address (auto, ray://HEAD:10001), or no "
                            "value for a local Ray started for the command (needs the ray extra).")
WORKERS_OPT = typer.Option(2, "--workers", help="Ray env workers (with --ray).")


def _quiet_transformers() -> None:
    # The Python API quiets its own loads and saves (spa_gym.core.hf_quiet); this also covers the rest.
    # Loading a 4M-parameter model should not print three progress bars.
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _console():
    from rich.console import Console

    return Console()


def _print_table(title: str, results: dict[str, dict[str, float]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in ("policy", "success", "avg score", "grounding", "mean steps", "episodes"):
        table.add_column(col, justify="left" if col == "policy" else "right")
    for name, m in results.items():
        table.add_row(name, f"{m['success_rate']:.1%}", f"{m['average_score']:.3f}", f"{m['grounding']:.1%}",
                      f"{m['mean_steps']:.1f}", str(m["episodes"]))
    _console().print(table)


def _print_comparison(comparison: dict) -> None:
    """The demo's SB3 comparison of reward forms: one row per arm, then spa_potential against sparse."""
    from rich.table import Table

    cfg = comparison["config"]
    n_tasks = len(comparison["tasks"]["train"])
    table = Table(title=f"Success by reward [95% CI], MaskablePPO (sampled actions): {n_tasks} "
                        f"easy ALFWorld tasks, {cfg['total_timesteps']} steps per arm, seed {comparison['seed']}")
    for col in ("arm", "training tasks", "held-out tasks", "train time"):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for arm, r in comparison["arms"].items():
        cell = lambda key: "{:.1%} [{:.0%}, {:.0%}] n={}".format(r[key], *r[f"{key}_ci95"],  # noqa: E731
                                                                r[f"{key}_episodes"])
        table.add_row(arm, cell("train_success"), cell("heldout_success"), f"{r['train_seconds_per_seed'][0]:.0f} s")
    console = _console()
    console.print(table)
    if comparison.get("headline"):
        console.print(comparison["headline"], soft_wrap=True)


def _policy(model: str, device: str, lora_r: int = 0):
    from spa_gym.agents.policy import LLMPolicy, resolve_device

    resolve_device(device)
    return LLMPolicy.from_pretrained(model, device=device, lora_r=lora_r)


@app.command()
def envs() -> None:
    """List the registered environment ids."""
    import spa_gym

    for env_id in spa_gym.ENV_IDS:
        typer.echo(env_id)


@app.command()
def demo(env: str = ENV_OPT,
         out: Path = typer.Option(Path("runs/demo"), "--out", help="Output folder (resumable)."),
         preset: str = typer.Option("full", "--preset", help="full (the README demo) or smoke (tiny sizes, minutes)."),
         model: Optional[str] = typer.Option(None, "--model", help="HF model folder (or smollm2) instead of the small default."),
         device: str = DEVICE_OPT, seed: int = SEED_OPT,
         iterations: Optional[int] = typer.Option(None, "--iterations", help="PPO iterations (default: preset's)."),
         threads: Optional[int] = typer.Option(None, "--threads", min=1,
                                               help="torch CPU threads (default: the preset's, 2). Results depend "
                                                    "on it, not on the machine's core count."),
         ) -> None:
    """The main job: small model -> SFT -> exploration -> progress estimator -> PPO sparse vs SPA -> test table;
    then SB3 with sparse / SPA / oracle rewards on easy ALFWorld tasks and a progress-vs-true-progress plot."""
    from dataclasses import replace

    from spa_gym.agents.pipeline import PRESETS, run_demo
    from spa_gym.agents.policy import resolve_device

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    resolve_device(device)
    _quiet_transformers()
    cfg = replace(PRESETS[preset], env_id=env, model=model, device=device, seed=seed)
    if iterations is not None:
        cfg = replace(cfg, ppo=replace(cfg.ppo, iterations=iterations))
    if threads is not None:
        cfg = replace(cfg, threads=threads)
    console = _console()
    # soft_wrap: a log line (and a path in it) is never broken at the console width, e.g. in a log file
    result = run_demo(cfg, out, progress=True, log=lambda line: console.print(line, soft_wrap=True))
    _print_table(f"{env}: test split, greedy", result["results"])
    paths = result["paths"]
    for name in ("markdown", "json", "plot"):
        if paths.get(name):
            typer.echo(f"{'report' if name == 'markdown' else name}: {paths[name]}")
    typer.echo(f"this invocation: {result['wall_s']:.0f}s")
    if result["comparison"].get("arms"):  # last: the measured number where SPA beats sparse
        _print_comparison(result["comparison"])
        typer.echo(f"progress plot: {paths['progress_plot']}")


@app.command()
def sft(env: str = ENV_OPT,
        model: Optional[str] = typer.Option(None, "--model", help="HF model folder or smollm2 (default: build the small one)."),
        out: Path = typer.Option(..., "--out", help="Folder for the fine-tuned model."),
        tasks: int = typer.Option(200, "--tasks", help="Training tasks the expert demonstrates."),
        epochs: float = typer.Option(3.0, "--epochs"), lr: float = typer.Option(1e-3, "--lr"),
        lora_r: int = typer.Option(0, "--lora-r", help="LoRA rank (0: full fine-tuning)."),
        device: str = DEVICE_OPT, seed: int = SEED_OPT) -> None:
    """Supervised fine-tuning on the environment's expert demonstrations."""
    from spa_gym.agents.rollout import make_env
    from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft
    from spa_gym.core.files import check_output_dir
    from spa_gym.progress.small_model import build_small_model

    check_output_dir(out.parent, "--out")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is an existing file; it must be a folder (give another path)")
    make_env(env).close()
    _quiet_transformers()
    if model is None:
        model = str(build_small_model(out.with_name(out.name + "-base"), size="small", seed=seed))
    policy = _policy(model, device, lora_r)
    samples, _ = expert_samples(lambda: make_env(env, expert=True), [("train", i) for i in range(tasks)],
                                policy.prompt_config, seed=seed)
    losses = train_sft(policy, samples, SFTConfig(epochs=epochs, learning_rate=lr, seed=seed), progress=True)
    policy.save_pretrained(out)
    typer.echo(f"{len(samples)} samples, loss {losses[0]:.3f} -> {losses[-1]:.3f}; model written to {out}")


@app.command()
def collect(env: str = ENV_OPT,
            model: str = typer.Option(..., "--model", help="HF model folder, smollm2, or `expert` / `random`."),
            out: Path = typer.Option(..., "--out", help="JSONL file of episodes."),
            split: str = typer.Option("train", "--split"),
            tasks: int = typer.Option(50, "--tasks", help="Tasks 0..N-1 of the split."),
            per_task: int = typer.Option(1, "--per-task", help="Episodes per task."),
            temperature: float = typer.Option(1.0, "--temperature"),
            device: str = DEVICE_OPT, seed: int = SEED_OPT,
            ray: Optional[str] = RAY_OPT, workers: int = WORKERS_OPT) -> None:
    """Play episodes and write them as JSONL (exploration data for the progress estimator)."""
    from spa_gym.agents.evaluate import task_list
    from spa_gym.agents.rollout import make_env, run_episodes
    from spa_gym.core.files import check_output_file
    from spa_gym.progress.episodes import NoisyExpertPolicy, RandomPolicy, collect_episodes
    from spa_gym.wrappers import RecordEpisodes

    check_output_file(out, "--out")
    probe = make_env(env)
    task_list(probe, split, tasks)  # an unknown split or too many tasks: one line, before any bar
    probe.close()
    task_ids = [i for i in range(tasks) for _ in range(per_task)]
    # Each episode is appended as it ends (with true progress), so a crash keeps the finished ones.
    out.unlink(missing_ok=True)
    meta = {"source": "collect", "model": model, "reward": "env"}
    recorded = lambda **kw: RecordEpisodes(make_env(env, **kw), out, max_bytes=0, metadata=meta)  # noqa: E731
    if ray is not None:  # the same lines, in the same order, from Ray workers
        from spa_gym.distributed.commands import collect as collect_on_ray

        if model not in ("expert", "random"):
            _quiet_transformers()
        episodes = collect_on_ray(env, model, out, task_ids, split=split, seed=seed, address=ray, n_workers=workers,
                                  meta=meta, temperature=temperature, llm=lambda: _policy(model, device))
    elif model in ("expert", "random"):
        policy = NoisyExpertPolicy(0.0, seed=seed) if model == "expert" else RandomPolicy(seed=seed)
        recorder = recorded(expert=model == "expert")
        episodes = collect_episodes(recorder, policy, len(task_ids), seed, split=split, task_ids=task_ids)
        recorder.close()
    else:
        _quiet_transformers()
        trajs = run_episodes(_policy(model, device), recorded, [(split, i) for i in task_ids],
                             seed=seed, temperature=temperature, progress=True, desc="collecting")
        episodes = [t.episode for t in trajs]
    wins = sum(ep.won for ep in episodes)
    typer.echo(f"{len(episodes)} episodes ({wins} won) written to {out}")


@app.command("fit-estimator")
def fit_estimator(episodes: list[Path] = typer.Option(..., "--episodes", metavar="FILE|DIR",
                                                     help="JSONL episode file(s), or folders of them (*.jsonl); "
                                                          "repeat for several."),
                  out: Path = typer.Option(..., "--out", help="Folder for the estimator (resumable)."),
                  model: Optional[str] = typer.Option(None, "--model",
                                                      help="Backbone HF folder or smollm2 (default: the small model)."),
                  epochs: int = typer.Option(4, "--epochs"), valid_fraction: float = typer.Option(0.15, "--valid"),
                  device: str = DEVICE_OPT, seed: int = SEED_OPT) -> None:
    """Train the SPA progress estimator on episodes (contributions sum to the final reward)."""
    import random

    from spa_gym.agents.policy import resolve_device
    from spa_gym.core.files import check_output_dir
    from spa_gym.progress.episodes import read_jsonl
    from spa_gym.progress.estimator import ProgressEstimator
    from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator

    resolve_device(device)
    check_output_dir(out, "--out")
    files = [f for path in episodes for f in (sorted(path.glob("*.jsonl")) if path.is_dir() else [path])]
    if not files:
        raise ValueError(f"no *.jsonl episode files in {', '.join(map(str, episodes))}")
    _quiet_transformers()
    data = [ep for path in files for ep in read_jsonl(path)]
    random.Random(seed).shuffle(data)
    n_valid = int(len(data) * valid_fraction)
    est = (ProgressEstimator.from_pretrained(model, device=device) if model
           else ProgressEstimator.default(seed=seed, device=device))
    hist = train_estimator(est, data[n_valid:], data[:n_valid] or None,
                           EstimatorTrainingConfig(epochs=epochs, seed=seed), out_dir=out)
    est.save(out / "final")
    typer.echo(f"estimator written to {out / 'final'} (train loss {hist['train_loss'][-1]:.4f})")


@app.command()
def train(env: str = ENV_OPT,
          model: str = typer.Option(..., "--model", help="HF model folder (usually the SFT model) or smollm2."),
          reward: str = typer.Option("spa", "--reward",
                                     help="sparse, spa (paper form), spa_potential, grounding or uniform."),
          estimator: Optional[Path] = typer.Option(None, "--estimator", help="Estimator folder (reward spa)."),
          out: Path = typer.Option(..., "--out", help="Run folder (checkpoints, history, final model)."),
          iterations: int = typer.Option(10, "--iterations"),
          episodes_per_iteration: int = typer.Option(16, "--episodes-per-iteration"),
          lr: float = typer.Option(1e-4, "--lr"), kl_coef: float = typer.Option(0.05, "--kl-coef"),
          lora_r: int = typer.Option(0, "--lora-r", help="LoRA rank (0: full fine-tuning)."),
          device: str = DEVICE_OPT, seed: int = SEED_OPT,
          ray: Optional[str] = RAY_OPT, workers: int = WORKERS_OPT) -> None:
    """PPO on the environment's training tasks with the chosen reward (resumable)."""
    from spa_gym.agents.ppo import PPOConfig, train_ppo
    from spa_gym.agents.rollout import make_env
    from spa_gym.core.files import check_output_dir

    check_output_dir(out, "--out")
    config = PPOConfig(reward=reward, iterations=iterations, episodes_per_iteration=episodes_per_iteration,
                       learning_rate=lr, kl_coef=kl_coef, seed=seed)
    make_env(env).close()
    if reward in ("spa", "spa_potential") and estimator is None:
        raise ValueError(f"--reward {reward} needs --estimator DIR (train one with `spa-gym fit-estimator`)")
    _quiet_transformers()
    policy = _policy(model, device, lora_r)
    est = None
    if estimator is not None:
        from spa_gym.progress.estimator import ProgressEstimator

        # With --ray it is shipped to the estimator actor, which moves it to its own device.
        est = ProgressEstimator.load(estimator, device=device if ray is None else "cpu")
    from spa_gym.wrappers import RecordEpisodes

    # Every rollout episode is recorded for `spa-gym view OUT` (PPO scores rewards after the episode).
    recorded = lambda: RecordEpisodes(make_env(env), out / "episodes" / "train.jsonl",  # noqa: E731
                                      metadata={"source": "train", "reward": reward})
    if ray is None:
        history = train_ppo(policy, recorded, config, estimator=est, out_dir=out, progress=True)
    else:  # the envs step on Ray workers, SPA rewards are scored on the estimator actor; the model stays here
        from spa_gym.distributed.commands import ppo_rollouts

        with ppo_rollouts(env, ray, workers, config.n_envs, out / "episodes" / "train.jsonl",
                          {"source": "train", "reward": reward}, reward=reward, estimator=est, alpha=config.alpha,
                          beta=config.beta) as on_ray:
            history = train_ppo(policy, lambda: make_env(env), config, estimator=est, out_dir=out, progress=True,
                                **on_ray)
    policy.save_pretrained(out / "model")
    (out / "history.json").write_text(json.dumps(history, indent=2))
    last = history[-1] if history else {}
    typer.echo(f"model written to {out / 'model'}; last iteration success {last.get('success_rate', 0):.1%}")


@app.command("eval")
def eval_(env: str = ENV_OPT,
          model: list[str] = typer.Option(..., "--model", metavar="DIR", help="HF model folder(s) or smollm2; repeat to compare."),
          out: Path = typer.Option(Path("runs/eval"), "--out", help="Folder for report.json / report.md."),
          split: str = typer.Option("test", "--split"),
          tasks: Optional[int] = typer.Option(None, "--tasks", help="First N tasks of the split (default: all)."),
          device: str = DEVICE_OPT, seed: int = SEED_OPT) -> None:
    """Success rate, average score, grounding and mean steps on a fixed task list (greedy replies)."""
    from spa_gym.agents.evaluate import evaluate, task_list, write_report
    from spa_gym.agents.rollout import make_env
    from spa_gym.core.files import check_output_dir

    tasks_ = task_list(make_env(env), split, tasks)
    check_output_dir(out, "--out")
    _quiet_transformers()
    from spa_gym.wrappers import RecordEpisodes

    results = {}
    for k, path in enumerate(model):
        episodes_file = out / "episodes" / f"{k}-{Path(path).name or 'model'}.jsonl"
        episodes_file.unlink(missing_ok=True)  # this evaluation's episodes, for `spa-gym view OUT`
        recorded = lambda f=episodes_file, p=path: RecordEpisodes(  # noqa: E731
            make_env(env), f, metadata={"source": "eval", "model": p, "reward": "env"})
        results[path], _ = evaluate(_policy(path, device), recorded, tasks_, seed=seed, progress=True)
    paths = write_report(out, results, meta={"env": env, "split": split, "tasks": len(tasks_), "seed": seed})
    _print_table(f"{env}: {split} split, greedy", results)
    typer.echo(f"report: {paths['markdown']}")


@app.command()
def view(run: Path = typer.Argument(..., help="Run folder (episode JSONL files, PPO and estimator reports)."),
         host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback unless --allow-remote)."),
         port: int = typer.Option(8765, "--port"),
         allow_remote: bool = typer.Option(False, "--allow-remote",
                                           help="Allow a non-loopback --host (serves DIR to the network).")) -> None:
    """A local web page over a run folder: episodes with per-step rewards, learning curves, estimator quality."""
    from spa_gym.viewer import make_server

    server = make_server(run, host, port, allow_remote=allow_remote,
                         warn=lambda msg: typer.secho(msg, fg="yellow", err=True))
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"spa-gym view: http://{shown}:{port}/  (Ctrl-C stops)")
    server.run()


@app.command()
def serve(protocol: str = typer.Option("openenv", "--protocol", help="Wire protocol: openenv (openenv-core's server)."),
          env: str = ENV_OPT,
          host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback unless --allow-remote)."),
          port: int = typer.Option(8011, "--port"),
          estimator: Optional[Path] = typer.Option(None, "--estimator", help="Saved estimator (default: offline default)."),
          max_sessions: int = typer.Option(8, "--max-sessions", help="Concurrent sessions, one env each."),
          session_timeout: float = typer.Option(300.0, "--session-timeout", help="Seconds before an idle session is closed."),
          allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --host.")) -> None:
    """Serve an env with SPA rewards to remote trainers (OpenEnv: pip install 'spa-gym[openenv]')."""
    if protocol != "openenv":
        raise typer.BadParameter(f"unknown protocol {protocol!r}; choose openenv", param_hint="--protocol")
    from spa_gym.integrations.openenv import serve as serve_openenv

    typer.echo(f"spa-gym serve: {env} over openenv at http://{host}:{port}/  (Ctrl-C stops)")
    serve_openenv(env, host, port, estimator, max_sessions=max_sessions, session_timeout_s=session_timeout,
                  allow_remote=allow_remote)


@app.command()
def export(sources: list[Path] = typer.Argument(..., metavar="EPISODES...",
                                               help="Episode JSONL files or folders (every *.jsonl under them)."),
           out: Path = typer.Option(..., "--out", help="Trajectory JSONL to write (replaced atomically)."),
           no_system: bool = typer.Option(False, "--no-system", help="Leave the system turn out of the messages.")) -> None:
    """Episodes as trajectories for other trainers: OpenAI chat messages plus per-step rewards (README: Trajectory export)."""
    from spa_gym.integrations.trajectories import SYSTEM_PROMPT
    from spa_gym.integrations.trajectories import export as export_trajectories

    n = export_trajectories(sources, out, system_prompt=None if no_system else SYSTEM_PROMPT)
    typer.echo(f"{n} trajectories -> {out}")


rro_app = typer.Typer(no_args_is_help=True, help="RRO: rising-reward collection, DPO + SFT training, evaluation.")
app.add_typer(rro_app, name="rro")
# The three commands keep their argparse options (spa_gym.agents.rro.cli): typer passes the arguments through.
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@rro_app.command("collect", context_settings=_PASS_THROUGH, add_help_option=False)
def rro_collect(ctx: typer.Context) -> None:
    """Rising-reward collection: steps.jsonl, pairs.jsonl, sft.jsonl, summary.json (--help for options)."""
    from spa_gym.agents.rro.cli import main as collect_main

    collect_main(ctx.args, prog="spa-gym rro collect")


@rro_app.command("train", context_settings=_PASS_THROUGH, add_help_option=False)
def rro_train(ctx: typer.Context) -> None:
    """DPO on the RRO pairs + SFT on the rising steps; resumable (--help for options)."""
    from spa_gym.agents.rro.cli import train_main

    train_main(ctx.args)


@rro_app.command("eval", context_settings=_PASS_THROUGH, add_help_option=False)
def rro_eval(ctx: typer.Context) -> None:
    """Greedy success rate and average score of model folders on a split (--help for options)."""
    from spa_gym.agents.rro.cli import eval_main

    eval_main(ctx.args)


#: Commands that resume when run again, and what they keep of an interrupted run.
RESUMABLE = {"demo": "finished stages and PPO iterations", "train": "finished PPO iterations",
             "fit-estimator": "finished estimator epochs", "rro": "finished RRO training epochs (rro train)"}


def _interrupted_message(args: list[str]) -> str:
    command = args[0] if args else ""
    if command not in RESUMABLE:
        return "interrupted: nothing was written"
    out = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--out"),
               next((a.split("=", 1)[1] for a in args if a.startswith("--out=")), "runs/demo"))
    return (f"interrupted: {RESUMABLE[command]} are kept in {out}; "
            f"to resume, run the same command: spa-gym {shlex.join(args)}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors print one clear line instead of a traceback; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # `--ray` with no address (last, or before another option) means a local Ray: click options need a value.
    args = ["--ray=local" if a == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")) else a
            for i, a in enumerate(args)]
    try:
        app(args=args, prog_name="spa-gym")
    except SystemExit as exit_:
        if exit_.code == 130:  # typer's answer to Ctrl-C
            typer.secho(_interrupted_message(args), fg="yellow", err=True)
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
