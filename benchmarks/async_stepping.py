"""Should the envs have ``step_async``? 8 envs stepped sequentially vs through threads, side by side.

Each variant steps 8 envs through the same script (per env: the expert's commands on test tasks i, i + 8, ...,
recorded beforehand, with the resets between episodes) for the same number of rounds; a round steps every
env once:

* ``sequential``: ``for env in envs: env.step(a)``;
* ``asyncio.to_thread``: ``await asyncio.gather(*(asyncio.to_thread(env.step, a) for ...))`` (what an async
  trainer loop does with a blocking env; a ``step_async`` that wraps ``step`` would be the same);
* ``thread pool``: ``pool.map`` over the envs on a ``ThreadPoolExecutor(8)`` made once.

The same runs with the envs wrapped in ``SPAReward`` (the offline default step-level estimator, shared by the 8
envs): scoring runs torch, which releases the GIL, so threads could overlap there. Prints microseconds per
env-step (median over rounds) and the median over rounds of each round's time over the sequential round's
beside it (the variants take turns round by round, so a burst of other work on the box hits all of them).

    python benchmarks/async_stepping.py --rounds 300 --spa-rounds 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import gymnasium as gym

import spa_gym

N_ENVS = 8


def _make(env_id: str, spa: bool, estimator, expert: bool = False) -> gym.Env:
    env = gym.make(env_id, expert=expert, **({"num_products": 1000} if "WebShop" in env_id else {}))
    if spa:
        from spa_gym.wrappers import SPAReward

        env = SPAReward(env, estimator)
    return env


def scripts(env_id: str, steps: int) -> list[list[tuple[str, object]]]:
    """Per env: ``("reset", task_id)`` and ``("step", command)`` events, the expert's commands on test tasks
    i, i + 8, ... (recorded once, so the timed envs run without the expert's planning)."""
    out = []
    for i in range(N_ENVS):
        env = _make(env_id, False, None, expert=True)
        events: list[tuple[str, object]] = []
        task = i
        _, info = env.reset(seed=i, options={"split": "test", "task_id": task})
        events.append(("reset", task))
        while len(events) < steps:
            command = info["expert_action"] or "look"
            _, _, terminated, truncated, info = env.step(command)
            events.append(("step", command))
            if terminated or truncated:
                task = (task + N_ENVS) % env.unwrapped.task_set.size("test")
                _, info = env.reset(seed=i, options={"split": "test", "task_id": task})
                events.append(("reset", task))
        out.append(events)
    return out


class Fleet:
    """8 envs replaying their scripts, one event per env per round."""

    def __init__(self, env_id: str, spa: bool, estimator, events: list[list[tuple[str, object]]]) -> None:
        self.envs = [_make(env_id, spa, estimator) for _ in range(N_ENVS)]
        self.events, self.at = events, [0] * N_ENVS

    def step(self, i: int) -> None:
        kind, arg = self.events[i][self.at[i] % len(self.events[i])]
        self.at[i] += 1
        if kind == "reset":
            self.envs[i].reset(seed=i, options={"split": "test", "task_id": arg})
        else:
            self.envs[i].step(arg)


def sequential(fleet: Fleet) -> float:
    t0 = time.perf_counter()
    for i in range(N_ENVS):
        fleet.step(i)
    return time.perf_counter() - t0


def to_thread(fleet: Fleet, loop: asyncio.AbstractEventLoop) -> float:
    async def run() -> None:
        await asyncio.gather(*(asyncio.to_thread(fleet.step, i) for i in range(N_ENVS)))

    t0 = time.perf_counter()
    loop.run_until_complete(run())
    return time.perf_counter() - t0


def thread_pool(fleet: Fleet, pool: ThreadPoolExecutor) -> float:
    t0 = time.perf_counter()
    list(pool.map(fleet.step, range(N_ENVS)))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--spa-rounds", type=int, default=60, help="rounds of the SPAReward rows (slower steps)")
    ap.add_argument("--torch-threads", type=int, default=1, help="torch threads (CI runs 1 per pytest worker)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.torch_threads)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"torch threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.2f}")
    print("| env | sequential (us/step) | asyncio.to_thread (us/step, paired ratio) | thread pool (us/step, paired ratio) |")
    print("|---|---|---|---|")
    from spa_gym.progress import ProgressEstimator

    estimator = ProgressEstimator.default(device="cpu")
    pool = ThreadPoolExecutor(N_ENVS)
    loop = asyncio.new_event_loop()
    rows = [(env_id, False) for env_id in spa_gym.ENV_IDS] + [(env_id, True) for env_id in spa_gym.ENV_IDS]
    for env_id, spa in rows:
        rounds = args.spa_rounds if spa else args.rounds
        events = scripts(env_id, rounds)  # also generates (and caches) every task they meet
        fleets = {name: Fleet(env_id, spa, estimator, events) for name in ("seq", "async", "pool")}
        run = {"seq": lambda: sequential(fleets["seq"]), "async": lambda: to_thread(fleets["async"], loop),
               "pool": lambda: thread_pool(fleets["pool"], pool)}
        times: dict[str, list[float]] = {name: [] for name in fleets}
        for r in range(rounds):  # one round of each variant in turn (order rotating): load hits all alike
            names = list(run)
            for name in names[r % 3:] + names[:r % 3]:
                times[name].append(run[name]())
        per_step = {k: statistics.median(v) / N_ENVS * 1e6 for k, v in times.items()}
        ratio = {k: statistics.median(a / b for a, b in zip(times[k], times["seq"])) for k in ("async", "pool")}
        label = f"{env_id} + SPAReward" if spa else env_id
        print(f"| {label} | {per_step['seq']:.1f} | {per_step['async']:.1f} ({ratio['async']:.2f}x) "
              f"| {per_step['pool']:.1f} ({ratio['pool']:.2f}x) |")
    pool.shutdown()
    loop.close()


if __name__ == "__main__":
    main()
