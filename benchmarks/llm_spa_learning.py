"""PPO on the bundled LLM: sparse reward vs SPA's potential-form reward, same budget, same seeds (issue 10).

Setting (small model from scratch, CPU): a few easy tasks to train on, ALFWorld (``pick_and_place_simple`` in
small rooms, the default) or VirtualHome (``--env virtualhome``: one task type, expert plan <= 4 commands). The
SFT warm start learns from expert demonstrations of *other* easy tasks, so it starts with some skill but not the
answers. On VirtualHome ``--sft-task-types`` picks the demonstrations' task types (e.g. one other ``watch_tv``
task and four other types): other tasks of the training type alone teach SFT the answers. Then, from the same
SFT policy:

* ``PPO-sparse``: the env's own reward, 1.0 on success;
* ``PPO-SPA``: ``spa_potential`` turn rewards (``alpha * (Phi_t - Phi_{t-1}) + beta * (g_t - 1)`` plus the final
  reward) from the step-level progress estimator, trained first on the SFT policy's own exploration episodes
  of the training tasks (on-policy, as the paper collects) and noisy-expert episodes of the same tasks.

Judged on the training tasks (the PPO target) and on held-out easy tasks of the valid and test splits.

    python benchmarks/llm_spa_learning.py --out runs/llm_spa_learning          # ~30-60 min on 2 CPU cores
    python benchmarks/llm_spa_learning.py --quick --out /tmp/llm_quick       # plumbing check, ~1 min
    python benchmarks/llm_spa_learning.py --env virtualhome --beta 0 --ppo-iterations 12 --eval-episodes 8 \
        --sft-task-types watch_tv:2,listen_to_music,pick_up_phone,take_shower,drink --out runs/llm_vh

Reads top to bottom: tasks, SFT, estimator, the two PPO arms, evaluation, table.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch


@dataclass
class Args:
    """Hyper-parameters (each is a flag)."""

    env: str = "alfworld"
    """``alfworld`` (``pick_and_place_simple`` in small rooms) or ``virtualhome`` (one task type, short plans)."""
    virtualhome_task_type: str = "watch_tv"
    """VirtualHome: the task type trained and judged (sb3_comparison's easy rule: expert plan <= 4 commands)."""
    sft_task_types: str = ""
    """VirtualHome: comma-separated task types whose easy tasks give the SFT demonstrations, each ``type`` or
    ``type:count`` (types without a count share what is left of ``sft_tasks``). Empty: other tasks of
    ``virtualhome_task_type``, which SFT alone then solves (96.9% at seed 0, benchmarks/RESULTS.md)."""
    train_tasks: int = 8
    """Easy training tasks PPO trains on (the first that qualify in the train split)."""
    sft_tasks: int = 96
    """Other easy train-split tasks whose expert demonstrations warm-start the policy."""
    heldout_tasks: int = 16
    """Easy valid/test tasks judged as held out."""
    max_receptacles: int = 10
    """ALFWorld's easy rooms: at most this many ``go to`` targets (as in sb3_comparison)."""
    max_steps: int = 20
    """Episode step limit for exploration, PPO and evaluation."""
    model_size: str = "small"
    """Size of the small from-scratch model (``tiny`` or ``small``)."""
    sft_epochs: float = 4.0
    """SFT passes over the demonstrations."""
    explore_per_task: int = 8
    """Episodes per training task the SFT policy plays for the estimator (temperature 1)."""
    estimator_per_task: int = 16
    """Noisy-expert episodes per training task for the estimator (recipes.mixed_outcome_episodes)."""
    ppo_iterations: int = 8
    """PPO iterations per arm."""
    episodes_per_iteration: int = 16
    """Episodes sampled per PPO iteration."""
    ppo_learning_rate: float = 1e-4
    """PPO learning rate."""
    beta: float = 0.5
    """Weight of the grounding penalty in the SPA arm."""
    eval_episodes: int = 4
    """Sampled evaluation episodes per task (temperature 1; greedy replies loop in partially seen rooms)."""
    seeds: str = "0"
    """Comma-separated seeds."""
    out: str = "runs/llm_spa_learning"
    """Run folder (models, episodes, results.json)."""
    quick: bool = False
    """Tiny everything: checks the plumbing in about a minute."""
    pool: str = ""
    """Comma-separated run folders (``--out`` of earlier runs, e.g. one seed each run side by side): print their
    seeds pooled, with 95% Wilson intervals, and run nothing."""


#: The envs this benchmark knows easy tasks of, and their Gymnasium ids.
ENV_IDS = {"alfworld": "SPA-ALFWorld-v0", "virtualhome": "SPA-VirtualHome-v0"}


def parse_args(argv: list[str] | None = None) -> Args:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for f in fields(Args):
        default = getattr(Args, f.name)
        flag = f"--{f.name.replace('_', '-')}"
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    args = Args(**vars(parser.parse_args(argv)))
    if args.env not in ENV_IDS:
        parser.error(f"--env must be one of {', '.join(ENV_IDS)}, got {args.env!r}")
    if args.sft_task_types and args.env != "virtualhome":
        parser.error("--sft-task-types is for --env virtualhome")
    if args.quick:
        args = replace(args, train_tasks=2, sft_tasks=4, heldout_tasks=2, model_size="tiny", sft_epochs=2.0,
                       explore_per_task=2, estimator_per_task=4, ppo_iterations=1, episodes_per_iteration=4,
                       eval_episodes=1, max_steps=6)
    return args


def sft_task_counts(spec: str, total: int) -> dict[str, int]:
    """``"a:4,b,c"`` -> ``{"a": 4, "b": .., "c": ..}``: types without a count share ``total`` minus the counts.

    >>> sft_task_counts("watch_tv:4,drink,take_shower", 20)
    {'watch_tv': 4, 'drink': 8, 'take_shower': 8}
    >>> sft_task_counts("", 96)
    {}
    """
    counts: dict[str, int | None] = {}
    for entry in (e.strip() for e in spec.split(",") if e.strip()):
        name, _, count = entry.partition(":")
        if name in counts:
            raise ValueError(f"task type {name!r} is listed twice in {spec!r}")
        counts[name] = int(count) if count else None
    fixed = sum(c for c in counts.values() if c is not None)
    free = [name for name, c in counts.items() if c is None]
    left = total - fixed
    if any(c is not None and c < 0 for c in counts.values()) or (free and left < len(free)):
        raise ValueError(f"cannot share {total} SFT tasks as {spec!r}")
    for k, name in enumerate(free):
        counts[name] = left // len(free) + (k < left % len(free))
    return {name: int(c) for name, c in counts.items()}


class TaskIds(gym.Wrapper):
    """``reset(options={"task_id": i})`` plays ``task_ids[i]`` (PPO draws ids ``0..n-1``)."""

    def __init__(self, env: gym.Env, task_ids: list[int]) -> None:
        super().__init__(env)
        self.task_ids = list(task_ids)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = dict(options or {})
        options["task_id"] = self.task_ids[int(options.get("task_id", 0)) % len(self.task_ids)]
        return self.env.reset(seed=seed, options=options)


def main(args: Args) -> dict[str, Any]:
    import spa_gym  # noqa: F401  (registers the envs)
    from spa_gym.agents.evaluate import evaluate
    from spa_gym.agents.policy import LLMPolicy
    from spa_gym.agents.ppo import PPOConfig, train_ppo
    from spa_gym.agents.prompts import PromptConfig
    from spa_gym.agents.rollout import run_episodes
    from spa_gym.agents.sb3_comparison import ComparisonConfig, easy_tasks
    from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft
    from spa_gym.progress import ProgressEstimator
    from spa_gym.progress.recipes import mixed_outcome_episodes
    from spa_gym.progress.small_model import build_small_model
    from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"args": asdict(args), "seeds": {}}
    prompt = PromptConfig(instruction=False, history_turns=2, snap_to_admissible=70.0)

    # ---- 1. tasks (sb3_comparison's easy-task rule): PPO's training tasks, other easy tasks for SFT, held out
    easy = ComparisonConfig(alfworld_max_receptacles=args.max_receptacles,
                            virtualhome_task_type=args.virtualhome_task_type)
    env_id = ENV_IDS[args.env]
    sft_types = sft_task_counts(args.sft_task_types, args.sft_tasks)
    both = easy_tasks(args.env, "train", easy, limit=args.train_tasks + (0 if sft_types else args.sft_tasks),
                      cache_dir=out)
    train_ids, sft_ids = both[:args.train_tasks], both[args.train_tasks:]
    for task_type, count in sft_types.items():  # easy tasks of each type, never a training task
        of_type = easy_tasks(args.env, "train", replace(easy, virtualhome_task_type=task_type),
                             limit=count + len(train_ids), cache_dir=out)
        sft_ids += [t for t in of_type if t not in train_ids][:count]
    n_valid = args.heldout_tasks // 2
    heldout = ([("valid", t) for t in easy_tasks(args.env, "valid", easy, limit=n_valid, cache_dir=out)]
               + [("test", t) for t in easy_tasks(args.env, "test", easy, limit=args.heldout_tasks - n_valid,
                                                  cache_dir=out)])
    results["tasks"] = {"train": train_ids, "sft": sft_ids, "heldout": heldout}
    print(f"{env_id}: {len(train_ids)} training tasks, {len(sft_ids)} SFT tasks, {len(heldout)} held-out tasks",
          flush=True)

    def env_fn(expert: bool = False, subset: bool = False) -> gym.Env:
        env = gym.make(env_id, max_steps=args.max_steps, expert=expert)
        return TaskIds(env, train_ids) if subset else env

    train_tasks = [("train", t) for t in train_ids for _ in range(args.eval_episodes)]
    heldout_tasks = [task for task in heldout for _ in range(args.eval_episodes)]

    def judge(policy: LLMPolicy, seed: int) -> dict[str, Any]:
        train_m, _ = evaluate(policy, env_fn, train_tasks, seed=seed + 77, n_envs=16, temperature=1.0)
        held_m, _ = evaluate(policy, env_fn, heldout_tasks, seed=seed + 78, n_envs=16, temperature=1.0)
        return {"train": train_m, "heldout": held_m}

    for seed in [int(s) for s in args.seeds.split(",") if s]:
        run = out / f"seed{seed}"
        started = time.time()
        seed_result: dict[str, Any] = {}

        def load(path: Path) -> LLMPolicy:
            return LLMPolicy.from_pretrained(path, device="cpu", prompt_config=prompt, max_new_tokens=12)

        # ---- 2. SFT warm start on the other tasks' expert demonstrations
        base = build_small_model(run / "base_model", size=args.model_size, seed=seed) \
            if not (run / "base_model" / "config.json").is_file() else run / "base_model"
        sft_dir = run / "sft_model"
        if not (sft_dir / "policy.json").is_file():
            samples, _ = expert_samples(lambda: env_fn(expert=True), [("train", t) for t in sft_ids], prompt, seed=seed)
            policy = load(Path(base))
            losses = train_sft(policy, samples, SFTConfig(epochs=args.sft_epochs, learning_rate=1e-3, batch_size=16,
                                                          seed=seed), progress=False)
            print(f"[seed {seed}] SFT: {len(samples)} samples, loss {losses[0]:.2f} -> {losses[-1]:.2f} "
                  f"({time.time() - started:.0f}s)", flush=True)
            policy.save_pretrained(sft_dir)
        seed_result["SFT"] = judge(load(sft_dir), seed)
        print(f"[seed {seed}] SFT: train-task success {seed_result['SFT']['train']['success_rate']:.1%}", flush=True)

        # ---- 3. the progress estimator: the SFT policy's own episodes + noisy-expert episodes, training tasks
        t0 = time.time()
        explored = [tr.episode for tr in run_episodes(load(sft_dir), env_fn,
                                                      [("train", t) for t in train_ids
                                                       for _ in range(args.explore_per_task)],
                                                      seed=seed + 1, n_envs=16, temperature=1.0)]
        noisy = mixed_outcome_episodes(gym.make(env_id, expert=True, max_steps=10_000), train_ids,
                                       split="train", per_task=args.estimator_per_task, min_steps=4,
                                       max_steps=args.max_steps, seed=seed, progress=False)
        data = [explored[i] for i in np.random.default_rng(seed).permutation(len(explored))] + noisy
        rng = np.random.default_rng(seed + 5)
        data = [data[i] for i in rng.permutation(len(data))]
        n_valid = max(2, len(data) // 8)
        estimator = ProgressEstimator.default(seed=seed, device="cpu")
        train_estimator(estimator, data[n_valid:], data[:n_valid], EstimatorTrainingConfig(progress=False, seed=seed))
        estimator.save(run / "estimator")
        seed_result["estimator"] = {"episodes": len(data), "won": float(np.mean([e.won for e in data])),
                                    "explored_won": float(np.mean([e.won for e in explored])),
                                    "seconds": time.time() - t0}
        print(f"[seed {seed}] estimator: {len(data)} episodes ({seed_result['estimator']['won']:.0%} won; SFT "
              f"exploration {seed_result['estimator']['explored_won']:.0%}), {time.time() - t0:.0f}s", flush=True)

        # ---- 4. the two PPO arms from the same SFT policy, same budget and seed
        for name, reward in (("PPO-sparse", "sparse"), ("PPO-SPA", "spa_potential")):
            t0 = time.time()
            policy = load(sft_dir)
            config = PPOConfig(reward=reward, iterations=args.ppo_iterations,
                               episodes_per_iteration=args.episodes_per_iteration, n_envs=16,
                               num_train_tasks=len(train_ids), update_epochs=1, minibatch_turns=16, grad_accum=2,
                               learning_rate=args.ppo_learning_rate, beta=args.beta, seed=seed)
            history = train_ppo(policy, lambda: env_fn(subset=True), config,
                                estimator=estimator if reward != "sparse" else None, out_dir=run / name)
            seed_result[name] = judge(policy, seed)
            seed_result[name]["history"] = history
            seed_result[name]["seconds"] = time.time() - t0
            print(f"[seed {seed}] {name}: train-task success {seed_result[name]['train']['success_rate']:.1%}, "
                  f"held-out {seed_result[name]['heldout']['success_rate']:.1%} ({time.time() - t0:.0f}s)", flush=True)
        seed_result["seconds"] = time.time() - started
        results["seeds"][seed] = seed_result
        (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")

    # ---- 5. table: every seed's evaluation episodes pooled
    print("\n" + pooled_table([results]))
    return results


POLICIES = ("SFT", "PPO-sparse", "PPO-SPA")


def pooled_table(runs: list[dict[str, Any]]) -> str:
    """Markdown table of ``results.json`` contents: successes pooled over every seed of every run, with 95% Wilson
    intervals (they ignore seed-to-seed spread: the per-seed column shows it)."""
    from spa_gym.agents.sb3_comparison import success_cell

    seeds = [seed for run in runs for seed in run["seeds"].values()]
    lines = ["| policy | training-task success | held-out success | grounding (train) | per seed (train / held out) |",
             "|---|---:|---:|---:|---|"]
    for name in POLICIES:
        cells = []
        for split in ("train", "heldout"):
            wins = sum(round(s[name][split]["success_rate"] * s[name][split]["episodes"]) for s in seeds)
            n = sum(s[name][split]["episodes"] for s in seeds)
            cells.append(success_cell(wins, n))
        ground = np.mean([s[name]["train"]["grounding"] for s in seeds])
        per = ", ".join(f"{s[name]['train']['success_rate']:.1%} / {s[name]['heldout']['success_rate']:.1%}"
                        for s in seeds)
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {ground:.1%} | {per} |")
    return "\n".join(lines)


if __name__ == "__main__":
    cli = parse_args()
    if cli.pool:
        print(pooled_table([json.loads((Path(d) / "results.json").read_text()) for d in cli.pool.split(",") if d]))
    else:
        main(cli)
