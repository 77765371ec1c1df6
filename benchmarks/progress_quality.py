"""How well does a trained progress estimator measure progress? Train on one env's train split, judge on its test split.

Data (``--recipe mixed``, the default: :func:`spa_gym.progress.recipes.mixed_outcome_episodes`): every task
played several times by the noisy expert at different noise levels, each episode with its own step cap, so
tasks have both outcomes and failures end at every length. ``--recipe capped`` is the old recipe kept for
comparison: one episode per random task, epsilon drawn per episode, every episode capped at ``--max-steps``.

True progress after step t is ``1 - d_t / d_0``, ``d_t`` the number of steps the env's expert still needs from
the state after step t (:func:`spa_gym.progress.true_progress.expert_distance`, through ``get_state`` /
``set_state``). Reported on the held-out test episodes:

* ``spearman_per_episode``: mean over episodes of Spearman(cumulative predicted progress, true progress);
  episodes of < 3 steps or with constant true progress are skipped (no ranking to recover), a constant
  prediction counts as 0;
* ``spearman_pooled``: the same correlation pooled over every step of every episode;
* ``auc``: successful episodes ranked above failed ones by the predicted total;
* ``last_step_credit_share``: mean share of an episode's absolute credit on its last step (the shortcut
  "all credit on the goal-completing step" scores 1.0);
* ``mse_total``: mean squared error of the predicted total against the final reward;
* ``spearman_per_episode_terminal_reward``: ``spearman_per_episode`` with one change: a state that *ended* the
  episode without a win (WebShop's purchase of a wrong product) has no expert plan, so ``d_t`` is capped and its
  true progress is the lowest of the episode, while the SPA constraint makes every estimator end at
  ``P_T = R > 0`` there. This figure values such a terminal state at its final reward instead (a won terminal
  state is worth 1 in both: ``d_T = 0``). ALFWorld and VirtualHome end only on a win, so it differs on WebShop
  only.

Data sizes: ``--per-task`` episodes per training task (8: more episodes of the same task meet in more states,
which the ``hindsight`` targets feed on), ``--eval-per-task`` per valid and test task (4).

    python benchmarks/progress_quality.py --env SPA-ALFWorld-v0 --quick --json runs/pq/alfworld.json
    python benchmarks/progress_quality.py --env SPA-VirtualHome-v0 --quick
    python benchmarks/progress_quality.py --env SPA-ALFWorld-v0 --quick --estimator tiny --objective spa   # the LM
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from scipy.stats import rankdata, spearmanr

import spa_gym  # noqa: F401  (registers the envs)
from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, Step
from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.recipes import mixed_outcome_episodes
from spa_gym.progress.training import OBJECTIVES, EstimatorTrainingConfig, train_estimator
from spa_gym.progress.true_progress import expert_distance

DISTANCE_CAP = 200


def distances_along(env: gym.Env, episode: Episode, seed: int) -> tuple[list[int], bool]:
    """Replay ``episode`` (same seed and task): the expert distance before and after each step, and whether
    its last step terminated the episode."""
    env.reset(seed=seed, options={"split": episode.split, "task_id": episode.task_id})
    out, terminated = [_distance(env)], False
    for step in episode.steps:
        terminated = env.step(step.action)[2]
        out.append(_distance(env))
    return out, bool(terminated)


def _distance(env: gym.Env) -> int:
    d = expert_distance(env, limit=DISTANCE_CAP)
    return DISTANCE_CAP if d is None else d


def collect(env: gym.Env, split: str, n_tasks: int, per_task: int, args: argparse.Namespace,
            seed: int) -> list[Episode]:
    size = env.unwrapped.task_set.size(split)
    rng = np.random.default_rng(seed)
    tasks = rng.choice(size, size=min(n_tasks, size), replace=False).tolist()
    if args.recipe == "mixed":
        return mixed_outcome_episodes(env, tasks, split=split, per_task=per_task, epsilons=args.epsilons,
                                      min_steps=args.min_steps, max_steps=args.max_steps, seed=seed)
    from spa_gym.progress.episodes import play_episode

    episodes = []
    for i in range(n_tasks * per_task):
        policy = NoisyExpertPolicy(float(rng.choice(args.epsilons)), seed=seed + i)
        episodes.append(play_episode(env, policy, seed=seed + i, max_steps=args.max_steps,
                                     options={"split": split, "task_id": int(rng.integers(size))}))
    return episodes


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (Mann-Whitney)."""
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _per_episode_spearman(cumulative: np.ndarray, progress: np.ndarray) -> float | None:
    if len(cumulative) <= 2 or np.ptp(progress) == 0:  # constant true progress: no ranking to recover
        return None
    return float(spearmanr(cumulative, progress).statistic) if np.ptp(cumulative) > 0 else 0.0


