"""MaskablePPO (sb3-contrib) on easy ALFWorld tasks: sparse reward vs SPA reward vs a random policy.

Easy tasks: one task type (``pick_and_place_simple`` by default) in small rooms (at most
``max_receptacles`` places to go to). Training uses such tasks from the train split; the success rate is
measured on such tasks from the held-out splits (valid, test, test_unseen), never seen in training.

Arms, each with the same PPO budget, seed, features and policy:

* ``random``: a uniformly random admissible command every step (no training);
* ``sparse``: ALFWorld's own reward, 1.0 on success;
* ``spa``: SPA's dense reward from a progress estimator, itself first trained (``train_estimator``) on
  noisy-expert and random episodes of the training tasks;
* ``spa_final``: the same plus the env's own final reward (``SPAReward(add_final_reward=True)``).

Run (9 minutes on 2 CPU cores shared with other jobs, see benchmarks/RESULTS.md)::

    nice -n 10 python benchmarks/sb3_learning.py --out runs/sb3_learning --no-progress

The script reads top to bottom: pick tasks, (train the estimator), train each arm, evaluate, print a table.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np
import torch


@dataclass
class Args:
    """Hyper-parameters of the benchmark (every one is a command-line flag)."""

    total_timesteps: int = 12_288
    """PPO environment steps per trained arm."""
    task_type: str = "pick_and_place_simple"
    """The one ALFWorld task type trained and evaluated."""
    max_receptacles: int = 10
    """Small scenes: at most this many ``go to`` targets in the room."""
    max_train_tasks: int = 64
    """Training tasks used (the first that qualify in the train split)."""
    max_steps: int = 30
    """Episode step limit (ALFWorld's default is 40; small rooms need fewer)."""
    max_actions: int = 48
    """Action slots K (the largest admissible set in these rooms is below it; overflow would warn)."""
    feature_dim: int = 256
    """Hashed n-gram feature size."""
    hidden_dim: int = 64
    """Width of the candidate-scoring extractor."""
    n_envs: int = 4
    """Parallel envs (one process; batching the policy's forward pass is what saves time)."""
    n_steps: int = 128
    """PPO rollout length per env."""
    batch_size: int = 128
    """PPO minibatch size."""
    n_epochs: int = 4
    """PPO epochs per rollout."""
    learning_rate: float = 1e-3
    """Adam learning rate."""
    gamma: float = 0.97
    """Discount (episodes are short)."""
    ent_coef: float = 0.01
    """Entropy bonus."""
    estimator: str = ""
    """A saved estimator folder to use instead of training one (empty: train it here)."""
    estimator_size: str = "tiny"
    """Size of the default progress estimator (``tiny`` or ``small``)."""
    estimator_episodes: int = 128
    """Episodes of the training tasks that train the estimator, half noisy-expert, half random (a fifth
    held out for validation)."""
    estimator_epsilon: float = 0.5
    """Random-action probability of the noisy expert (mixes successes and failures)."""
    estimator_random_fraction: float = 0.5
    """Share of the estimator's episodes played by a random policy (the rest by the noisy expert)."""
    estimator_epochs: int = 6
    """Estimator training epochs (the weights of the best validation epoch are kept)."""
    estimator_learning_rate: float = 1e-4
    """Estimator learning rate (3e-4 and above made the validation loss jump on this data)."""
    spa_alpha: float = 1.0
    """SPA weight of the progress contribution."""
    spa_beta: float = 0.0
    """SPA weight of the grounding signal. 0 here: the masked policy only picks admissible commands, so the
    grounding signal would be a constant bonus per step, which only rewards making episodes longer."""
    eval_episodes: int = 3
    """Episodes per held-out task (sampled actions, seeds 0..n-1)."""
    arms: str = "random,sparse,spa,spa_final"
    """Comma-separated arms to run."""
    seed: int = 0
    """Seed of PPO, task sampling and the estimator."""
    out: str = "runs/sb3_learning"
    """Folder for results.json and the trained estimator."""
    progress: bool = True
    """Show progress bars."""


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for field in fields(Args):
        default = getattr(Args, field.name)
        if isinstance(default, bool):
            parser.add_argument(f"--{field.name.replace('_', '-')}", action=argparse.BooleanOptionalAction,
                                default=default)
        else:
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(default), default=default)
    return Args(**vars(parser.parse_args()))


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


def easy_tasks(split: str, args: Args) -> list[int]:
    """Task ids of ``split`` with the chosen type and at most ``max_receptacles`` places (cached per version)."""
    from spa_gym.envs.alfworld import AlfWorldEnv
    from spa_gym.envs.alfworld.splits import VERSION

    cache = Path(args.out) / f"tasks-{VERSION}-{split}-{args.task_type}-{args.max_receptacles}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    env = AlfWorldEnv(split=split)
    chosen = []
    for task_id in range(env.task_set.size(split)):
        _, info = env.reset(options={"task_id": task_id})
        places = sum(command.startswith("go to ") for command in info["admissible_commands"])
        if info["task_type"] == args.task_type and places <= args.max_receptacles:
            chosen.append(task_id)
    cache.write_text(json.dumps(chosen) + "\n")
    return chosen


