"""Rollouts on Ray workers vs in-process vector envs, side by side (spa_gym.distributed, issue 13).

The same work in every row: ``--envs`` ALFWorld envs played at once by a uniformly random admissible-command
policy (so the policy costs nothing and what is timed is stepping, transport and scoring), on training tasks.

* ``in-process list of envs``: the envs stepped one after the other in the benchmark's process (what a worker
  does, with no transport); ``+ SPA``: each env wrapped in ``SPAReward`` (the offline step-level estimator,
  one scoring call per step). Every ratio is to this row of its half of the table.
* ``in-process vector env``: one ``gymnasium.vector.SyncVectorEnv`` of the envs; ``+ SPA``: wrapped in
  ``SPARewardVector`` (one batched scoring call per vector step).
* ``ray, W workers``: :class:`~spa_gym.distributed.RayRollouts` with the envs spread over W worker actors
  (one ``run`` call per worker per round); ``+ SPA``: every step also scored on the shared estimator actor
  (:func:`~spa_gym.distributed.start_estimator`, CPU), one batch per round.

Prints env steps per second, wall microseconds per step, the ratio to the in-process list, the CPU time per
step of the benchmark's own process (for Ray rows: the driver alone, what bounds one driver's throughput;
unlike wall time it does not grow with other work on the box), where the Ray driver's wall time went
(waiting for the workers' round trips, waiting for scores), the estimator's batches, the estimator alone, and
the bytes one step's answer carries from a worker (pickled). Each row is the fastest of ``--repeats`` runs
(the one other work on the box disturbed least), after one warm-up run (actor start and task generation not
timed).

    nice -n 15 python benchmarks/ray_rollouts.py --envs 16 --episodes 48 --repeats 3
"""

from __future__ import annotations

import argparse
import functools
import os
import pickle
import platform
import time

import gymnasium as gym
import numpy as np

import spa_gym  # noqa: F401  (registers the ids)

ENV_ID = "SPA-ALFWorld-v0"


def in_process(n_envs: int, steps: int, estimator, seed: int = 0) -> tuple[float, float, int]:
    """Wall and CPU seconds for ``steps`` env steps of a SyncVectorEnv with a random admissible-command policy."""
    from spa_gym.wrappers import SPARewardVector

    envs = gym.vector.SyncVectorEnv([lambda: gym.make(ENV_ID) for _ in range(n_envs)])
    if estimator is not None:
        envs = SPARewardVector(envs, estimator)
    rng = np.random.default_rng(seed)
    _, info = envs.reset(seed=seed)
    done, n = np.zeros(n_envs, bool), 0
    t0, c0 = time.perf_counter(), time.process_time()
    while n < steps:
        actions = [str(c[rng.integers(len(c))]) for c in info["admissible_commands"]]
        _, _, terminated, truncated, info = envs.step(actions)
        n += int((~done).sum())  # NEXT_STEP autoreset: a done env's next call is its reset, not a step
        done = np.logical_or(terminated, truncated)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    envs.close()
    return seconds, cpu, n


def plain_loop(n_envs: int, steps: int, estimator, seed: int = 0) -> tuple[float, float, int]:
    """Wall and CPU seconds for ``steps`` env steps of a plain list of envs (what a worker does, in-process)."""
    from spa_gym.wrappers import SPAReward

    envs = [gym.make(ENV_ID) for _ in range(n_envs)]
    if estimator is not None:
        envs = [SPAReward(env, estimator) for env in envs]
    rng = np.random.default_rng(seed)
    infos = [env.reset(seed=seed + k, options={"task_id": k})[1] for k, env in enumerate(envs)]
    n, episodes = 0, n_envs
    t0, c0 = time.perf_counter(), time.process_time()
    while n < steps:
        for k, env in enumerate(envs):
            commands = infos[k]["admissible_commands"]
            _, _, terminated, truncated, infos[k] = env.step(str(commands[rng.integers(len(commands))]))
            n += 1
            if terminated or truncated:
                infos[k] = env.reset(seed=seed + episodes, options={"task_id": episodes})[1]
                episodes += 1
    return time.perf_counter() - t0, time.process_time() - c0, n


def on_ray(rollouts, n_envs: int, episodes: int, estimator_actor, seed: int = 0) -> tuple[float, float, int, dict]:
    from spa_gym.distributed import PerEpisodePolicy
    from spa_gym.progress.episodes import RandomPolicy

    tasks = [("train", i) for i in range(episodes)]
    timings: dict[str, float] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    trajs = rollouts.run(PerEpisodePolicy(RandomPolicy()), tasks, seed=seed, n_envs=n_envs, timings=timings,
                         estimator=estimator_actor)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return seconds, cpu, sum(len(t.episode) for t in trajs), timings


