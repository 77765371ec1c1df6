"""RRO vs SFT vs fixed-k process supervision (issue 16): success, average score and samples per step.

Arms, all starting from the same SFT model (expert demonstrations on the train split):

* ``SFT``: the SFT model trained further on the same demonstrations (the baseline);
* ``RRO-SPA``: rising-reward collection with the fitted SPA estimator as process reward, then DPO + SFT;
* ``RRO-oracle``: the same with the expert's remaining plan as process reward;
* ``fixed-k``: k candidates at *every* step (no early stop: ``min_rise=inf``), the best continues, the rest are
  rejected; then DPO + SFT (the exhaustive process-supervision style RRO compares against).

Equal training compute: every arm gets the same number of optimiser steps after SFT (``--train-steps``,
batch ``--batch-size``): ``RROTrainConfig.epochs`` is chosen per arm so that epochs x steps per epoch is the
closest to it, and the SFT arm trains for exactly that many steps. Exploration cost is the mean number of
candidates sampled per step during collection. Evaluation is greedy on the first ``--test-tasks`` of the test split.

    python benchmarks/rro_comparison.py --quick        # tiny model, ALFWorld, a few minutes on 2 CPU cores
    python benchmarks/rro_comparison.py --env SPA-WebShop-v0 --size small --train-tasks 200 --test-tasks 100

Writes ``OUT/results.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import torch

from spa_gym.agents.evaluate import evaluate, task_list
from spa_gym.agents.policy import LLMPolicy
from spa_gym.agents.rollout import make_env
from spa_gym.agents.rro import EstimatorProgress, ExpertPlanProgress, RROConfig, collect_rising_trajectories, summarize
from spa_gym.agents.rro.records import preference_pairs, sft_samples
from spa_gym.agents.rro.train import RROTrainConfig, train_rro
from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft
from spa_gym.progress.episodes import NoisyExpertPolicy, collect_episodes
from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.small_model import build_small_model
from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny model, few tasks (the configuration that runs on CPU)")
    p.add_argument("--env", default="SPA-ALFWorld-v0")
    p.add_argument("--size", default="small", help="build_small_model size (tiny, small)")
    p.add_argument("--model", default=None, help="a local HF model folder instead of the small model (e.g. SmolLM2)")
    p.add_argument("--train-tasks", type=int, default=100)
    p.add_argument("--test-tasks", type=int, default=100)
    p.add_argument("--sft-epochs", type=float, default=3.0)
    p.add_argument("--rro-episodes", type=int, default=100, help="collected trajectories per RRO arm")
    p.add_argument("--max-candidates", type=int, default=4, help="RRO's sample bound, and k of fixed-k")
    p.add_argument("--max-steps", type=int, default=30)
    p.add_argument("--train-steps", type=int, default=200, help="optimiser steps of every arm after SFT")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="runs/rro_comparison")
    args = p.parse_args()
    if args.quick:
        args.size, args.train_tasks, args.test_tasks, args.sft_epochs = "tiny", 16, 10, 4.0
        args.rro_episodes, args.max_steps, args.train_steps = 8, 20, 24
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    start, seconds = time.perf_counter(), {}
    env_fn = lambda **kw: make_env(args.env, max_steps=args.max_steps, **kw)  # noqa: E731

    # 1. SFT on expert demonstrations: the shared starting point.
    base = Path(args.model) if args.model else build_small_model(out / "base", size=args.size, seed=args.seed)
    policy = LLMPolicy.from_pretrained(base)
    demos, _ = expert_samples(lambda: env_fn(expert=True), [("train", i) for i in range(args.train_tasks)],
                              policy.prompt_config, seed=args.seed)
    sft_config = SFTConfig(epochs=args.sft_epochs, learning_rate=args.lr, batch_size=args.batch_size, seed=args.seed)
    train_sft(policy, demos, sft_config)
    sft_dir = policy.save_pretrained(out / "sft")
    seconds["sft"] = time.perf_counter() - start

    # 2. The SPA estimator, fitted on noisy-expert episodes of the train split.
    t0 = time.perf_counter()
    explore = collect_episodes(env_fn(expert=True), NoisyExpertPolicy(epsilon=0.5, seed=args.seed),
                               4 * args.train_tasks, args.seed, task_ids=[i % args.train_tasks
                                                                         for i in range(4 * args.train_tasks)],
                               max_steps=args.max_steps, progress=False)
    estimator = ProgressEstimator.default(seed=args.seed, device="cpu")
    train_estimator(estimator, explore, config=EstimatorTrainingConfig(epochs=10 if args.quick else 30,
                                                                       progress=False))
    seconds["estimator"] = time.perf_counter() - t0

    # 3. Collection per arm, with the SFT policy proposing candidates (sampling at temperature 1).
    collect_cfg = dict(max_candidates=args.max_candidates, max_steps=args.max_steps, seed=args.seed)
    arms = {
        "RRO-SPA": (EstimatorProgress(estimator, reuse_prefix=False), RROConfig(reward="cumulative", **collect_cfg)),
        "RRO-oracle": (ExpertPlanProgress(), RROConfig(min_rise=1.0, **collect_cfg)),
        "fixed-k": (ExpertPlanProgress(), RROConfig(min_rise=math.inf, **collect_cfg)),
    }
    tasks = [i % args.train_tasks for i in range(args.rro_episodes)]
    results: dict[str, dict] = {}
    test = task_list(env_fn(), "test", args.test_tasks)
    for name, (scorer, config) in arms.items():
        t0 = time.perf_counter()
        proposer = LLMPolicy.from_pretrained(sft_dir)
        steps = collect_rising_trajectories(env_fn(expert=True), proposer, scorer, args.rro_episodes, config,
                                            task_ids=tasks, progress=False)
        collected = summarize(steps)
        n_pairs, n_sft = len(preference_pairs(steps)), len(sft_samples(steps))
        per_epoch = max(1, math.ceil(max(n_pairs, n_sft) / args.batch_size))
        epochs = max(1, round(args.train_steps / per_epoch))
        policy = LLMPolicy.from_pretrained(sft_dir)
        train_rro(policy, steps, out / name, RROTrainConfig(epochs=epochs, learning_rate=args.lr,
                                                            batch_size=args.batch_size, seed=args.seed))
        metrics, _ = evaluate(policy, env_fn, test, seed=args.seed)
        results[name] = {**metrics, "samples_per_step": collected["mean_samples_per_step"],
                         "collection_success": collected["success_rate"], "pairs": n_pairs, "sft_samples": n_sft,
                         "train_steps": epochs * per_epoch, "seconds": round(time.perf_counter() - t0, 1)}
    # 4. The SFT baseline: the same SFT model, trained further on the demonstrations for as many steps.
    t0 = time.perf_counter()
    policy = LLMPolicy.from_pretrained(sft_dir)
    steps_sft = round(sum(r["train_steps"] for r in results.values()) / len(results))
    train_sft(policy, demos, SFTConfig(epochs=steps_sft / math.ceil(len(demos) / args.batch_size),
                                       learning_rate=args.lr, batch_size=args.batch_size, seed=args.seed))
    metrics, _ = evaluate(policy, env_fn, test, seed=args.seed)
    results = {"SFT": {**metrics, "samples_per_step": 1.0, "collection_success": None, "pairs": 0,
                       "sft_samples": len(demos), "train_steps": steps_sft,
                       "seconds": round(time.perf_counter() - t0, 1)}, **results}

    report = {"args": vars(args), "machine": f"{platform.processor() or platform.machine()}, "
              f"{torch.get_num_threads()} torch thread(s)", "seconds": {**{k: round(v, 1) for k, v in seconds.items()},
                                                                      "total": round(time.perf_counter() - start, 1)},
              "results": results}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"| arm | test success | avg score | samples/step | train steps | pairs | collection success |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        cs = "-" if r["collection_success"] is None else f"{r['collection_success']:.0%}"
        print(f"| {name} | {r['success_rate']:.1%} | {r['average_score']:.3f} | {r['samples_per_step']:.2f} | "
              f"{r['train_steps']} | {r['pairs']} | {cs} |")
    print(json.dumps(report["seconds"]))


if __name__ == "__main__":
    main()