def evaluate(act: Callable[[dict, np.ndarray], int], make_env: Callable[[], gym.Env],
             tasks: list[tuple[str, int]], episodes: int) -> dict[str, float]:
    """Success rate and mean episode length of ``act(obs, mask) -> slot`` over ``tasks`` x ``episodes`` seeds."""
    env = make_env()
    wins, lengths = [], []
    for split, task_id in tasks:
        for seed in range(episodes):
            obs, info = env.reset(seed=seed, options={"split": split, "task_id": task_id})
            done = False
            while not done:
                obs, _, terminated, truncated, info = env.step(act(obs, env.get_wrapper_attr("action_masks")()))
                done = terminated or truncated
            wins.append(info["won"])
            lengths.append(info["step"])
    return {"success": float(np.mean(wins)), "episodes": len(wins), "mean_length": float(np.mean(lengths))}


def position_check(estimator: Any, train_ids: list[int], args: Args, n: int = 16) -> dict[str, Any]:
    """Does the estimator tell good steps from bad ones, or only early steps from late ones?

    Scores ``n`` expert and ``n`` random episodes of the training tasks and returns the mean contribution
    at steps 1-4 of each: similar rows mean the estimator has learned the step position, not progress.
    """
    from spa_gym.envs.alfworld import AlfWorldEnv
    from spa_gym.progress import NoisyExpertPolicy, RandomPolicy, collect_episodes

    env = AlfWorldEnv(split="train", max_steps=args.max_steps, expert=True)
    check: dict[str, Any] = {}
    for name, policy, seed in (("expert", NoisyExpertPolicy(0.0), 1000), ("random", RandomPolicy(), 2000)):
        episodes = collect_episodes(env, policy, n, seed=seed, split="train", task_ids=train_ids[:n], progress=False)
        scores = estimator.score_episodes(episodes)
        check[name] = {"won": float(np.mean([e.won for e in episodes])),
                       "mean_length": float(np.mean([len(e) for e in episodes])),
                       "mean_sum": float(np.mean([c.sum() for c in scores])),
                       "mean_contribution_steps_1_4": np.mean([c[:4] for c in scores if len(c) >= 4], 0).tolist()}
        print(f"estimator on {n} {name} episodes: {check[name]['won']:.0%} won, length "
              f"{check[name]['mean_length']:.1f}, sum {check[name]['mean_sum']:.2f}, mean contribution at steps 1-4 "
              f"{np.round(check[name]['mean_contribution_steps_1_4'], 3).tolist()}")
    return check


