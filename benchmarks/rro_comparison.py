"""RRO vs SFT vs fixed-k process supervision (issue 16): success, average score and samples per step.

Arms, all starting from the same SFT model (expert demonstrations on the train split):

* ``SFT``: the SFT model trained further on the same demonstrations (the baseline);
* ``RRO-SPA``: rising-reward collection with the fitted SPA estimator as process reward, then DPO + SFT;
* ``RRO-oracle``: the same with the expert's remaining plan as process reward;
* ``fixed-k``: k candidates at *every* step (no early stop: ``min_rise=inf``), scored by the oracle, the best
  continues, the rest are rejected; then DPO + SFT, the SFT half on the steps whose best candidate made oracle
  progress (RRO-oracle's rule): the exhaustive process-supervision style RRO compares against.

``SFT start`` (the shared starting point, no further training) is evaluated too.

Where the RRO arms explore (``--collect-on``): ``demo``, the train tasks the SFT demonstrations came from (what
every run before this flag did), or ``new``, as many further train tasks, one trajectory each, that no
demonstration covers: RRO's premise is that a process reward supervises tasks the expert never solved, so
``new`` is the setting where its data can add what SFT lacks. The SFT baseline trains on the demonstrations in
both (there are none for the new tasks).

What the RRO arms train on: DPO on their pairs plus SFT on their rising steps (the default); ``--no-dpo`` drops
the pairs (rejection-sampling fine-tuning on the rising steps); ``--sft-half demos`` keeps the pairs and puts as
many expert demonstration turns in the SFT half instead of the rising steps (the pairs then add to what the SFT
baseline learns).

Equal training compute: every trained arm gets the same number of optimiser steps after SFT (``--train-steps``,
batch ``--batch-size``) and at most ``train_steps x batch_size`` training examples of each kind: an arm that
collected more pairs or rising steps than that trains on a seeded random subset of its steps (otherwise one epoch
of the exhaustive arm would be many times the budget). ``RROTrainConfig.epochs`` is the number of passes over that
data closest to the step budget; the SFT arm trains for the mean of the RRO arms' steps. A DPO step reads a
chosen and a rejected reply per pair plus the SFT samples, so it processes about three times the sequences of an
SFT step; the table says how many sequences each arm read. Exploration cost is the mean number of candidates
sampled per step during collection (duplicates included: every sample is a model call).

An arm whose collection holds neither a preference pair nor a rising step has nothing to train on: it is
reported as ``empty`` with its counts, and the others go on. An arm with rising steps but no pair trains on the
SFT half alone (``pairs`` is 0 in its row).

The policy uses the demo's prompt (no system turn, 2 exchanges of history) and snaps replies to admissible
commands like the demo's policy (``PromptConfig.snap_to_admissible=70``): the proposer's candidates are then the
actions the agent would play. The SPA estimator is the step-level default, fitted on noisy-expert episodes *and*
the SFT policy's own sampled episodes, so it has seen the kind of candidates it has to rank.

    nice -n 10 python benchmarks/rro_comparison.py --quick          # tiny model, ALFWorld, a few minutes on CPU
    nice -n 10 python benchmarks/rro_comparison.py --env SPA-WebShop-v0 --out runs/rro_comparison_webshop

``--pool DIR,DIR,...`` prints the arms' test success pooled over finished runs (seeds of one setting) with 95%
Wilson intervals and each run's gain over the SFT arm; ``--fixed-k K`` sets the fixed-k arm's k apart from RRO's bound
(``--max-candidates``), to compare them at matched samples per step.

Writes ``OUT/results.json`` (with CPU seconds and the load average per stage) and prints a Markdown table.
Resumable: the SFT model, each arm's collection and training, and each evaluation are kept under ``OUT`` and
reused when the command runs again with the same arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import time
from pathlib import Path

import torch

from spa_gym.agents.evaluate import evaluate, task_list
from spa_gym.agents.policy import LLMPolicy
from spa_gym.agents.prompts import PromptConfig
from spa_gym.agents.rollout import make_env, run_episodes
from spa_gym.agents.rro import EstimatorProgress, ExpertPlanProgress, RROConfig, collect_rising_trajectories, summarize
from spa_gym.agents.rro.records import RROStep, append_step, preference_pairs, read_steps, sft_samples
from spa_gym.agents.rro.train import RROTrainConfig, train_rro
from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft
from spa_gym.core.files import write_text_atomic
from spa_gym.progress.episodes import NoisyExpertPolicy, collect_episodes
from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.small_model import build_small_model
from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator


def budget_subset(steps: list[RROStep], max_pairs: int, max_sft: int, seed: int) -> list[RROStep]:
    """A seeded random subset of ``steps`` holding at most ``max_pairs`` pairs and ``max_sft`` rising steps.

    >>> budget_subset([], 4, 4, 0)
    []
    """
    order = list(range(len(steps)))
    random.Random(seed).shuffle(order)
    kept, n_pairs, n_sft = [], 0, 0
    for i in order:
        s = steps[i]
        p, f = len(s.rejected), int(s.rose)
        if (p or f) and n_pairs + p <= max_pairs and n_sft + f <= max_sft:
            kept.append(i)
            n_pairs, n_sft = n_pairs + p, n_sft + f
    return [steps[i] for i in sorted(kept)]


def exploration_tasks(collect_on: str, train_tasks: int, episodes: int) -> list[int]:
    """Train task ids the RRO arms explore, one per trajectory: ``demo`` cycles through the SFT demos' tasks
    ``0 .. train_tasks - 1``; ``new`` takes the next ``episodes`` tasks, which no demonstration covers.

    >>> exploration_tasks("demo", 3, 5), exploration_tasks("new", 3, 5)
    ([0, 1, 2, 0, 1], [3, 4, 5, 6, 7])
    """
    if collect_on == "new":
        return list(range(train_tasks, train_tasks + episodes))
    if collect_on == "demo":
        return [i % train_tasks for i in range(episodes)]
    raise ValueError(f"collect_on must be 'demo' or 'new', got {collect_on!r}")


class Stages:
    """Wall and CPU seconds and the 1-minute load average at the end of each stage."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}
        self._t, self._c = time.perf_counter(), time.process_time()

    def done(self, name: str) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.rows[name] = {"wall_s": round(t - self._t, 1), "cpu_s": round(c - self._c, 1),
                           "load1": round(os.getloadavg()[0], 2)}
        self._t, self._c = t, c
        print(f"[{name}] {self.rows[name]}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny model, few ALFWorld tasks (a smoke run of the pipeline)")
    p.add_argument("--env", default="SPA-ALFWorld-v0")
    p.add_argument("--size", default="small", help="build_small_model size (tiny, small)")
    p.add_argument("--model", default=None, help="a local HF model folder instead of the small model (e.g. SmolLM2)")
    p.add_argument("--train-tasks", type=int, default=100, help="train tasks the expert demonstrates for SFT")
    p.add_argument("--test-tasks", type=int, default=50, help="first N tasks of the test split, played greedily")
    p.add_argument("--sft-epochs", type=float, default=3.0)
    p.add_argument("--sft-lr", type=float, default=1e-3, help="learning rate of the shared SFT start")
    p.add_argument("--explore-episodes", type=int, default=48,
                   help="the SFT policy's own sampled episodes in the estimator's training data")
    p.add_argument("--rro-episodes", type=int, default=40, help="collected trajectories per RRO arm")
    p.add_argument("--collect-on", default="demo", choices=["demo", "new"],
                   help="train tasks the RRO arms explore: the SFT demos' tasks (demo) or the next ones, "
                   "which have no demo (new)")
    p.add_argument("--max-candidates", type=int, default=4, help="RRO's sample bound (and k of fixed-k by default)")
    p.add_argument("--fixed-k", type=int, default=0, help="k of the fixed-k arm (0: --max-candidates)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature of the proposer")
    p.add_argument("--spa-min-rise", type=float, default=0.0, help="min_rise of RRO-SPA (estimator progress units)")
    p.add_argument("--max-steps", type=int, default=10, help="episode step limit (collection and evaluation)")
    p.add_argument("--train-steps", type=int, default=30, help="optimiser steps of every arm after SFT")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate after SFT (every arm)")
    p.add_argument("--sft-half", default="rising", choices=["rising", "demos"],
                   help="the RRO arms' SFT half: their rising steps, or as many expert demo turns")
    p.add_argument("--dpo", action=argparse.BooleanOptionalAction, default=True,
                   help="--no-dpo: the RRO arms train on their rising steps alone (no preference pairs)")
    p.add_argument("--max-new-tokens", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="torch device of the policy: cpu, cuda, auto")
    p.add_argument("--out", default="runs/rro_comparison")
    p.add_argument("--pool", default="", help="DIR,DIR,...: print the test success of finished runs pooled "
                   "(other seeds of one setting) and stop")
    args = p.parse_args()
    if args.pool:
        print(pooled_table([json.loads((Path(d) / "results.json").read_text()) for d in args.pool.split(",") if d]))
        return
    if args.fixed_k < 0 or args.max_candidates < 1:
        p.error("--fixed-k must be >= 0 (0: --max-candidates) and --max-candidates >= 1")
    args.fixed_k = args.fixed_k or args.max_candidates
    if args.quick:
        args.size, args.train_tasks, args.test_tasks, args.sft_epochs, args.sft_lr = "tiny", 16, 10, 4.0, 1e-2
        args.explore_episodes, args.rro_episodes, args.max_steps, args.train_steps = 8, 8, 12, 12
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    saved_args = out / "args.json"
    # Arguments added after a run started (absent from its args.json) take their defaults there.
    if saved_args.is_file() and any(args_value != vars(args)[k] for k, args_value in
                                    json.loads(saved_args.read_text()).items() if k in vars(args)):
        p.error(f"{out} holds a run with other arguments; use another --out or delete it")
    write_text_atomic(saved_args, json.dumps(vars(args), indent=2))
    stages, load_start = Stages(), os.getloadavg()
    env_fn = lambda **kw: make_env(args.env, max_steps=args.max_steps, **kw)  # noqa: E731
    prompt = PromptConfig(instruction=False, history_turns=2, snap_to_admissible=70.0)

    def load(path: Path) -> LLMPolicy:
        return LLMPolicy.from_pretrained(path, device=args.device, prompt_config=prompt,
                                         max_new_tokens=args.max_new_tokens)

    # 1. SFT on expert demonstrations: the shared starting point.
    demos, _ = expert_samples(lambda: env_fn(expert=True), [("train", i) for i in range(args.train_tasks)],
                              prompt, seed=args.seed)
    sft_dir = out / "sft"
    sft_loss = None
    if not (sft_dir / "config.json").is_file():
        base = Path(args.model) if args.model else build_small_model(out / "base", size=args.size, seed=args.seed)
        policy = load(base)
        losses = train_sft(policy, demos, SFTConfig(epochs=args.sft_epochs, learning_rate=args.sft_lr,
                                                    batch_size=8, seed=args.seed), progress=True)
        sft_loss = [round(losses[0], 3), round(sum(losses[-10:]) / len(losses[-10:]), 3)]
        write_text_atomic(out / "sft_loss.json", json.dumps(sft_loss))
        policy.save_pretrained(sft_dir)
    elif (out / "sft_loss.json").is_file():
        sft_loss = json.loads((out / "sft_loss.json").read_text())
    stages.done("sft")

    # 2. The SPA estimator: noisy-expert episodes plus the SFT policy's own sampled episodes of the train split.
    n_noisy = 4 * args.train_tasks
    explore = collect_episodes(env_fn(expert=True), NoisyExpertPolicy(epsilon=0.5, seed=args.seed), n_noisy,
                               args.seed, task_ids=[i % args.train_tasks for i in range(n_noisy)],
                               max_steps=args.max_steps, progress=False)
    own = [t.episode for t in run_episodes(load(sft_dir), env_fn,
                                           [("train", i % args.train_tasks) for i in range(args.explore_episodes)],
                                           seed=args.seed + 1, n_envs=16, temperature=args.temperature)]
    estimator = ProgressEstimator.default(seed=args.seed, device="cpu")
    train_estimator(estimator, explore + own, config=EstimatorTrainingConfig(epochs=10 if args.quick else 30,
                                                                             progress=False))
    estimator_data = {"noisy_expert_episodes": len(explore), "sft_policy_episodes": len(own),
                      "sft_policy_success": sum(e.won for e in own) / max(1, len(own)),
                      "sft_policy_grounding": sum(s.action_valid for e in own for s in e.steps)
                      / max(1, sum(len(e.steps) for e in own))}
    stages.done("estimator")

    test = task_list(env_fn(), "test", args.test_tasks)

    def evaluated(name: str, policy_dir: Path) -> dict:
        path = out / name / "eval.json"
        if not path.is_file():
            metrics, _ = evaluate(load(policy_dir), env_fn, test, seed=args.seed)
            write_text_atomic(path, json.dumps(metrics))
        return json.loads(path.read_text())

    results: dict[str, dict] = {"SFT start": {**evaluated("sft_start", sft_dir), "samples_per_step": None,
                                              "train_steps": 0, "sequences": 0}}
    stages.done("eval SFT start")

    # 3. Collection per arm, the SFT policy proposing candidates; then DPO + SFT within the step budget.
    collect_cfg = dict(max_candidates=args.max_candidates, max_steps=args.max_steps, seed=args.seed,
                       temperature=args.temperature)
    arms = {
        "RRO-SPA": (EstimatorProgress(estimator), RROConfig(min_rise=args.spa_min_rise, **collect_cfg)),
        "RRO-oracle": (ExpertPlanProgress(), RROConfig(min_rise=1.0, **collect_cfg)),
        "fixed-k": (ExpertPlanProgress(), RROConfig(min_rise=math.inf, sample_batch=args.fixed_k,
                                                    **{**collect_cfg, "max_candidates": args.fixed_k})),
    }
    tasks = exploration_tasks(args.collect_on, args.train_tasks, args.rro_episodes)
    budget = args.train_steps * args.batch_size
    for name, (scorer, config) in arms.items():
        arm = out / name
        steps_file, collected_file = arm / "steps.jsonl", arm / "collected.json"
        if collected_file.is_file():
            steps = read_steps(steps_file)
        else:
            steps_file.unlink(missing_ok=True)
            steps = collect_rising_trajectories(env_fn(expert=True), load(sft_dir), scorer, args.rro_episodes, config,
                                                task_ids=tasks, progress=True)
            arm.mkdir(parents=True, exist_ok=True)
            for s in steps:
                append_step(steps_file, s)
            write_text_atomic(collected_file, json.dumps(summarize(steps)))
        if config.min_rise == math.inf:
            # fixed-k never stops early, so no step "rose" under its own rule; its SFT targets are the steps whose
            # best candidate made oracle progress, RRO-oracle's rule (the records on disk stay as collected).
            for s in steps:
                s.rose = s.chosen_candidate.reward >= s.prev_reward + 1.0
        collected = summarize(steps)
        n_pairs, n_sft = len(preference_pairs(steps)), len(sft_samples(steps))
        row = {"samples_per_step": collected["mean_samples_per_step"], "collection_success": collected["success_rate"],
               "collected_steps": collected["steps"], "collected_pairs": n_pairs, "rising_steps": n_sft}
        stages.done(f"collect {name}")
        if n_pairs == 0 and n_sft == 0:
            print(f"{name}: empty ({collected['steps']} steps, 0 pairs, 0 rising steps): nothing to train on")
            results[name] = {**row, "empty": True, "train_steps": 0, "sequences": 0}
            continue
        used = budget_subset(steps, budget, budget, args.seed)
        u_pairs, u_sft = len(preference_pairs(used)) if args.dpo else 0, len(sft_samples(used))
        if u_pairs == 0 and u_sft == 0:
            print(f"{name}: no rising step to train on without pairs")
            results[name] = {**row, "empty": True, "train_steps": 0, "sequences": 0}
            continue
        per_epoch = max(1, math.ceil(max(u_pairs, u_sft) / args.batch_size))
        epochs = max(1, round(args.train_steps / per_epoch))
        policy = load(sft_dir)
        supervised = None
        if args.sft_half == "demos":  # as many expert turns as the arm has rising steps, a seeded subset
            supervised = random.Random(args.seed).sample(demos, min(len(demos), u_sft))
        # --no-dpo: no pair passes an infinite margin, so only the SFT half is left.
        train_rro(policy, used, arm / "train", RROTrainConfig(epochs=epochs, learning_rate=args.lr,
                                                              batch_size=args.batch_size, seed=args.seed,
                                                              min_margin=0.0 if args.dpo else math.inf),
                  supervised=supervised)
        seqs_per_step = (2 * args.batch_size if u_pairs else 0) + (args.batch_size if u_sft else 0)
        results[name] = {**row, "pairs": u_pairs, "sft_samples": u_sft, "train_steps": epochs * per_epoch,
                         "sequences": epochs * per_epoch * seqs_per_step,
                         **evaluated(name, arm / "train" / "model")}
        stages.done(f"train+eval {name}")

    # 4. The SFT baseline: the same SFT model, trained further on the demonstrations for as many steps.
    trained = [r["train_steps"] for r in results.values() if r["train_steps"]]
    steps_sft = round(sum(trained) / len(trained)) if trained else args.train_steps
    sft_arm = out / "SFT" / "model"
    if not (sft_arm / "config.json").is_file():
        policy = load(sft_dir)
        train_sft(policy, demos, SFTConfig(epochs=steps_sft / math.ceil(len(demos) / args.batch_size),
                                           learning_rate=args.lr, batch_size=args.batch_size, seed=args.seed,
                                           warmup_frac=0.0))
        policy.save_pretrained(sft_arm)
    results = {"SFT": {"samples_per_step": 1.0, "collection_success": None, "pairs": 0, "sft_samples": len(demos),
                       "train_steps": steps_sft, "sequences": steps_sft * args.batch_size,
                       **evaluated("SFT", sft_arm)}, **results}
    stages.done("train+eval SFT")

    report = {"args": vars(args), "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"{torch.get_num_threads()} torch thread(s)", "load_start": [round(x, 2) for x in load_start],
              "load_end": [round(x, 2) for x in os.getloadavg()], "stages": stages.rows,
              "total": {k: round(sum(r[k] for r in stages.rows.values()), 1) for k in ("wall_s", "cpu_s")},
              "sft_loss_first_last10": sft_loss, "sft_demos": len(demos), "estimator_data": estimator_data,
              "results": results}
    write_text_atomic(out / "results.json", json.dumps(report, indent=2))
    print(markdown(report))


