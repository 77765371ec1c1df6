"""How good is a trained progress estimator? Train it on ALFWorld trajectories, judge it on held-out ones.

Data: noisy-expert trajectories (the expert's command, replaced by a random admissible one with
probability epsilon, epsilon drawn per episode from --epsilons) on ALFWorld's train split for training,
its valid split for early stopping and its test split for the numbers below.

True progress after step t is ``1 - d_t / d_0``, where ``d_t`` is the number of steps the expert still
needs from the state after step t (measured by snapshotting the env with ``get_state``, rolling the
expert forward in a second env, and counting). Reported on the test episodes:

* Spearman correlation between the estimator's cumulative progress ``sum_{k<=t} c_k`` and true progress,
  pooled over every step of every episode, and the mean of the per-episode correlations;
* AUC of ranking successful above failed episodes by their predicted total ``sum_t c_t``.

    python benchmarks/progress_quality.py                   # small model, CPU
    python benchmarks/progress_quality.py --size tiny --train-episodes 200 --epochs 4   # a quick run
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from scipy.stats import rankdata, spearmanr

import spa_gym  # noqa: F401  (registers the envs)
from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, Step, read_jsonl, write_jsonl
from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator

ENV_ID = "SPA-ALFWorld-v0"


def expert_distance(oracle: gym.Env, state: dict, expert_action: str | None, limit: int = 200) -> int:
    """Steps the expert needs to win from ``state`` (``limit`` when it cannot)."""
    if expert_action is None:  # the expert sees no way to win from here
        return limit
    oracle.unwrapped.set_state(state)
    action, steps = expert_action, 0
    while action is not None and steps < limit:
        _, _, terminated, truncated, info = oracle.step(action)
        steps += 1
        if info["won"]:
            return steps
        if terminated or truncated:
            break
        action = info.get("expert_action")
    return limit


def play(env: gym.Env, oracle: gym.Env, policy: NoisyExpertPolicy, split: str, task_id: int,
         seed: int, max_steps: int) -> tuple[Episode, list[int]]:
    """One episode and the expert distance before it and after each of its steps."""
    obs, info = env.reset(seed=seed, options={"split": split, "task_id": task_id})
    ep = Episode(info["task"], obs, env_id=ENV_ID, split=split, task_id=task_id)
    dist = [expert_distance(oracle, env.unwrapped.get_state(), info["expert_action"])]
    done = False
    while not done and len(ep.steps) < max_steps:  # our own step limit: the env's would hide the expert
        action = policy(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        ep.steps.append(Step(action, obs, bool(info["action_valid"]), float(reward)))
        ep.final_reward += float(reward)
        done = terminated or truncated
        dist.append(0 if info["won"] else expert_distance(oracle, env.unwrapped.get_state(),
                                                          info.get("expert_action")))
    ep.won = bool(info["won"])
    return ep, dist


def collect(split: str, n: int, epsilons: list[float], max_steps: int, seed: int) -> tuple[list[Episode], list]:
    from tqdm.auto import tqdm

    env = gym.make(ENV_ID, expert=True, max_steps=100_000)
    oracle = gym.make(ENV_ID, expert=True, max_steps=100_000)
    oracle.reset(seed=0)
    size = env.unwrapped.task_set.size(split)
    rng = np.random.default_rng(seed)
    episodes, distances = [], []
    for i in tqdm(range(n), desc=f"collecting {split}", unit="ep"):
        policy = NoisyExpertPolicy(float(rng.choice(epsilons)), seed=seed + i)
        ep, dist = play(env, oracle, policy, split, int(rng.integers(size)), seed + i, max_steps)
        episodes.append(ep)
        distances.append(dist)
    return episodes, distances


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (Mann-Whitney)."""
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def evaluate(est: ProgressEstimator, episodes: list[Episode], distances: list[list[int]]) -> dict[str, float]:
    scores = est.score_episodes(episodes, batch_size=16)
    pred, true, per_episode = [], [], []
    for c, dist in zip(scores, distances):
        d0 = max(dist[0], 1)
        progress = 1.0 - np.array(dist[1:], dtype=float) / d0
        cumulative = np.cumsum(c)
        pred.extend(cumulative)
        true.extend(progress)
        if len(c) > 2 and np.ptp(progress) > 0 and np.ptp(cumulative) > 0:
            per_episode.append(spearmanr(cumulative, progress).statistic)
    won = np.array([ep.won for ep in episodes])
    totals = np.array([c.sum() for c in scores])
    return {"spearman_pooled": float(spearmanr(pred, true).statistic),
            "spearman_per_episode_mean": float(np.mean(per_episode)) if per_episode else float("nan"),
            "auc_success_vs_failure": auc(totals, won),
            "mse_total_vs_reward": float(np.mean((totals - np.array([ep.final_reward for ep in episodes])) ** 2)),
            "success_rate": float(won.mean()), "episodes": len(episodes), "steps": len(pred)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="small", choices=["tiny", "small"])
    parser.add_argument("--model", help="a local HF causal-LM folder instead of the small model")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--train-episodes", type=int, default=600)
    parser.add_argument("--valid-episodes", type=int, default=60)
    parser.add_argument("--test-episodes", type=int, default=150)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.2, 0.5, 0.8, 1.0])
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/progress_quality")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)

    data = {}
    for split, n, offset in (("train", args.train_episodes, 0), ("valid", args.valid_episodes, 10**6),
                             ("test", args.test_episodes, 2 * 10**6)):
        path = out / f"{split}-{n}-{args.max_steps}-{args.seed}.jsonl"
        dist_path = path.with_suffix(".dist.npy")
        if path.is_file() and dist_path.is_file():
            data[split] = (read_jsonl(path), list(np.load(dist_path, allow_pickle=True)))
        else:
            eps, dist = collect(split, n, args.epsilons, args.max_steps, args.seed + offset)
            write_jsonl(path, eps)
            np.save(dist_path, np.array(dist, dtype=object), allow_pickle=True)
            data[split] = (eps, dist)
        eps = data[split][0]
        print(f"{split}: {len(eps)} episodes, success rate {np.mean([e.won for e in eps]):.2f}, "
              f"mean length {np.mean([len(e) for e in eps]):.1f}")

    est = (ProgressEstimator.from_pretrained(args.model, args.device, seed=args.seed) if args.model
           else ProgressEstimator.default(seed=args.seed, size=args.size, device=args.device))
    before = evaluate(est, *data["test"])
    start = time.perf_counter()
    cfg = EstimatorTrainingConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                                  seed=args.seed, patience=3)
    history = train_estimator(est, data["train"][0], data["valid"][0], cfg, out_dir=out / f"estimator-{args.size}")
    minutes = (time.perf_counter() - start) / 60
    after = evaluate(est, *data["test"])
    print(f"\ntraining: {history['epochs_run']} epochs in {minutes:.1f} min, best valid loss "
          f"{history['best_valid_loss']:.4f} (epoch {history['best_epoch'] + 1})")
    print("| held-out test episodes | untrained | trained |\n|---|---:|---:|")
    for key in after:
        fmt = (lambda v: f"{v:.3f}") if isinstance(after[key], float) else str
        print(f"| {key} | {fmt(before[key])} | {fmt(after[key])} |")


if __name__ == "__main__":
    main()