def main(args: Args) -> dict[str, Any]:
    import spa_gym  # noqa: F401  (registers the envs)
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from spa_gym.envs.alfworld import AlfWorldEnv
    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy, make_sb3_env
    from spa_gym.wrappers.text_features import HashedNgramEncoder

    torch.set_num_threads(1)  # small networks: one thread is fastest and leaves the other core free
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arms = [arm.strip() for arm in args.arms.split(",") if arm.strip()]  # "" with --estimator: only the check
    unknown = set(arms) - {"random", "sparse", "spa", "spa_final"}
    if unknown:
        raise ValueError(f"unknown arm(s) {sorted(unknown)}; choose from random, sparse, spa, spa_final")
    results: dict[str, Any] = {"args": asdict(args), "arms": {}}

    # ---- 1. easy tasks: train ids from the train split, held-out ids from the other splits
    started = time.time()
    train_ids = easy_tasks("train", args)[: args.max_train_tasks]
    held_out = [(split, task_id) for split in ("valid", "test", "test_unseen") for task_id in easy_tasks(split, args)]
    results["tasks"] = {"train": train_ids, "held_out": held_out}
    print(f"{len(train_ids)} training tasks, {len(held_out)} held-out tasks "
          f"({args.task_type}, <= {args.max_receptacles} places), chosen in {time.time() - started:.0f}s")
    train_tasks = [("train", task_id) for task_id in train_ids]

    encoder = HashedNgramEncoder(dim=args.feature_dim)  # shared: its cache serves every arm

    def make_env(reward_wrapper: Callable[[gym.Env], gym.Env] | None = None, subset: bool = False,
                 rank: int = 0) -> gym.Env:
        env: gym.Env = AlfWorldEnv(split="train", max_steps=args.max_steps)
        if subset:
            env = TaskSubset(env, "train", train_ids, seed=args.seed + rank)
        if reward_wrapper is not None:
            env = reward_wrapper(env)  # SPA sits on the text env, below the SB3 adapters
        return make_sb3_env(env, max_actions=args.max_actions, encoder=encoder, overflow="error")

    # ---- 2. the SPA reward: train the progress estimator on episodes of the training tasks
    reward_wrappers: dict[str, Callable[[gym.Env], gym.Env] | None] = {"sparse": None}
    wants_spa = "spa" in arms or "spa_final" in arms
    if args.estimator:
        from spa_gym.progress import ProgressEstimator
        from spa_gym.wrappers import SPAReward

        estimator = ProgressEstimator.load(args.estimator, device="cpu").eval()
    elif wants_spa:
        from spa_gym.progress import NoisyExpertPolicy, ProgressEstimator, RandomPolicy, collect_episodes
        from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator
        from spa_gym.wrappers import SPAReward

        started = time.time()
        # Noisy-expert episodes (mostly won) and random ones (mostly lost): the estimator learns from the
        # contrast which steps precede success.
        rng = np.random.default_rng(args.seed)
        n_random = int(round(args.estimator_episodes * args.estimator_random_fraction))
        n_expert = args.estimator_episodes - n_random
        ids = rng.choice(train_ids, size=args.estimator_episodes).tolist()
        expert_env = AlfWorldEnv(split="train", max_steps=args.max_steps, expert=True)
        episodes = (collect_episodes(expert_env, NoisyExpertPolicy(args.estimator_epsilon), n_expert, seed=args.seed,
                                     split="train", task_ids=ids[:n_expert], progress=False)
                    + collect_episodes(expert_env, RandomPolicy(), n_random, seed=args.seed + n_expert, split="train",
                                       task_ids=ids[n_expert:], progress=False))
        episodes = [episodes[i] for i in rng.permutation(len(episodes))]
        n_valid = max(1, len(episodes) // 5)
        estimator = ProgressEstimator.default(size=args.estimator_size, seed=args.seed, device="cpu")
        config = EstimatorTrainingConfig(epochs=args.estimator_epochs, learning_rate=args.estimator_learning_rate,
                                         patience=0, progress=args.progress)
        history = train_estimator(estimator, episodes[n_valid:], episodes[:n_valid], config)
        estimator.save(out / "estimator")
        estimator.eval()
        results["estimator"] = {"episodes": len(episodes), "won": float(np.mean([e.won for e in episodes])),
                                "valid_loss": history["valid_loss"], "seconds": time.time() - started}
        print(f"estimator: {len(episodes)} episodes ({results['estimator']['won']:.0%} won), "
              f"valid loss {history['valid_loss'][0]:.3f} -> {min(history['valid_loss']):.3f}, "
              f"{time.time() - started:.0f}s")

    if wants_spa or args.estimator:
        results["estimator_check"] = position_check(estimator, train_ids, args)

        def spa_reward(env: gym.Env, add_final_reward: bool = False) -> gym.Env:
            return SPAReward(env, estimator, alpha=args.spa_alpha, beta=args.spa_beta,
                             add_final_reward=add_final_reward)

        reward_wrappers["spa"] = spa_reward
        reward_wrappers["spa_final"] = lambda env: spa_reward(env, add_final_reward=True)

    # ---- 3. each arm: train (not the random one), then evaluate on training and held-out tasks
    for arm in arms:
        started = time.time()
        if arm == "random":
            rng = np.random.default_rng(args.seed)

            def act(obs: dict, mask: np.ndarray) -> int:
                return int(rng.choice(np.flatnonzero(mask)))
        else:
            env = DummyVecEnv([lambda rank=rank: Monitor(make_env(reward_wrappers[arm], subset=True, rank=rank))
                               for rank in range(args.n_envs)])
            model = MaskablePPO(MaskableCandidateScoringPolicy, env, n_steps=args.n_steps, batch_size=args.batch_size,
                                n_epochs=args.n_epochs, learning_rate=args.learning_rate, gamma=args.gamma,
                                ent_coef=args.ent_coef, seed=args.seed, device="cpu",
                                policy_kwargs={"features_extractor_kwargs": {"hidden_dim": args.hidden_dim}})
            model.learn(args.total_timesteps, progress_bar=args.progress)
            model.save(out / f"maskable_ppo_{arm}")

            def act(obs: dict, mask: np.ndarray, model: Any = model) -> int:
                # Sampled, not greedy: a greedy policy on a partially observed room can loop forever.
                return int(model.predict(obs, deterministic=False, action_masks=mask)[0])
        train_seconds = time.time() - started
        torch.manual_seed(args.seed)  # the sampled evaluation is reproducible
        results["arms"][arm] = {
            "train_seconds": train_seconds,
            "held_out": evaluate(act, make_env, held_out, args.eval_episodes),
            "train_tasks": evaluate(act, make_env, train_tasks[:32], 1),
        }
        r = results["arms"][arm]
        print(f"{arm:>6}: held-out success {r['held_out']['success']:.1%} ({r['held_out']['episodes']} episodes, "
              f"mean length {r['held_out']['mean_length']:.1f}), training-task success "
              f"{r['train_tasks']['success']:.1%}; trained in {train_seconds:.0f}s")

    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n| arm | held-out success | mean episode length | training-task success | training time |")
    print("|---|---|---|---|---|")
    for arm, r in results["arms"].items():
        print(f"| {arm} | {r['held_out']['success']:.1%} ({r['held_out']['episodes']} ep.) | "
              f"{r['held_out']['mean_length']:.1f} | {r['train_tasks']['success']:.1%} | {r['train_seconds']:.0f} s |")
    return results


if __name__ == "__main__":
    main(parse_args())
