"""Does SPA's dense reward teach? MaskablePPO on easy ALFWorld and VirtualHome tasks, seven reward arms.

Every trained arm gets the same PPO budget, seeds, features and policy (the project's SB3 path:
``make_sb3_env`` + ``MaskableCandidateScoringPolicy``); only the reward differs:

* ``random``: no training, a uniformly random admissible command every step (the floor);
* ``sparse``: the env's own reward, 1.0 on success;
* ``uniform``: the final reward split ``R / T`` over the episode's ``T`` steps. Not causal, so it is done
  inside SB3 (``spa_gym.wrappers.sb3.UniformRewardCallback`` rewrites finished episodes at rollout end);
* ``grounding``: ``GroundingReward`` with its defaults (0.5 per executed command + the final reward). The
  policy only picks admissible commands, so this is a constant bonus per step: it shows what that does;
* ``spa``: the paper's per-step form, ``SPAReward(form="per_step", alpha=1, beta=0)``, no env reward;
* ``spa_potential``: the potential form, ``SPAReward(form="potential", alpha=1, beta=0)``: the estimator's
  cumulative progress as a potential, plus the env's final reward;
* ``oracle``: ``OracleProgressReward``, the progress the env's expert measures, ``(d_{t-1} - d_t) / d_0 + R``.

Both spa arms use the default step-level estimator (``ProgressEstimator.default``), trained once per seed
on ``mixed_outcome_episodes`` of the training tasks only.

Tasks. ALFWorld: ``pick_and_place_simple`` in rooms with at most 10 places to go. VirtualHome: one task type
(``turn_on_light`` by default) whose expert plan has at most 4 commands and whose admissible lists (at the
start, along the expert plan, and after walking to each room) stay small enough for the K action slots.
Training uses the first ``--train-tasks`` such tasks of the train split; held-out success is measured on the
easy tasks of the other splits (never trained on, never seen by the estimator).

Reported per arm: training-task and held-out success (sampled actions), per seed and pooled over seeds, with
a 95% Wilson score interval over the pooled evaluation episodes (it ignores seed-to-seed spread: read the
per-seed values beside it); and a learning-curve PNG (success of the training episodes, from ``Monitor``'s
``info["won"]``, against env steps, mean over seeds).

    nice -n 15 python benchmarks/spa_learning.py --quick --json runs/spa_learning/quick.json
    nice -n 15 python benchmarks/spa_learning.py --env both --seeds 0,1,2 --json runs/spa_learning/full.json

The script reads top to bottom: pick tasks; per (env, seed): train the estimator, train and evaluate every
arm; pool the seeds; write the JSON and the plot; print the table.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch

ARMS = ("random", "sparse", "uniform", "grounding", "spa", "spa_potential", "oracle")
ENVS = ("alfworld", "virtualhome")


@dataclass
class Args:
    """Hyper-parameters of the benchmark (every one is a command-line flag)."""

    env: str = "both"
    """``alfworld``, ``virtualhome`` or ``both``."""
    seeds: str = "0,1,2"
    """Comma-separated seeds (PPO, task draws, estimator data and weights)."""
    quick: bool = False
    """The CI-sized run: one env (alfworld unless --env names one), 8 training tasks, seeds 0,1; <= 15 min on 2 cores."""
    arms: str = ",".join(ARMS)
    """Comma-separated arms to run (names as in the module docstring)."""
    total_timesteps: int = 12_288
    """PPO environment steps per trained arm and seed."""
    train_tasks: int = 8
    """Training tasks (the first easy ones of the train split)."""
    max_heldout_tasks: int = 32
    """At most this many held-out easy tasks (the first of each other split, in turn)."""
    max_steps: int = 30
    """Episode step limit."""
    alfworld_task_type: str = "pick_and_place_simple"
    """The one ALFWorld task type trained and evaluated."""
    alfworld_max_receptacles: int = 10
    """Small ALFWorld rooms: at most this many ``go to`` targets."""
    alfworld_max_actions: int = 48
    """ALFWorld action slots K (random play in these rooms lists at most ~20 commands)."""
    virtualhome_task_type: str = "turn_on_light"
    """The one VirtualHome task type trained and evaluated."""
    virtualhome_max_plan: int = 4
    """Easy VirtualHome tasks: the expert needs at most this many commands."""
    virtualhome_max_admissible: int = 56
    """Easy VirtualHome tasks: at most this many commands at the start, along the expert plan and after a
    walk to each room (grabbing adds put commands: K is set well above it)."""
    virtualhome_max_actions: int = 96
    """VirtualHome action slots K."""
    feature_dim: int = 256
    """Hashed n-gram feature size of the policy's inputs."""
    hidden_dim: int = 64
    """Width of the candidate-scoring extractor."""
    n_envs: int = 4
    """Parallel envs per PPO run (one process)."""
    n_steps: int = 128
    """PPO rollout length per env (well above the step limit, for the uniform split's sake)."""
    batch_size: int = 128
    """PPO minibatch size."""
    n_epochs: int = 4
    """PPO epochs per rollout."""
    learning_rate: float = 1e-3
    """Adam learning rate of PPO."""
    gamma: float = 0.97
    """PPO discount (episodes are short)."""
    ent_coef: float = 0.01
    """PPO entropy bonus."""
    estimator_objective: str = "uniform_prefix"
    """Training objective of the progress estimator (one of spa_gym.progress.training.OBJECTIVES)."""
    estimator_per_task: int = 24
    """Estimator training episodes per training task (mixed outcomes, varied lengths); a quarter as many
    more, with other seeds, validate."""
    estimator_min_steps: int = 4
    """Shortest step cap of an estimator episode (caps are drawn up to --max-steps)."""
    estimator_epochs: int = 40
    """Estimator training epochs at most (best validation epoch kept)."""
    estimator_learning_rate: float = 3e-3
    """Estimator AdamW learning rate."""
    estimator_weight_decay: float = 0.1
    """Estimator AdamW weight decay."""
    estimator_batch_size: int = 16
    """Estimator episodes per gradient step."""
    estimator_patience: int = 5
    """Estimator epochs without validation gain before stopping."""
    eval_episodes: int = 5
    """Evaluation episodes per training task (sampled actions, reset seeds 0..n-1)."""
    heldout_eval_episodes: int = 3
    """Evaluation episodes per held-out task."""
    curve_bin: int = 1024
    """Env steps per point of the learning curve."""
    workers: int = 1
    """Processes running (env, seed) jobs side by side (one torch thread each)."""
    out: str = "runs/spa_learning"
    """Folder for the task-list cache and the learning-curve PNG."""
    json: str = ""
    """Write the results here (empty: out/results.json)."""
    progress: bool = False
    """Show progress bars."""


