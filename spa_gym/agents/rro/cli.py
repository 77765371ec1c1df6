"""``spa-gym rro collect|train|eval``.

* ``collect`` (alias: ``python -m spa_gym.agents.rro``): rising-reward collection; writes steps, pairs,
  SFT samples and a summary;
* ``train``: DPO on the pairs + SFT on the rising steps (:mod:`spa_gym.agents.rro.train`), resumable;
* ``eval``: greedy success rate and average score of model folders on a split.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from spa_gym.agents.rro.collect import RROConfig, collect_rising_trajectories, summarize
from spa_gym.agents.rro.records import RROStep, preference_pairs, sft_samples
from spa_gym.agents.rro.scoring import EstimatorProgress, ExpertPlanProgress


def main(argv: Sequence[str] | None = None, prog: str = "python -m spa_gym.agents.rro") -> dict[str, float]:
    """``python -m spa_gym.agents.rro``: collect, then write steps, pairs, SFT samples and a summary."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog=prog, description=(
        "Collect rising-reward (RRO) process-supervision data: steps.jsonl, pairs.jsonl, sft.jsonl, summary.json."))
    parser.add_argument("--env", default="SPA-ALFWorld-v0", help="registered env id")
    parser.add_argument("--episodes", type=int, default=4, help="trajectories to collect")
    parser.add_argument("--out", default="runs/rro", help="output folder")
    parser.add_argument("--policy", default="noisy-expert",
                        help="'noisy-expert' (the env's expert, a random admissible command with probability "
                             "--epsilon) or a local Hugging Face model folder or smollm2 (an LLMPolicy)")
    parser.add_argument("--epsilon", type=float, default=0.5, help="noise of the noisy expert")
    parser.add_argument("--estimator", default="expert",
                        help="'expert' (oracle: minus the expert's remaining plan length) or a folder saved "
                             "by ProgressEstimator.save")
    parser.add_argument("--device", default="cpu", help="torch device of the model(s): cpu, cuda, auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--full-scoring", action="store_true",
                        help="score every candidate by re-encoding the whole episode (no prefix cache; same numbers)")
    parser.add_argument("--compare", action="store_true",
                        help="also play the policy alone (no candidate search) on the same tasks and seeds")
    parser.add_argument("--overwrite", action="store_true", help="replace the files of an earlier run in --out")
    defaults = RROConfig()
    for name, value in asdict(defaults).items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value,
                            help=f"RROConfig.{name} (default: {value})")
    args = parser.parse_args(argv)
    config = RROConfig(**{name: getattr(args, name) for name in asdict(defaults)})

    from spa_gym.agents.rollout import make_env

    if args.threads > 0:
        import torch

        torch.set_num_threads(args.threads)
    out = Path(args.out)
    files = {name: out / f"{name}.jsonl" for name in ("steps", "pairs", "sft")}
    if files["steps"].exists() and not args.overwrite:
        parser.error(f"{files['steps']} exists; pass --overwrite to replace it")
    tokenizer = None
    try:  # a wrong env id, model folder or device is one line of error, not a traceback
        env = make_env(args.env, expert=True)
        if args.policy == "noisy-expert":
            from spa_gym.progress.episodes import NoisyExpertPolicy

            policy: Any = NoisyExpertPolicy(epsilon=args.epsilon, seed=config.seed)
        else:
            from spa_gym.agents.policy import LLMPolicy

            policy = LLMPolicy.from_pretrained(args.policy, device=args.device)
            tokenizer = policy.tokenizer
        if args.estimator == "expert":
            estimator: Any = ExpertPlanProgress()
        else:
            from spa_gym.progress.estimator import ProgressEstimator

            estimator = EstimatorProgress(ProgressEstimator.load(args.estimator, device=args.device),
                                          reuse_prefix=not args.full_scoring)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        parser.error(str(err))
    files["steps"].unlink(missing_ok=True)  # --overwrite: the steps are appended, so start from an empty file
    start = time.perf_counter()
    steps = collect_rising_trajectories(env, policy, estimator, args.episodes, config, files["steps"])
    seconds = time.perf_counter() - start
    for name, rows in (("pairs", preference_pairs(steps, tokenizer=tokenizer)),
                       ("sft", [asdict(s) for s in sft_samples(steps)])):
        files[name].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary: dict[str, Any] = {**summarize(steps), "seconds": round(seconds, 2),
                               "candidates_tried": sum(len(s.candidates) for s in steps)}
    if args.compare:
        summary["policy_alone_success_rate"] = _policy_alone_success(args, config, policy, env, steps)
    (out / "summary.json").write_text(json.dumps({"config": asdict(config), "env": args.env, "policy": args.policy,
                                                  "estimator": args.estimator, **summary}, indent=2))
    print(json.dumps(summary, indent=2))
    return summary


