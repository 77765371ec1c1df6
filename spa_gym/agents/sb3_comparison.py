"""Which reward teaches? MaskablePPO on a few easy ALFWorld or VirtualHome tasks, one reward per arm.

Every trained arm gets the same PPO budget, seed, features and policy (the project's SB3 path:
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
on ``mixed_outcome_episodes`` of the training tasks only (:func:`train_progress_estimator`).

Tasks (:func:`select_tasks`). ALFWorld: ``pick_and_place_simple`` in rooms with at most 10 places to go.
VirtualHome: one task type (``watch_tv`` by default; ``turn_on_light`` is too easy to tell the arms apart)
whose expert plan has at most 4 commands and whose admissible lists (at the start, along the expert plan, and
after walking to each room) stay small enough for the K action slots. Training uses the first ``train_tasks`` such tasks of the train split; held-out success
is measured on the easy tasks of the other splits (never trained on, never seen by the estimator).

Reported per arm (:func:`summarise`): training-task and held-out success (sampled actions), per seed and
pooled over seeds, with a 95% Wilson score interval over the pooled evaluation episodes (it ignores
seed-to-seed spread: read the per-seed values beside it).

``benchmarks/spa_learning.py`` is the command line over this module (several seeds, both envs, a
learning-curve PNG); ``spa-gym demo`` runs three arms on 8 ALFWorld tasks with one seed. One seed and env::

    cfg = ComparisonConfig()
    tasks = select_tasks("alfworld", cfg, cache_dir="runs/cmp")
    result = run_seed("alfworld", 0, tasks["train"], tasks["held_out"], ["sparse", "spa_potential"], cfg)
    print(markdown_table(summarise([result], ["sparse", "spa_potential"])))

The policy classes need the ``sb3`` extra (``pip install "spa-gym[sb3]"``); they are imported lazily, so this
module (tables, intervals, task selection) imports without it.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

#: Reward arms, by name (see the module docstring); names stay fixed so results stay comparable.
ARMS = ("random", "sparse", "uniform", "grounding", "spa", "spa_potential", "oracle")
#: Env families the comparison knows easy tasks of.
ENVS = ("alfworld", "virtualhome")


@dataclass
class ComparisonConfig:
    """Hyper-parameters of one comparison (``benchmarks/spa_learning.py`` makes each a flag)."""

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
    virtualhome_task_type: str = "watch_tv"
    """The one VirtualHome task type trained and evaluated (``turn_on_light`` saturates at 99-100% for every
    trained arm; on ``watch_tv`` sparse finds no reward at the default budget: benchmarks/RESULTS.md)."""
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
    estimator_objective: str = "hindsight"
    """Training objective of the progress estimator (one of spa_gym.progress.training.OBJECTIVES; ``hindsight``,
    the step-level default, measured in benchmarks/RESULTS.md against ``uniform_prefix``)."""
    estimator_per_task: int = 24
    """Estimator training episodes per training task (mixed outcomes, varied lengths); a quarter as many
    more, with other seeds, validate."""
    estimator_min_steps: int = 4
    """Shortest step cap of an estimator episode (caps are drawn up to ``max_steps``)."""
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
    progress: bool = False
    """Show progress bars."""


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


# ------------------------------------------------------------------------------------------------ tasks
def make_text_env(env_name: str, cfg: ComparisonConfig, expert: bool = False, max_steps: int | None = None) -> gym.Env:
    """The bare text env of ``env_name`` (train split by default; reset options pick the task)."""
    from spa_gym.envs.alfworld import AlfWorldEnv
    from spa_gym.envs.virtualhome import VirtualHomeEnv

    if env_name not in ENVS:
        raise ValueError(f"env must be one of {', '.join(ENVS)}, got {env_name!r}")
    cls = {"alfworld": AlfWorldEnv, "virtualhome": VirtualHomeEnv}[env_name]
    return cls(split="train", expert=expert, max_steps=max_steps or cfg.max_steps)


def is_easy(env_name: str, env: gym.Env, info: dict, cfg: ComparisonConfig) -> bool:
    """The easy-task rule of each env (see the module docstring); ``env`` was just reset onto the task."""
    commands = info["admissible_commands"]
    if env_name == "alfworld":
        return (info["task_type"] == cfg.alfworld_task_type
                and sum(c.startswith("go to ") for c in commands) <= cfg.alfworld_max_receptacles)
    if info["task_type"] != cfg.virtualhome_task_type:
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
    while not info["won"] and plan <= cfg.virtualhome_max_plan and info.get("expert_action"):
        info = env.step(info["expert_action"])[4]
        plan, largest = plan + 1, max(largest, len(info["admissible_commands"]))
    return info["won"] and plan <= cfg.virtualhome_max_plan and largest <= cfg.virtualhome_max_admissible


def easy_tasks(env_name: str, split: str, cfg: ComparisonConfig, limit: int | None = None,
               cache_dir: str | os.PathLike | None = None) -> list[int]:
    """The first ``limit`` easy task ids of ``split`` (all with None), cached under ``cache_dir/tasks``."""
    key = (cfg.alfworld_task_type, cfg.alfworld_max_receptacles) if env_name == "alfworld" else (
        cfg.virtualhome_task_type, cfg.virtualhome_max_plan, cfg.virtualhome_max_admissible)
    cache = None if cache_dir is None else (
        Path(cache_dir) / "tasks" / f"{env_name}-{split}-{'-'.join(map(str, key))}-{limit}.json")
    if cache is not None and cache.is_file():
        return json.loads(cache.read_text())
    env = make_text_env(env_name, cfg, expert=True, max_steps=10_000)
    chosen = []
    for task_id in range(env.unwrapped.task_set.size(split)):
        _, info = env.reset(seed=0, options={"split": split, "task_id": task_id})
        if is_easy(env_name, env, info, cfg):
            chosen.append(task_id)
            if limit is not None and len(chosen) >= limit:
                break
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(chosen) + "\n")
    return chosen


def select_tasks(env_name: str, cfg: ComparisonConfig,
                 cache_dir: str | os.PathLike | None = None) -> dict[str, list]:
    """``{"train": [task ids], "held_out": [(split, task id), ...]}``: the first ``cfg.train_tasks`` easy
    training tasks, and at most ``cfg.max_heldout_tasks`` easy tasks of the other splits, taken in turn."""
    train_ids = easy_tasks(env_name, "train", cfg, limit=cfg.train_tasks, cache_dir=cache_dir)
    splits = ("valid", "test", "test_unseen") if env_name == "alfworld" else ("valid", "test")
    # No split gives more than max_heldout_tasks: scanning stops there (the rest would be cut anyway).
    per_split = [[(split, t) for t in easy_tasks(env_name, split, cfg, cfg.max_heldout_tasks, cache_dir)]
                 for split in splits]
    longest = max(map(len, per_split))
    held_out = [pair for group in zip(*[p + [None] * (longest - len(p)) for p in per_split])
                for pair in group if pair is not None][: cfg.max_heldout_tasks]  # interleave the splits
    return {"train": train_ids, "held_out": held_out}


# ------------------------------------------------------------------------------------------- estimator
def train_progress_estimator(env_name: str, train_ids: Sequence[int], cfg: ComparisonConfig,
                             seed: int) -> tuple[Any, dict[str, Any]]:
    """The default step-level estimator trained on mixed-outcome episodes of the training tasks.

    Returns the estimator (in eval mode) and its statistics: episode counts, share won, best validation
    loss, epochs run, ``valid_auc`` (do the predicted totals separate won from lost validation episodes?)
    and seconds.
    """
    from spa_gym.progress import ProgressEstimator
    from spa_gym.progress.recipes import mixed_outcome_episodes
    from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator

    started = time.time()
    expert_env = make_text_env(env_name, cfg, expert=True, max_steps=10_000)  # the recipe's caps end episodes
    common = dict(split="train", min_steps=cfg.estimator_min_steps, max_steps=cfg.max_steps, progress=False)
    train_eps = mixed_outcome_episodes(expert_env, train_ids, per_task=cfg.estimator_per_task, seed=seed, **common)
    valid_eps = mixed_outcome_episodes(expert_env, train_ids, per_task=max(2, cfg.estimator_per_task // 4),
                                       seed=seed + 10**6, **common)
    estimator = ProgressEstimator.default(seed=seed, device="cpu")
    config = EstimatorTrainingConfig(objective=cfg.estimator_objective, learning_rate=cfg.estimator_learning_rate,
                                     weight_decay=cfg.estimator_weight_decay, epochs=cfg.estimator_epochs,
                                     batch_size=cfg.estimator_batch_size, patience=cfg.estimator_patience,
                                     seed=seed, progress=cfg.progress)
    history = train_estimator(estimator, train_eps, valid_eps, config)
    estimator.eval()
    totals = np.array([c.sum() for c in estimator.score_episodes(valid_eps)])
    won = np.array([ep.won for ep in valid_eps])
    auc = float(np.mean([(w > l) + 0.5 * (w == l) for w in totals[won] for l in totals[~won]])) \
        if won.any() and (~won).any() else float("nan")
    stats = {"train_episodes": len(train_eps), "valid_episodes": len(valid_eps),
             "won": float(np.mean([ep.won for ep in train_eps])),
             "best_valid_loss": float(history["best_valid_loss"]), "epochs_run": history["epochs_run"],
             "valid_auc": auc, "seconds": time.time() - started}
    return estimator, stats


# ------------------------------------------------------------------------------------------------ arms
def arm_reward(arm: str, estimator: Any = None) -> Callable[[gym.Env], gym.Env]:
    """The reward of ``arm`` as a wrapper on the text env (the SB3 adapters go on top)."""
    from spa_gym.wrappers import GroundingReward, OracleProgressReward, SPAReward

    if arm in ("spa", "spa_potential") and estimator is None:
        raise ValueError(f"arm {arm!r} needs a progress estimator")
    rewards: dict[str, Callable[[gym.Env], gym.Env]] = {
        "sparse": lambda env: env,
        "uniform": lambda env: env,  # the env's reward; UniformRewardCallback rewrites it inside PPO
        "grounding": lambda env: GroundingReward(env),
        "spa": lambda env: SPAReward(env, estimator, alpha=1.0, beta=0.0, form="per_step"),
        "spa_potential": lambda env: SPAReward(env, estimator, alpha=1.0, beta=0.0, form="potential"),
        "oracle": lambda env: OracleProgressReward(env),
    }
    if arm not in rewards:
        raise ValueError(f"no reward for arm {arm!r}; choose from {', '.join(rewards)}")
    return rewards[arm]


def make_arm_env(env_name: str, cfg: ComparisonConfig, encoder: Any, arm: str | None = None,
                 train_ids: Sequence[int] = (), seed: int = 0, rank: int = 0, estimator: Any = None) -> gym.Env:
    """The SB3 env of one arm. With ``arm``: training, resets draw the training tasks and the arm's reward
    applies; without: evaluation, each reset names its task."""
    from spa_gym.wrappers.sb3 import make_sb3_env

    env = make_text_env(env_name, cfg, expert=(arm == "oracle"))
    if arm is not None:
        env = arm_reward(arm, estimator)(TaskSubset(env, "train", list(train_ids), seed=seed * 1000 + rank))
    max_actions = cfg.alfworld_max_actions if env_name == "alfworld" else cfg.virtualhome_max_actions
    return make_sb3_env(env, max_actions=max_actions, encoder=encoder, overflow="error")


def train_arm(arm: str, env_name: str, cfg: ComparisonConfig, seed: int, train_ids: Sequence[int],
              encoder: Any, estimator: Any = None) -> tuple[Any, list[tuple[int, bool]]]:
    """MaskablePPO on the training tasks with ``arm``'s reward; returns the model and the learning curve:
    (env steps so far, won) of every finished training episode, from ``Monitor``'s ``info["won"]``."""
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy, UniformRewardCallback

    class EpisodeLog(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.episodes: list[tuple[int, bool]] = []

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.episodes.append((int(self.num_timesteps), bool(info["episode"]["won"])))
            return True

    venv = DummyVecEnv([lambda rank=rank: Monitor(make_arm_env(env_name, cfg, encoder, arm, train_ids, seed, rank,
                                                               estimator), info_keywords=("won",))
                        for rank in range(cfg.n_envs)])
    model = MaskablePPO(MaskableCandidateScoringPolicy, venv, n_steps=cfg.n_steps, batch_size=cfg.batch_size,
                        n_epochs=cfg.n_epochs, learning_rate=cfg.learning_rate, gamma=cfg.gamma,
                        ent_coef=cfg.ent_coef, seed=seed, device="cpu",
                        policy_kwargs={"features_extractor_kwargs": {"hidden_dim": cfg.hidden_dim}})
    log = EpisodeLog()
    callbacks = [log, UniformRewardCallback()] if arm == "uniform" else [log]
    model.learn(cfg.total_timesteps, callback=callbacks, progress_bar=cfg.progress)
    return model, log.episodes


def evaluate(act: Callable[[dict, np.ndarray], int], make_env: Callable[[], gym.Env],
             tasks: Sequence[tuple[str, int]], episodes: int) -> dict[str, Any]:
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


def run_arm(arm: str, env_name: str, cfg: ComparisonConfig, seed: int, train_ids: Sequence[int],
            held_out: Sequence[tuple[str, int]], encoder: Any, estimator: Any = None) -> dict[str, Any]:
    """Train ``arm`` (not ``random``), then evaluate it on the training tasks and the held-out tasks.

    Returns ``{"train": ..., "heldout": ...}`` (each :func:`evaluate`'s dict), ``curve``, ``train_seconds``
    and ``seconds``. The evaluation's sampling is seeded, so the numbers only depend on the arguments.
    """
    started = time.time()
    curve: list[tuple[int, bool]] = []
    if arm == "random":
        rng = np.random.default_rng(seed)

        def act(obs: dict, mask: np.ndarray) -> int:
            return int(rng.choice(np.flatnonzero(mask)))
    else:
        model, curve = train_arm(arm, env_name, cfg, seed, train_ids, encoder, estimator)

        def act(obs: dict, mask: np.ndarray, model: Any = model) -> int:
            # Sampled, not greedy: a greedy policy in a partially observed room can loop forever.
            return int(model.predict(obs, deterministic=False, action_masks=mask)[0])
    train_seconds = time.time() - started
    torch.manual_seed(seed)  # the sampled evaluation is reproducible
    make_env = lambda: make_arm_env(env_name, cfg, encoder)  # noqa: E731
    train_eval = evaluate(act, make_env, [("train", task_id) for task_id in train_ids], cfg.eval_episodes)
    heldout_eval = evaluate(act, make_env, list(held_out), cfg.heldout_eval_episodes)
    return {"train": train_eval, "heldout": heldout_eval, "curve": curve, "train_seconds": train_seconds,
            "seconds": time.time() - started}


def run_seed(env_name: str, seed: int, train_ids: Sequence[int], held_out: Sequence[tuple[str, int]],
             arms: Sequence[str], cfg: ComparisonConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train the estimator (when a spa arm needs it), then train and evaluate every arm, for one env and seed.

    Returns ``{"env", "seed", "arms": {arm: run_arm's dict}, "estimator": stats}`` (no ``estimator`` key when
    no spa arm ran). Runs with one torch thread (small networks: fastest, and it leaves the other cores
    free); the caller's thread count is put back.
    """
    from spa_gym.wrappers.text_features import HashedNgramEncoder

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result: dict[str, Any] = {"env": env_name, "seed": seed, "arms": {}}
        tag = f"[{env_name} seed {seed}]"
        estimator = None
        if {"spa", "spa_potential"} & set(arms):
            estimator, stats = train_progress_estimator(env_name, train_ids, cfg, seed)
            result["estimator"] = stats
            log(f"{tag} estimator: {stats['train_episodes']} episodes ({stats['won']:.0%} won), "
                f"{stats['epochs_run']} epochs, best valid loss {stats['best_valid_loss']:.4f}, "
                f"valid AUC {stats['valid_auc']:.3f}, {stats['seconds']:.0f}s")
        encoder = HashedNgramEncoder(dim=cfg.feature_dim)  # shared: its cache serves every arm
        for arm in arms:
            run = run_arm(arm, env_name, cfg, seed, train_ids, held_out, encoder, estimator)
            result["arms"][arm] = run
            log(f"{tag} {arm:>13}: {arm_summary_line(run)}")
        return result
    finally:
        torch.set_num_threads(threads)


def run_seed_in_folder(env_name: str, seed: int, arms: Sequence[str], cfg: ComparisonConfig,
                       out_dir: str | os.PathLike, log: Callable[[str], None] = print,
                       stage: Callable[[str], Callable[[], None]] | None = None) -> tuple[dict[str, Any], Any]:
    """:func:`run_seed` on :func:`select_tasks`'s tasks, resumable: the task lists, the estimator
    (``estimator/``, always trained: the caller may want it) and each arm's result (``arms/<arm>.json``) are
    kept under ``out_dir`` and reused, so a killed run loses at most the arm in progress. Each arm's numbers
    only depend on its arguments, so a resumed run reports what an uninterrupted one would.

    ``stage(name)`` (optional) is called before each piece of work and returns a function called after it
    (the demo times its stages with it). Returns ``(result, estimator)``: ``result`` is :func:`run_seed`'s
    dict plus ``tasks``.
    """
    from spa_gym.core.files import write_text_atomic
    from spa_gym.progress import ProgressEstimator
    from spa_gym.wrappers.text_features import HashedNgramEncoder

    out = Path(out_dir)
    tag = f"    {env_name} seed {seed}"  # no [brackets]: a rich console would read them as markup
    begin = stage or (lambda name: (lambda: None))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tasks = select_tasks(env_name, cfg, cache_dir=out)
        est_dir, stats_file = out / "estimator", out / "estimator_stats.json"
        if (est_dir / "estimator.json").is_file() and stats_file.is_file():
            estimator, stats = ProgressEstimator.load(est_dir, device="cpu").eval(), json.loads(stats_file.read_text())
        else:
            done = begin(f"SB3 comparison: progress estimator on {len(tasks['train'])} {env_name} tasks")
            estimator, stats = train_progress_estimator(env_name, tasks["train"], cfg, seed)
            estimator.save(est_dir)
            write_text_atomic(stats_file, json.dumps(stats, indent=1))
            done()
            log(f"{tag} estimator: {stats['train_episodes']} episodes ({stats['won']:.0%} won), "
                f"{stats['epochs_run']} epochs, valid AUC {stats['valid_auc']:.3f}, {stats['seconds']:.0f}s")
        result: dict[str, Any] = {"env": env_name, "seed": seed, "tasks": tasks, "estimator": stats, "arms": {}}
        encoder = HashedNgramEncoder(dim=cfg.feature_dim)
        for arm in arms:
            arm_file = out / "arms" / f"{arm}.json"
            if not arm_file.is_file():
                done = begin(f"SB3 comparison: {arm} ({cfg.total_timesteps} PPO steps)")
                run = run_arm(arm, env_name, cfg, seed, tasks["train"], tasks["held_out"], encoder, estimator)
                arm_file.parent.mkdir(parents=True, exist_ok=True)
                write_text_atomic(arm_file, json.dumps(run))
                done()
                log(f"{tag} {arm:>13}: {arm_summary_line(run)}")
            result["arms"][arm] = json.loads(arm_file.read_text())
        return result, estimator
    finally:
        torch.set_num_threads(threads)


def arm_summary_line(run: dict[str, Any]) -> str:
    """One line on a finished arm: success on both task sets, held-out episode length, training time."""
    train, heldout = run["train"], run["heldout"]
    return (f"train-task success {train['success']:.1%}, held-out {heldout['success']:.1%}"
            f" (mean length {heldout['mean_length']:.1f}); trained in {run['train_seconds']:.0f}s")


# --------------------------------------------------------------------------------------------- results
def wilson_interval(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a success fraction ``wins / n``.

    >>> [round(x, 3) for x in wilson_interval(8, 10)]
    [0.49, 0.943]
    """
    if n == 0:
        return (0.0, 1.0)
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def success_cell(wins: int, n: int) -> str:
    """A pooled success count as a table cell: rate, ``(wins/n)`` and the 95% Wilson interval.

    >>> success_cell(8, 10)
    '80.0% (8/10) [49%, 94%]'
    """
    low, high = wilson_interval(wins, n)
    return f"{wins / max(n, 1):.1%} ({wins}/{n}) [{low:.0%}, {high:.0%}]"


def summarise(jobs: Sequence[dict[str, Any]], arms: Sequence[str]) -> dict[str, Any]:
    """Pool the seeds of :func:`run_seed` results: per arm and env, per-seed and pooled success with a
    Wilson interval (``train_success``, ``train_success_ci95``, ``train_success_per_seed``, ..., ``by_env``)."""
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


def markdown_table(summary: dict[str, Any]) -> str:
    """The comparison table of :func:`summarise`'s result, one row per arm."""
    lines = ["| arm | training-task success | per seed | held-out success | per seed | train time / seed |",
             "|---|---|---|---|---|---|"]
    for arm, r in summary.items():
        def cell(name: str) -> str:
            low, high = r[f"{name}_ci95"]
            return f"{r[name]:.1%} [{low:.0%}, {high:.0%}] (n={r[f'{name}_episodes']})"

        per_seed = lambda name: " / ".join(f"{v:.0%}" for v in r[f"{name}_per_seed"])  # noqa: E731
        lines.append(f"| {arm} | {cell('train_success')} | {per_seed('train_success')} | "
                     f"{cell('heldout_success')} | {per_seed('heldout_success')} | "
                     f"{np.mean(r['train_seconds_per_seed']):.0f} s |")
    return "\n".join(lines)


def headline(summary: dict[str, Any]) -> str | None:
    """spa_potential against sparse and oracle in one sentence (None unless all three arms ran)."""
    if not {"sparse", "spa_potential", "oracle"} <= set(summary):
        return None
    sparse, spa, oracle = (summary[a]["train_success"] for a in ("sparse", "spa_potential", "oracle"))
    ratio = f"{spa / sparse:.2f}x" if sparse else f"{spa:.1%} vs 0%"
    share = f"{(spa - sparse) / (oracle - sparse):.0%}" if oracle != sparse else "undefined (oracle = sparse)"
    held = summary["spa_potential"]["heldout_success"] - summary["sparse"]["heldout_success"]
    return (f"spa_potential vs sparse, training tasks: {ratio}; "
            f"share of the oracle's gain over sparse: {share}; held-out gain over sparse: {held:+.1%}")


__all__ = ["ARMS", "ENVS", "ComparisonConfig", "TaskSubset", "arm_reward", "arm_summary_line", "easy_tasks",
           "evaluate", "headline", "is_easy", "make_arm_env", "make_text_env", "markdown_table", "run_arm",
           "run_seed", "run_seed_in_folder", "select_tasks", "success_cell", "summarise", "train_arm",
           "train_progress_estimator", "wilson_interval"]
