"""What ``info["state_hash"]`` costs: ``env.step`` with and without it, side by side in one run.

For each env the same episodes (the expert's commands, every third command an invalid one) are
replayed alternately by two copies of the env: one as shipped, one whose ``state_hash`` is replaced by a
constant. Rounds alternate which copy goes first, so load changes on the box hit both alike. Prints the
median and p95 of a step, the ratio, and the hash's own cost (``state_hash()`` alone on the episodes' states).
The ``+ SPAReward`` rows wrap both copies in ``SPAReward`` (the offline default estimator): the step a trainer
with dense rewards pays for.

    python benchmarks/state_hash_speed.py --episodes 20 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import gymnasium as gym

import spa_gym

INVALID = "fly to the moon"


def _episodes(env_id: str, n: int, kwargs: dict) -> list[tuple[int, list[str]]]:
    env = gym.make(env_id, expert=True, **kwargs)
    out = []
    for task_id in range(n):
        _, info = env.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        commands: list[str] = []
        done = False
        while not done and info.get("expert_action"):
            if len(commands) % 3 == 2:
                commands.append(INVALID)  # changes nothing, so the expert's next command stays the same
            command = info["expert_action"]
            commands.append(command)
            _, _, terminated, truncated, info = env.step(command)
            done = terminated or truncated
        out.append((task_id, commands))
    return out


def _play(env: gym.Env, episodes: list[tuple[int, list[str]]]) -> list[float]:
    times = []
    for task_id, commands in episodes:
        env.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        for command in commands:
            t0 = time.perf_counter()
            env.step(command)
            times.append(time.perf_counter() - t0)
    return times


def _hash_alone(env: gym.Env, episodes: list[tuple[int, list[str]]]) -> list[float]:
    times = []
    base = env.unwrapped
    for task_id, commands in episodes:
        env.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        for command in commands:
            env.step(command)
            t0 = time.perf_counter()
            base.state_hash()
            times.append(time.perf_counter() - t0)
    return times


def _us(samples: list[float], q: float = 0.5) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(q * len(samples)))] * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=20, help="test tasks per env")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds of both copies")
    ap.add_argument("--webshop-products", type=int, default=10_000)
    ap.add_argument("--no-spa", action="store_true", help="skip the SPAReward rows")
    args = ap.parse_args()
    from spa_gym.progress import ProgressEstimator
    from spa_gym.wrappers import SPAReward

    estimator = ProgressEstimator.default(device="cpu")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f}")
    print("| env | steps | step median with / without (us) | ratio | p95 with / without (us) | state_hash() alone, median (us) |")
    print("|---|---|---|---|---|---|")
    rows = [(env_id, False) for env_id in spa_gym.ENV_IDS]
    rows += [] if args.no_spa else [(env_id, True) for env_id in spa_gym.ENV_IDS]
    for env_id, spa in rows:
        kwargs = {"num_products": args.webshop_products} if "WebShop" in env_id else {}
        episodes = _episodes(env_id, args.episodes, kwargs)
        with_hash = gym.make(env_id, **kwargs)
        without = gym.make(env_id, **kwargs)
        without.unwrapped.state_hash = lambda: ""  # the same step, the digest replaced by a constant
        if spa:
            with_hash, without = SPAReward(with_hash, estimator), SPAReward(without, estimator)
        _play(with_hash, episodes), _play(without, episodes)  # warm caches (tasks, search) for both
        a: list[float] = []
        b: list[float] = []
        for r in range(args.rounds):
            first, second = (with_hash, without) if r % 2 == 0 else (without, with_hash)
            t1, t2 = _play(first, episodes), _play(second, episodes)
            (a, b)[first is without].extend(t1)
            (a, b)[second is without].extend(t2)
        alone = _hash_alone(with_hash, episodes)
        ratio = statistics.median(a) / statistics.median(b)
        print(f"| {env_id}{' + SPAReward' if spa else ''} | {len(a) // args.rounds} | {_us(a):.1f} / {_us(b):.1f} | {ratio:.2f}x | "
              f"{_us(a, 0.95):.1f} / {_us(b, 0.95):.1f} | {_us(alone):.1f} |")


if __name__ == "__main__":
    main()
