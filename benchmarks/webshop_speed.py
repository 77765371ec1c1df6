"""SPA-WebShop-v0 speed and memory.

    python benchmarks/webshop_speed.py                       # 10k catalogue: build, cached load, step latency
    python benchmarks/webshop_speed.py --large 1000000       # + 1M products: build, load, search, RSS of 8 envs

Each size is built in a fresh cache directory (so "build" is a cold build) and loaded again in a
fresh subprocess (so "cached load" includes nothing already in this process's memory). Step latency
is the median over the steps of full episodes (reset, search, click a product, pick options, buy)
played by the expert.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

LOAD_SCRIPT = """
import sys, time
t = time.perf_counter()
from spa_gym.envs.webshop import WebShopEnv
t_import = time.perf_counter()
env = WebShopEnv(num_products=int(sys.argv[1]), cache_dir=sys.argv[2])
env.reset(seed=0)
print(t_import - t, time.perf_counter() - t_import)
"""


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def build_and_load(num_products: int, cache_dir: str) -> tuple[float, float, float]:
    """Seconds to build (cold cache), then to import the package and to make an env in a fresh process."""
    from spa_gym.envs.webshop import WebShopEnv

    start = time.perf_counter()
    WebShopEnv(num_products=num_products, cache_dir=cache_dir)
    build = time.perf_counter() - start
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(num_products), cache_dir], check=True,
                         capture_output=True, text=True).stdout
    import_s, load_s = map(float, out.strip().splitlines()[-1].split())
    return build, import_s, load_s


def step_latency(num_products: int, cache_dir: str, episodes: int) -> dict[str, float]:
    from spa_gym.envs.webshop import WebShopEnv

    env = WebShopEnv(num_products=num_products, cache_dir=cache_dir, expert=True)
    reset_times, step_times, search_times, rewards = [], [], [], []
    for task_id in range(episodes):
        t = time.perf_counter()
        obs, info = env.reset(options={"split": "test", "task_id": task_id % 500})
        reset_times.append(time.perf_counter() - t)
        action = info["expert_action"]
        while action is not None:
            t = time.perf_counter()
            obs, reward, terminated, truncated, info = env.step(action)
            dt = time.perf_counter() - t
            (search_times if action.startswith("search[") else step_times).append(dt)
            if terminated or truncated:
                rewards.append(reward)
                break
            action = info["expert_action"]
    all_steps = step_times + search_times
    return {"reset_median_ms": 1e3 * statistics.median(reset_times),
            "step_median_ms": 1e3 * statistics.median(all_steps),
            "click_median_ms": 1e3 * statistics.median(step_times),
            "search_step_median_ms": 1e3 * statistics.median(search_times),
            "step_p95_ms": 1e3 * statistics.quantiles(all_steps, n=20)[-1],
            "steps": len(all_steps), "mean_reward": statistics.mean(rewards)}


def large(num_products: int, cache_dir: str, queries: int) -> None:
    import numpy as np

    from spa_gym.envs.webshop import GoalSet, WebShopEnv

    build, import_s, load = build_and_load(num_products, cache_dir)
    print(f"[{num_products:,} products] catalogue + index build: {build:.1f} s; cached load in a fresh process: "
          f"{load:.3f} s to a reset env, after {import_s:.2f} s to import spa_gym.envs.webshop")
    base = rss_mb()
    envs = [WebShopEnv(num_products=num_products, cache_dir=cache_dir, expert=True) for _ in range(8)]
    goals = GoalSet(envs[0].source)
    latencies = []
    for i in range(queries):
        q = goals.goal("test", i % 500).search_query
        t = time.perf_counter()
        envs[0].index.search(q)
        latencies.append(time.perf_counter() - t)
    p50, p95 = np.percentile(latencies, [50, 95]) * 1e3
    print(f"[{num_products:,} products] search latency over {queries} goal queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    rewards = []
    for k, env in enumerate(envs):  # every env plays expert episodes, touching the shared index and products
        for task_id in range(5):
            obs, info = env.reset(options={"split": "test", "task_id": 5 * k + task_id})
            reward = 0.0
            while info["expert_action"]:
                obs, reward, terminated, truncated, info = env.step(info["expert_action"])
                if terminated or truncated:
                    break
            rewards.append(reward)
    print(f"[{num_products:,} products] RSS with 8 envs in one process after 40 test episodes: {rss_mb():.0f} MB "
          f"(before creating them: {base:.0f} MB); expert mean reward {np.mean(rewards):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-products", type=int, default=10_000)
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--large", type=int, default=0, help="also measure a catalogue of this size (e.g. 1000000)")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as cache_dir:
        build, import_s, load = build_and_load(args.num_products, cache_dir)
        print(f"[{args.num_products:,} products] catalogue + index build: {build:.2f} s; cached load in a fresh "
              f"process: {load:.3f} s to a reset env, after {import_s:.2f} s to import spa_gym.envs.webshop")
        stats = step_latency(args.num_products, cache_dir, args.episodes)
        print(f"[{args.num_products:,} products] {args.episodes} expert episodes, {stats['steps']} steps: "
              f"step median {stats['step_median_ms']:.3f} ms (clicks {stats['click_median_ms']:.3f} ms, "
              f"search steps {stats['search_step_median_ms']:.3f} ms), p95 {stats['step_p95_ms']:.3f} ms, "
              f"reset median {stats['reset_median_ms']:.3f} ms, mean reward {stats['mean_reward']:.3f}")
    if args.large:
        with tempfile.TemporaryDirectory() as cache_dir:
            large(args.large, cache_dir, args.queries)


if __name__ == "__main__":
    main()