def quality(scores: list[np.ndarray], episodes: list[Episode],
            distances: list[tuple[list[int], bool]]) -> dict[str, float]:
    """The metrics of the module docstring."""
    pred, true, per_episode, per_episode_terminal, last_share = [], [], [], [], []
    for c, (dist, terminated), ep in zip(scores, distances, episodes):
        progress = 1.0 - np.array(dist[1:], dtype=float) / max(dist[0], 1)
        cumulative = np.cumsum(c)
        pred.extend(cumulative)
        true.extend(progress)
        rho = _per_episode_spearman(cumulative, progress)
        if rho is not None:
            per_episode.append(rho)
        if terminated and dist[-1] >= DISTANCE_CAP:  # ended without a plan: value the final state at its reward
            progress[-1] = ep.final_reward
            rho = _per_episode_spearman(cumulative, progress)
        if rho is not None:
            per_episode_terminal.append(rho)
        if len(c) and np.abs(c).sum() > 0:
            last_share.append(abs(c[-1]) / np.abs(c).sum())
    won = np.array([ep.won for ep in episodes])
    totals = np.array([c.sum() for c in scores])
    return {"spearman_per_episode": float(np.mean(per_episode)) if per_episode else float("nan"),
            "spearman_per_episode_terminal_reward": (float(np.mean(per_episode_terminal)) if per_episode_terminal
                                                     else float("nan")),
            "spearman_pooled": float(spearmanr(pred, true).statistic),
            "auc": auc(totals, won),
            "last_step_credit_share": float(np.mean(last_share)) if last_share else float("nan"),
            "mse_total": float(np.mean((totals - np.array([ep.final_reward for ep in episodes])) ** 2)),
            "test_success_rate": float(won.mean()), "test_episodes": len(episodes), "test_steps": len(pred),
            "episodes_ranked": len(per_episode)}


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="SPA-ALFWorld-v0")
    parser.add_argument("--quick", action="store_true", help="the CI-sized configuration (<= 10 min on 2 cores)")
    parser.add_argument("--estimator", default="steps", help="steps (default, CPU), tiny or small (the causal LM)")
    parser.add_argument("--model", help="a local HF causal-LM folder as the LM estimator's backbone")
    parser.add_argument("--objective", choices=list(OBJECTIVES),
                        help="default: the estimator's own (hindsight for steps, spa for an LM)")
    parser.add_argument("--recipe", default="mixed", choices=["mixed", "capped"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--train-tasks", type=int, default=1500)
    parser.add_argument("--per-task", type=int, default=8, help="episodes per training task")
    parser.add_argument("--eval-per-task", type=int, default=4, help="episodes per valid and test task")
    parser.add_argument("--valid-tasks", type=int, default=40)
    parser.add_argument("--test-tasks", type=int, default=100)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.1, 0.4, 0.7, 1.0])
    parser.add_argument("--min-steps", type=int, default=4)
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=0, help="0: 40 for steps, 8 for an LM")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.0, help="0: 3e-3 for steps, 3e-4 for an LM")
    parser.add_argument("--weight-decay", type=float, default=-1.0, help="-1: 0.1 for steps, 0.01 for an LM")
    parser.add_argument("--failure-weight", type=float, default=-1.0,
                        help="loss weight of episodes with reward 0; -1: the estimator's default (0.3 steps, 1.0 LM)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.quick:
        args.train_tasks, args.valid_tasks, args.test_tasks = min(args.train_tasks, 600), 60, 40
    lm = args.model is not None or args.estimator != "steps"
    args.epochs = args.epochs or (8 if lm else 40)
    args.lr = args.lr or (3e-4 if lm else 3e-3)
    args.weight_decay = args.weight_decay if args.weight_decay >= 0 else (0.01 if lm else 0.1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # ---- 1. data: train / valid / test splits, true progress on test
    started = time.perf_counter()
    env = gym.make(args.env, expert=True, max_steps=10_000)  # the recipe's own caps end episodes
    data = {split: collect(env, split, n, args.per_task if split == "train" else args.eval_per_task, args,
                           args.seed + offset)
            for split, n, offset in (("train", args.train_tasks, 0), ("valid", args.valid_tasks, 10**6),
                                     ("test", args.test_tasks, 2 * 10**6))}
    test_seeds = _episode_seeds(args, 2 * 10**6, len(data["test"]))
    distances = [distances_along(env, ep, s) for ep, s in zip(data["test"], test_seeds)]
    collect_seconds = time.perf_counter() - started
    for split, eps in data.items():
        print(f"{split}: {len(eps)} episodes, {np.mean([e.won for e in eps]):.0%} won, "
              f"mean length {np.mean([len(e) for e in eps]):.1f}")

    # ---- 2. the estimator, untrained and trained
    est = (ProgressEstimator.from_pretrained(args.model, args.device, seed=args.seed) if args.model
           else ProgressEstimator.default(seed=args.seed, size=args.estimator, device=args.device))
    before = quality(est.score_episodes(data["test"]), data["test"], distances)
    started = time.perf_counter()
    cfg = EstimatorTrainingConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                                  weight_decay=args.weight_decay, objective=args.objective, seed=args.seed, patience=5, progress=False,
                                  failure_weight=None if args.failure_weight < 0 else args.failure_weight)
    history = train_estimator(est, data["train"], data["valid"], cfg)
    seconds = time.perf_counter() - started
    after = quality(est.score_episodes(data["test"]), data["test"], distances)

    result = {"env": args.env, **after, "seconds": seconds, "collect_seconds": collect_seconds,
              "estimator": args.model or args.estimator, "objective": history["config"]["objective"],
              "recipe": args.recipe,
              "failure_weight": history["config"]["failure_weight"],
              "lr_schedule": history["config"]["lr_schedule"], "keep_best": history["config"]["keep_best"],
              "epochs_run": history["epochs_run"], "best_epoch": history["best_epoch"],
              "untrained": before, "train_episodes": len(data["train"]), "quick": args.quick}
    print(f"\n{args.env}: {args.model or args.estimator} estimator, objective {result['objective']}, recipe "
          f"{args.recipe}; trained {history['epochs_run']} epochs in {seconds:.0f}s (best epoch {result['best_epoch']})")
    print("| held-out test episodes | untrained | trained |\n|---|---:|---:|")
    for key in ("spearman_per_episode", "spearman_per_episode_terminal_reward", "spearman_pooled", "auc",
                "last_step_credit_share", "mse_total"):
        print(f"| {key} | {before[key]:.3f} | {after[key]:.3f} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


def _episode_seeds(args: argparse.Namespace, seed: int, n: int) -> list[int]:
    """The reset seeds :func:`collect` used (episode ``i`` resets with ``seed + i`` in both recipes)."""
    return [seed + i for i in range(n)]


if __name__ == "__main__":
    main()