def answer_bytes(n_envs: int) -> float:
    """Pickled bytes of one step's answer from a worker (observation, reward, flags, info)."""
    from spa_gym.distributed import EnvWorker

    worker = EnvWorker(functools.partial(gym.make, ENV_ID), 1)
    obs, info = worker.run([("reset", 0, 0, {"task_id": 0})])[0]
    sizes = []
    for _ in range(20):
        answer = worker.run([("step", 0, info["admissible_commands"][0])])
        sizes.append(len(pickle.dumps(answer)))
        info = answer[0][4]
    return float(np.mean(sizes))


def scorer_rate(estimator, batch: int, rounds: int = 40) -> float:
    """Steps per second of the estimator alone (in-process ``SPAStepScorer``, batches of ``batch`` steps)."""
    from spa_gym.distributed import SPAStepScorer

    scorer = SPAStepScorer(estimator)
    scorer.start([(k, "put a clean mug in coffeemachine", "You are in the middle of a room.") for k in range(batch)])
    steps = [(k, "go to countertop 1", "On the countertop 1, you see a mug 1.", True, 0.0, False) for k in range(batch)]
    t0 = time.perf_counter()
    for _ in range(rounds):
        scorer.score(steps)
    return batch * rounds / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", type=int, default=16, help="envs played at once, in every row")
    ap.add_argument("--episodes", type=int, default=48, help="episodes per Ray run (40 steps each at most)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import ray
    import torch

    from spa_gym.distributed import RayRollouts, start_estimator
    from spa_gym.progress import ProgressEstimator

    torch.set_num_threads(1)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"ray {ray.__version__}, load {os.getloadavg()[0]:.2f}; {args.envs} envs at once, {ENV_ID}, random policy")
    estimator = ProgressEstimator.default(device="cpu")
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}})
    actor = start_estimator(estimator, num_gpus=0)
    rows = []
    steps_target = args.episodes * 40 // 2  # about the Ray runs' steps, so both sides time similar work
    for spa in (False, True):
        label = " + SPA" if spa else ""
        est = estimator if spa else None
        for name, fn in ((f"in-process list of envs{label}", plain_loop), (f"in-process vector env{label}", in_process)):
            runs = [fn(args.envs, steps_target, est) for _ in range(args.repeats + 1)][1:]  # run 0 warms up
            wall, cpu, steps = min(runs, key=lambda r: r[0] / r[2])
            if fn is plain_loop:
                base = wall / steps
            rows.append((name, steps / wall, wall / steps * 1e6, wall / steps / base, cpu / steps * 1e6, "", ""))
        for w in args.workers:
            with RayRollouts(functools.partial(gym.make, ENV_ID), n_workers=w,
                             envs_per_worker=-(-args.envs // w), worker_cpus=0) as rollouts:
                runs = [on_ray(rollouts, args.envs, args.episodes, actor if spa else None)
                        for _ in range(args.repeats + 1)][1:]  # run 0 warms up (tasks generated in the workers)
            wall, cpu, steps, timings = min(runs, key=lambda r: r[0] / r[2])
            rows.append((f"ray, {w} worker{'s' if w > 1 else ''}{label}", steps / wall, wall / steps * 1e6,
                         wall / steps / base, cpu / steps * 1e6, f"{timings['env'] / wall:.0%}",
                         f"{timings['estimator'] / wall:.0%}" if spa else ""))
    stats = ray.get(actor.describe.remote())
    print("| rollouts | env steps/s | us/step (wall) | vs in-process list | driver CPU us/step | "
          "driver waiting: workers | driver waiting: estimator |")
    print("|---|---|---|---|---|---|---|")
    for name, rate, us, ratio, cpu_us, env_share, est_share in rows:
        print(f"| {name} | {rate:,.0f} | {us:.0f} | {ratio:.2f}x | {cpu_us:.0f} | {env_share} | {est_share} |")
    print(f"# estimator actor: {stats['steps_scored']} steps in {stats['batches']} batches "
          f"({stats['steps_scored'] / max(stats['batches'], 1):.1f} steps per batch)")
    print(f"# estimator alone (in-process, 1 thread): {scorer_rate(estimator, args.envs):,.0f} steps/s in batches "
          f"of {args.envs}, {scorer_rate(estimator, 8 * args.envs):,.0f} steps/s in batches of {8 * args.envs}")
    print(f"# one step's answer from a worker: {answer_bytes(args.envs):,.0f} bytes pickled; load now "
          f"{os.getloadavg()[0]:.2f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