def parse_args(argv: list[str] | None = None) -> Args:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for field in fields(Args):
        default = getattr(Args, field.name)
        flag = f"--{field.name.replace('_', '-')}"
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif field.name == "estimator_objective":
            from spa_gym.progress.training import OBJECTIVES

            parser.add_argument(flag, default=default, choices=OBJECTIVES)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    args = Args(**vars(parser.parse_args(argv)))
    if args.quick:
        given = set(argv if argv is not None else __import__("sys").argv[1:])
        args.env = "alfworld" if args.env == "both" else args.env
        args.train_tasks = 8
        if "--seeds" not in given:
            args.seeds = "0,1"
    return args


class TaskSubset(gym.Wrapper):
    """Every ``reset`` plays one of ``task_ids`` of ``split``, drawn from a generator seeded by ``reset(seed)``."""

    def __init__(self, env: gym.Env, split: str, task_ids: list[int], seed: int = 0) -> None:
        super().__init__(env)
        self.split, self.task_ids = split, list(task_ids)
        self.rng = np.random.default_rng(seed)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        options = {"split": self.split, "task_id": int(self.rng.choice(self.task_ids)), **(options or {})}
        return self.env.reset(seed=seed, options=options)


def make_text_env(env_name: str, args: Args, expert: bool = False, max_steps: int | None = None) -> gym.Env:
    """The bare text env of ``env_name`` (train split by default; reset options pick the task)."""
    from spa_gym.envs.alfworld import AlfWorldEnv
    from spa_gym.envs.virtualhome import VirtualHomeEnv

    cls = {"alfworld": AlfWorldEnv, "virtualhome": VirtualHomeEnv}[env_name]
    return cls(split="train", expert=expert, max_steps=max_steps or args.max_steps)