def _policy_alone_success(args: Any, config: RROConfig, policy: Any, env: Any, steps: Sequence[RROStep]) -> float:
    """Success rate of the policy playing the RRO run's tasks and seeds on its own (one sample per step)."""
    tasks = [(s.split, s.task_id) for s in steps if s.t == 0]
    if args.policy == "noisy-expert":
        from spa_gym.progress.episodes import NoisyExpertPolicy, collect_episodes

        episodes = collect_episodes(env, NoisyExpertPolicy(epsilon=args.epsilon), len(tasks), config.seed,
                                    split=config.split, task_ids=[t for _, t in tasks], max_steps=config.max_steps,
                                    progress=False)
    else:
        from spa_gym.agents.rollout import make_env, run_episodes

        max_steps = min(config.max_steps, env.unwrapped.max_steps)  # the same step limit as the RRO run
        episodes = [tr.episode for tr in run_episodes(policy, lambda: make_env(args.env, max_steps=max_steps), tasks,
                                                      seed=config.seed, n_envs=1, temperature=config.temperature,
                                                      top_p=config.top_p)]
    return float(np.mean([ep.won for ep in episodes])) if episodes else 0.0


def train_main(argv: Sequence[str] | None = None, prog: str = "spa-gym rro train") -> list[dict[str, float]]:
    """``spa-gym rro train``: DPO + SFT on a collection's steps.jsonl; run again to resume."""
    import argparse

    from spa_gym.agents.rro.records import read_steps
    from spa_gym.agents.rro.train import RROTrainConfig, train_rro

    parser = argparse.ArgumentParser(prog=prog, description=(
        "Step-level DPO on RRO pairs plus SFT on the rising steps; writes OUT/model, OUT/history.json and a "
        "per-epoch OUT/train_state.pt (run the same command again to resume)."))
    parser.add_argument("--data", required=True, help="steps.jsonl of `spa-gym rro collect`, or its --out folder")
    parser.add_argument("--model", required=True, help="local Hugging Face model folder (or smollm2) to start from")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--lora-r", type=int, default=0, help="LoRA rank (0: full fine-tuning)")
    defaults = RROTrainConfig()
    for name, value in asdict(defaults).items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value,
                            help=f"RROTrainConfig.{name} (default: {value})")
    args = parser.parse_args(argv)
    try:
        config = RROTrainConfig(**{name: getattr(args, name) for name in asdict(defaults)})
        data = Path(args.data)
        steps = read_steps(data / "steps.jsonl" if data.is_dir() else data)
        from spa_gym.agents.policy import LLMPolicy

        if args.threads > 0:
            import torch

            torch.set_num_threads(args.threads)
        policy = LLMPolicy.from_pretrained(args.model, device=args.device, lora_r=args.lora_r)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        parser.error(str(err))
    history = train_rro(policy, steps, args.out, config, progress=True,
                        callback=lambda e: print(json.dumps(e), flush=True))
    print(f"model written to {Path(args.out) / 'model'}")
    return history


def eval_main(argv: Sequence[str] | None = None, prog: str = "spa-gym rro eval") -> dict[str, dict[str, float]]:
    """``spa-gym rro eval``: greedy success / average score of model folders on a split (report.json/.md)."""
    import argparse

    from spa_gym.agents.evaluate import evaluate, task_list, write_report
    from spa_gym.agents.rollout import make_env

    parser = argparse.ArgumentParser(prog=prog, description="Greedy success rate and average score on a split.")
    parser.add_argument("--env", default="SPA-ALFWorld-v0", help="registered env id")
    parser.add_argument("--model", action="append", required=True, help="model folder or smollm2; repeat to compare")
    parser.add_argument("--split", default="test")
    parser.add_argument("--tasks", type=int, default=None, help="first N tasks of the split (default: all)")
    parser.add_argument("--max-steps", type=int, default=None, help="episode step limit (default: the env's)")
    parser.add_argument("--out", default="runs/rro_eval", help="folder for report.json / report.md")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    kwargs = {} if args.max_steps is None else {"max_steps": args.max_steps}
    try:
        tasks = task_list(make_env(args.env, **kwargs), args.split, args.tasks)
        from spa_gym.agents.policy import LLMPolicy

        policies = {path: LLMPolicy.from_pretrained(path, device=args.device) for path in args.model}
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        parser.error(str(err))
    results = {path: evaluate(policy, lambda: make_env(args.env, **kwargs), tasks, seed=args.seed)[0]
               for path, policy in policies.items()}
    write_report(args.out, results, meta={"env": args.env, "split": args.split, "tasks": len(tasks),
                                          "seed": args.seed}, title="RRO evaluation")
    print(json.dumps(results, indent=2))
    return results