def markdown(report: dict) -> str:
    """The comparison table of a results.json report."""
    lines = ["| arm | test success | avg score | candidates / step | train steps | sequences | pairs | rising steps "
             "| collection success |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in report["results"].items():
        if r.get("empty"):
            lines.append(f"| {name} | empty | - | {r['samples_per_step']:.2f} | 0 | 0 | {r['collected_pairs']} | "
                         f"{r['rising_steps']} of {r['collected_steps']} | {r['collection_success']:.0%} |")
            continue
        sps = "-" if r["samples_per_step"] is None else f"{r['samples_per_step']:.2f}"
        cs = "-" if r.get("collection_success") is None else f"{r['collection_success']:.0%}"
        rising = f"{r['rising_steps']} of {r['collected_steps']}" if "rising_steps" in r else "-"
        pairs = f"{r['pairs']} of {r['collected_pairs']}" if "collected_pairs" in r else str(r.get("pairs", 0))
        lines.append(f"| {name} | {r['success_rate']:.1%} | {r['average_score']:.3f} | {sps} | {r['train_steps']} | "
                     f"{r['sequences']} | {pairs} | {rising} | {cs} |")
    return "\n".join(lines)


ARMS = ("SFT start", "SFT", "RRO-SPA", "RRO-oracle", "fixed-k")


def pooled_table(reports: list[dict]) -> str:
    """Markdown table of several ``results.json`` reports (seeds of one setting): each arm's test successes summed
    over the runs with a 95% Wilson interval (it treats test episodes as independent; the per-seed column shows
    the spread), its gain over the SFT arm in each run, and its mean candidates per step.

    >>> row = lambda rate, sps: {"success_rate": rate, "episodes": 10, "samples_per_step": sps}
    >>> run = {"results": {"SFT": row(0.2, 1.0), "RRO-oracle": row(0.5, 3.0)}}
    >>> print(pooled_table([run, run]).splitlines()[-1])
    | RRO-oracle | 50.0% (10/20) [30%, 70%] | +30.0, +30.0 | 50.0%, 50.0% | 3.00 |
    """
    from spa_gym.agents.sb3_comparison import success_cell

    lines = ["| arm | test success, pooled | gain over SFT per seed (points) | per seed | candidates / step |",
             "|---|---:|---|---|---:|"]
    for name in ARMS:
        runs = [r["results"] for r in reports if name in r["results"] and not r["results"][name].get("empty")]
        if not runs:
            continue
        wins = sum(round(r[name]["success_rate"] * r[name]["episodes"]) for r in runs)
        n = sum(r[name]["episodes"] for r in runs)
        gains = ", ".join(f"{100 * (r[name]['success_rate'] - r['SFT']['success_rate']):+.1f}" if "SFT" in r else "-"
                          for r in runs)
        per_seed = ", ".join(f"{r[name]['success_rate']:.1%}" for r in runs)
        sps = [r[name]["samples_per_step"] for r in runs if r[name].get("samples_per_step") is not None]
        sps_cell = f"{sum(sps) / len(sps):.2f}" if sps else "-"
        lines.append(f"| {name} | {success_cell(wins, n)} | {gains} | {per_seed} | {sps_cell} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