def is_easy(env_name: str, env: gym.Env, info: dict, args: Args) -> bool:
    """The easy-task rule of each env (see the module docstring); ``env`` was just reset onto the task."""
    commands = info["admissible_commands"]
    if env_name == "alfworld":
        return (info["task_type"] == args.alfworld_task_type
                and sum(c.startswith("go to ") for c in commands) <= args.alfworld_max_receptacles)
    if info["task_type"] != args.virtualhome_task_type:
        return False
    from spa_gym.envs.virtualhome.properties import ROOM_CLASSES

    base = env.unwrapped
    start, largest = base.get_state(), len(commands)
    for room in ROOM_CLASSES:  # the biggest lists are those of the biggest rooms
        walk = f"walk to {room.replace('_', ' ')}"
        if walk in commands:
            base.set_state(start)
            largest = max(largest, len(env.step(walk)[4]["admissible_commands"]))
    base.set_state(start)
    plan = 0
    while not info["won"] and plan <= args.virtualhome_max_plan and info.get("expert_action"):
        info = env.step(info["expert_action"])[4]
        plan, largest = plan + 1, max(largest, len(info["admissible_commands"]))
    return info["won"] and plan <= args.virtualhome_max_plan and largest <= args.virtualhome_max_admissible


def easy_tasks(env_name: str, split: str, args: Args, limit: int | None = None) -> list[int]:
    """The first ``limit`` easy task ids of ``split`` (all with None), cached under ``args.out``."""
    key = (args.alfworld_task_type, args.alfworld_max_receptacles) if env_name == "alfworld" else (
        args.virtualhome_task_type, args.virtualhome_max_plan, args.virtualhome_max_admissible)
    cache = Path(args.out) / "tasks" / f"{env_name}-{split}-{'-'.join(map(str, key))}-{limit}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    env = make_text_env(env_name, args, expert=True, max_steps=10_000)
    chosen = []
    for task_id in range(env.unwrapped.task_set.size(split)):
        _, info = env.reset(seed=0, options={"split": split, "task_id": task_id})
        if is_easy(env_name, env, info, args):
            chosen.append(task_id)
            if limit is not None and len(chosen) >= limit:
                break
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(chosen) + "\n")
    return chosen


def evaluate(act: Callable[[dict, np.ndarray], int], make_env: Callable[[], gym.Env],
             tasks: list[tuple[str, int]], episodes: int) -> dict[str, Any]:
    """Wins and lengths of ``act(obs, mask) -> slot`` over ``tasks`` x reset seeds ``0..episodes-1``."""
    env = make_env()
    wins, lengths = [], []
    for split, task_id in tasks:
        for seed in range(episodes):
            obs, info = env.reset(seed=seed, options={"split": split, "task_id": task_id})
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(act(obs, env.get_wrapper_attr("action_masks")()))
                done = terminated or truncated
            wins.append(bool(info["won"]))
            lengths.append(int(info["step"]))
    return {"wins": wins, "success": float(np.mean(wins)), "episodes": len(wins),
            "mean_length": float(np.mean(lengths))}


def wilson_interval(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a success fraction ``wins / n``."""
    if n == 0:
        return (0.0, 1.0)
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def run_job(args: Args, env_name: str, seed: int, train_ids: list[int],
            held_out: list[tuple[str, int]]) -> dict[str, Any]:
    """Train the estimator, then train and evaluate every arm, for one env and one seed."""
    import spa_gym  # noqa: F401  (registers the envs)
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from spa_gym.progress import ProgressEstimator
    from spa_gym.progress.recipes import mixed_outcome_episodes
    from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator
    from spa_gym.wrappers import GroundingReward, OracleProgressReward, SPAReward
    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy, UniformRewardCallback, make_sb3_env
    from spa_gym.wrappers.text_features import HashedNgramEncoder

    torch.set_num_threads(1)  # small networks: one thread is fastest and leaves the other core free
    arms = [arm for arm in args.arms.split(",") if arm]
    max_actions = args.alfworld_max_actions if env_name == "alfworld" else args.virtualhome_max_actions
    result: dict[str, Any] = {"env": env_name, "seed": seed, "arms": {}}
    tag = f"[{env_name} seed {seed}]"

    # ---- 1. the progress estimator: mixed-outcome episodes of the training tasks, trained once for both spa arms
    estimator = None
    if {"spa", "spa_potential"} & set(arms):
        started = time.time()
        expert_env = make_text_env(env_name, args, expert=True, max_steps=10_000)  # the recipe's caps end episodes
        common = dict(split="train", min_steps=args.estimator_min_steps, max_steps=args.max_steps, progress=False)
        train_eps = mixed_outcome_episodes(expert_env, train_ids, per_task=args.estimator_per_task, seed=seed, **common)
        valid_eps = mixed_outcome_episodes(expert_env, train_ids, per_task=max(2, args.estimator_per_task // 4),
                                           seed=seed + 10**6, **common)
        estimator = ProgressEstimator.default(seed=seed, device="cpu")
        config = EstimatorTrainingConfig(objective=args.estimator_objective, learning_rate=args.estimator_learning_rate,
                                         weight_decay=args.estimator_weight_decay, epochs=args.estimator_epochs,
                                         batch_size=args.estimator_batch_size, patience=args.estimator_patience,
                                         seed=seed, progress=args.progress)
        history = train_estimator(estimator, train_eps, valid_eps, config)
        estimator.eval()
        # Does the potential separate won from lost validation episodes? (AUC of the predicted totals)
        totals = np.array([c.sum() for c in estimator.score_episodes(valid_eps)])
        won = np.array([ep.won for ep in valid_eps])
        auc = float(np.mean([(w > l) + 0.5 * (w == l) for w in totals[won] for l in totals[~won]])) \
            if won.any() and (~won).any() else float("nan")
        result["estimator"] = {"train_episodes": len(train_eps), "valid_episodes": len(valid_eps),
                               "won": float(np.mean([ep.won for ep in train_eps])),
                               "best_valid_loss": float(history["best_valid_loss"]),
                               "epochs_run": history["epochs_run"], "valid_auc": auc,
                               "seconds": time.time() - started}
        print(f"{tag} estimator: {len(train_eps)} episodes ({result['estimator']['won']:.0%} won), "
              f"{history['epochs_run']} epochs, best valid loss {history['best_valid_loss']:.4f}, "
              f"valid AUC {auc:.3f}, {time.time() - started:.0f}s", flush=True)

    # ---- 2. the reward of each arm, as a wrapper on the text env (the SB3 adapters go on top)
    rewards: dict[str, Callable[[gym.Env], gym.Env]] = {
        "sparse": lambda env: env,
        "uniform": lambda env: env,  # the env's reward; UniformRewardCallback rewrites it inside PPO
        "grounding": lambda env: GroundingReward(env),
        "spa": lambda env: SPAReward(env, estimator, alpha=1.0, beta=0.0, form="per_step"),
        "spa_potential": lambda env: SPAReward(env, estimator, alpha=1.0, beta=0.0, form="potential"),
        "oracle": lambda env: OracleProgressReward(env),
    }
    encoder = HashedNgramEncoder(dim=args.feature_dim)  # shared: its cache serves every arm

    def make_env(arm: str | None = None, rank: int = 0) -> gym.Env:
        env = make_text_env(env_name, args, expert=(arm == "oracle"))
        if arm is not None:  # training: draw training tasks; evaluation resets name the task itself
            env = rewards[arm](TaskSubset(env, "train", train_ids, seed=seed * 1000 + rank))
        return make_sb3_env(env, max_actions=max_actions, encoder=encoder, overflow="error")

    class EpisodeLog(BaseCallback):
        """(env steps so far, won) of every finished training episode, from Monitor's episode info."""

        def __init__(self) -> None:
            super().__init__()
            self.episodes: list[tuple[int, bool]] = []

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.episodes.append((int(self.num_timesteps), bool(info["episode"]["won"])))
            return True

    # ---- 3. each arm: train (not random), then evaluate on the training tasks and the held-out tasks
    train_tasks = [("train", task_id) for task_id in train_ids]
    for arm in arms:
        started = time.time()
        curve: list[tuple[int, bool]] = []
        if arm == "random":
            rng = np.random.default_rng(seed)

            def act(obs: dict, mask: np.ndarray) -> int:
                return int(rng.choice(np.flatnonzero(mask)))
        else:
            venv = DummyVecEnv([lambda rank=rank: Monitor(make_env(arm, rank), info_keywords=("won",))
                                for rank in range(args.n_envs)])
            model = MaskablePPO(MaskableCandidateScoringPolicy, venv, n_steps=args.n_steps, batch_size=args.batch_size,
                                n_epochs=args.n_epochs, learning_rate=args.learning_rate, gamma=args.gamma,
                                ent_coef=args.ent_coef, seed=seed, device="cpu",
                                policy_kwargs={"features_extractor_kwargs": {"hidden_dim": args.hidden_dim}})
            log = EpisodeLog()
            callbacks = [log, UniformRewardCallback()] if arm == "uniform" else [log]
            model.learn(args.total_timesteps, callback=callbacks, progress_bar=args.progress)
            curve = log.episodes

            def act(obs: dict, mask: np.ndarray, model: Any = model) -> int:
                # Sampled, not greedy: a greedy policy in a partially observed room can loop forever.
                return int(model.predict(obs, deterministic=False, action_masks=mask)[0])
        train_seconds = time.time() - started
        torch.manual_seed(seed)  # the sampled evaluation is reproducible
        train_eval = evaluate(act, make_env, train_tasks, args.eval_episodes)
        heldout_eval = evaluate(act, make_env, held_out, args.heldout_eval_episodes)
        result["arms"][arm] = {"train": train_eval, "heldout": heldout_eval, "curve": curve,
                               "train_seconds": train_seconds, "seconds": time.time() - started}
        print(f"{tag} {arm:>13}: train-task success {train_eval['success']:.1%}, held-out {heldout_eval['success']:.1%}"
              f" (mean length {heldout_eval['mean_length']:.1f}); trained in {train_seconds:.0f}s", flush=True)
    return result


def summarise(jobs: list[dict[str, Any]], arms: list[str]) -> dict[str, Any]:
    """Pool the seeds: per arm and env, per-seed and pooled success with a Wilson interval."""
    def block(runs: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, name in (("train", "train_success"), ("heldout", "heldout_success")):
            wins = [w for run in runs for w in run[key]["wins"]]
            out[name] = float(np.mean(wins)) if wins else float("nan")
            out[f"{name}_ci95"] = list(wilson_interval(int(sum(wins)), len(wins)))
            out[f"{name}_per_seed"] = [run[key]["success"] for run in runs]
            out[f"{name}_episodes"] = len(wins)
        out["heldout_mean_length"] = float(np.mean([run["heldout"]["mean_length"] for run in runs]))
        out["train_seconds_per_seed"] = [run["train_seconds"] for run in runs]
        return out

    summary: dict[str, Any] = {}
    for arm in arms:
        runs = [job["arms"][arm] for job in jobs if arm in job["arms"]]
        summary[arm] = {**block(runs), "seeds": [job["seed"] for job in jobs if arm in job["arms"]],
                        "by_env": {env: block([job["arms"][arm] for job in jobs if job["env"] == env])
                                   for env in sorted({job["env"] for job in jobs})}}
    return summary


def plot_curves(jobs: list[dict[str, Any]], arms: list[str], summary: dict[str, Any], args: Args, path: Path) -> None:
    """Training-episode success against env steps, one panel per env, one line per arm (mean over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({job["env"] for job in jobs})
    fig, axes = plt.subplots(1, len(envs), figsize=(6.5 * len(envs), 4.2), squeeze=False)
    edges = np.arange(0, args.total_timesteps + args.curve_bin, args.curve_bin)
    for ax, env in zip(axes[0], envs):
        for arm in arms:
            if arm == "random":  # untrained: its evaluated training-task success as a flat line
                ax.axhline(summary[arm]["by_env"][env]["train_success"], color="grey", ls="--", label="random")
                continue
            per_seed = []
            for job in jobs:
                if job["env"] != env or arm not in job["arms"]:
                    continue
                steps = np.array([s for s, _ in job["arms"][arm]["curve"]], dtype=float)
                won = np.array([w for _, w in job["arms"][arm]["curve"]], dtype=float)
                bins = np.digitize(steps, edges[1:-1])
                per_seed.append([won[bins == b].mean() if (bins == b).any() else np.nan
                                 for b in range(len(edges) - 1)])
            if per_seed:
                curves = np.array(per_seed, dtype=float)
                seen = (~np.isnan(curves)).sum(axis=0)  # bins where no seed finished an episode stay empty
                mean = np.where(seen > 0, np.nansum(curves, axis=0) / np.maximum(seen, 1), np.nan)
                ax.plot(edges[1:], mean, marker=".", label=arm)
        ax.set(title=f"{env}: training episodes (random: evaluated)", xlabel="env steps", ylabel="success",
               xlim=(0, args.total_timesteps), ylim=(-0.02, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: Args | None = None) -> dict[str, Any]:
    args = args or parse_args()
    started = time.time()
    arms = [arm.strip() for arm in args.arms.split(",") if arm.strip()]
    unknown = set(arms) - set(ARMS)
    if unknown:
        raise ValueError(f"unknown arm(s) {sorted(unknown)}; choose from {', '.join(ARMS)}")
    args.arms = ",".join(arms)
    envs = list(ENVS) if args.env == "both" else [args.env]
    if set(envs) - set(ENVS):
        raise ValueError(f"--env must be alfworld, virtualhome or both, got {args.env!r}")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # ---- 1. easy tasks: training ids from the train split, held-out ids from the other splits
    tasks: dict[str, Any] = {}
    for env_name in envs:
        train_ids = easy_tasks(env_name, "train", args, limit=args.train_tasks)
        splits = ("valid", "test", "test_unseen") if env_name == "alfworld" else ("valid", "test")
        per_split = [[(split, t) for t in easy_tasks(env_name, split, args)] for split in splits]
        held_out = [pair for group in zip(*[p + [None] * (max(map(len, per_split)) - len(p)) for p in per_split])
                    for pair in group if pair is not None][: args.max_heldout_tasks]  # interleave the splits
        tasks[env_name] = {"train": train_ids, "held_out": held_out}
        print(f"{env_name}: {len(train_ids)} training tasks, {len(held_out)} held-out tasks "
              f"({time.time() - started:.0f}s)", flush=True)

    # ---- 2. every (env, seed) job: the estimator, then every arm
    jobs_args = [(args, env_name, seed, tasks[env_name]["train"], tasks[env_name]["held_out"])
                 for env_name in envs for seed in seeds]
    if args.workers > 1:
        import multiprocessing

        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            jobs = list(pool.map(run_job, *zip(*jobs_args)))
    else:
        jobs = [run_job(*job) for job in jobs_args]

    # ---- 3. pool the seeds, write the JSON and the plot, print the table
    summary = summarise(jobs, arms)
    plot_path = out / "learning_curves.png"
    plot_curves(jobs, arms, summary, args, plot_path)
    results = {"args": asdict(args), "ci_method": "95% Wilson score interval over all evaluation episodes pooled "
               "across seeds (it ignores seed-to-seed spread; see *_per_seed)",
               "arms": summary, "tasks": tasks, "learning_curve_png": str(plot_path),
               "estimators": [{"env": j["env"], "seed": j["seed"], **j.get("estimator", {})} for j in jobs],
               "runs": [{"env": j["env"], "seed": j["seed"],
                         "arms": {a: {k: v for k, v in r.items() if k != "curve"} for a, r in j["arms"].items()}}
                        for j in jobs],
               "curves": [{"env": j["env"], "seed": j["seed"], "arm": a, "episodes": r["curve"]}
                          for j in jobs for a, r in j["arms"].items()],
               "seconds": time.time() - started}
    json_path = Path(args.json) if args.json else out / "results.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")

    print(f"\n{', '.join(envs)}; seeds {seeds}; {args.train_tasks} training tasks; {args.total_timesteps} PPO steps per "
          f"arm and seed; success with sampled actions, 95% Wilson interval over pooled episodes\n")
    print("| arm | training-task success | per seed | held-out success | per seed | train time / seed |")
    print("|---|---|---|---|---|---|")
    for arm, r in summary.items():
        def cell(name: str) -> str:
            low, high = r[f"{name}_ci95"]
            return f"{r[name]:.1%} [{low:.0%}, {high:.0%}] (n={r[f'{name}_episodes']})"

        per_seed = lambda name: " / ".join(f"{v:.0%}" for v in r[f"{name}_per_seed"])  # noqa: E731
        print(f"| {arm} | {cell('train_success')} | {per_seed('train_success')} | {cell('heldout_success')} | "
              f"{per_seed('heldout_success')} | {np.mean(r['train_seconds_per_seed']):.0f} s |")
    if {"sparse", "spa_potential", "oracle"} <= set(summary):
        sparse, spa, oracle = (summary[a]["train_success"] for a in ("sparse", "spa_potential", "oracle"))
        gain = (spa - sparse) / (oracle - sparse) if oracle != sparse else float("nan")
        held = summary["spa_potential"]["heldout_success"] - summary["sparse"]["heldout_success"]
        print(f"\nspa_potential vs sparse, training tasks: {spa / sparse if sparse else float('inf'):.2f}x; "
              f"share of the oracle's gain over sparse: {gain:.0%}; held-out gain over sparse: {held:+.1%}")
    print(f"\nlearning curves: {plot_path}; results: {json_path}; {time.time() - started:.0f}s in all")
    return results


if __name__ == "__main__":
    main()
