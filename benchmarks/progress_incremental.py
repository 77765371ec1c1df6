"""Incremental (KV-cached) vs full re-encoding scoring of a progress estimator, side by side in one run.

The online setting: an agent has played t steps and needs c_t now. Full re-encoding runs the whole
prefix (header + t steps) through the backbone at every step; the incremental scorer runs only step
t's new tokens against each episode's cache. Episodes are ALFWorld random-policy trajectories of exactly
L steps; a batch of B episodes advances together (one forward per step for each method).

    python benchmarks/progress_incremental.py                       # small model, CPU, L in 10 20 40 80, B in 1 32
    python benchmarks/progress_incremental.py --device cuda --config 0.5b --throughput-batch 64

Prints a markdown table: seconds per method, their ratio and the largest difference between the two
methods' contributions. ``--throughput-batch`` also measures steps scored per second with the
incremental scorer at that batch size (and peak GPU memory on CUDA).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

import spa_gym  # noqa: F401  (registers the envs)
from spa_gym.progress.episodes import Episode, RandomPolicy, play_episode
from spa_gym.progress.estimator import ProgressEstimator, resolve_device
from spa_gym.progress.incremental import IncrementalScorer
from spa_gym.progress.small_model import build_small_model, load_tokenizer

# A Qwen2-0.5B-shaped config (random weights are fine for speed); our tokenizer only uses the first ids.
QWEN_05B = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                num_key_value_heads=2, vocab_size=151936, max_position_embeddings=32768, tie_word_embeddings=True,
                rope_theta=1_000_000.0, rms_norm_eps=1e-6)


def build_estimator(config: str, device: str, seed: int, workdir: Path) -> ProgressEstimator:
    if config in ("tiny", "small"):
        return ProgressEstimator.from_pretrained(build_small_model(workdir / config, size=config, seed=seed), device)
    if config != "0.5b":
        raise ValueError(f"unknown config {config!r}")
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = load_tokenizer()
    cfg = Qwen2Config(**QWEN_05B, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.eos_token_id)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(cfg)
    model.save_pretrained(workdir / "qwen-0.5b-shaped")
    tok.save_pretrained(workdir / "qwen-0.5b-shaped")
    # 4096 tokens of context: ALFWorld episodes of 80 steps fit without sliding.
    return ProgressEstimator.from_pretrained(workdir / "qwen-0.5b-shaped", device, max_context=4096)


def alfworld_episodes(n: int, length: int, seed: int) -> list[Episode]:
    """``n`` ALFWorld random-policy episodes of exactly ``length`` steps (won-early ones are skipped)."""
    env = gym.make("SPA-ALFWorld-v0", max_steps=length)
    out, k = [], 0
    while len(out) < n:
        ep = play_episode(env, RandomPolicy(seed=seed + k, invalid_prob=0.1), seed=seed + k)
        k += 1
        if len(ep) == length:
            out.append(ep)
    return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_incremental(est: ProgressEstimator, eps: list[Episode]) -> tuple[float, np.ndarray]:
    scorer = IncrementalScorer(est)
    out = np.zeros((len(eps), len(eps[0])))
    _sync(est.device)
    start = time.perf_counter()
    for i, ep in enumerate(eps):
        scorer.start(i, ep.task, ep.observation)
    for t in range(len(eps[0])):
        out[:, t] = scorer.add_steps([(i, ep.steps[t].action, ep.steps[t].observation) for i, ep in enumerate(eps)])
    _sync(est.device)
    return time.perf_counter() - start, out


def run_full(est: ProgressEstimator, eps: list[Episode]) -> tuple[float, np.ndarray]:
    out = np.zeros((len(eps), len(eps[0])))
    _sync(est.device)
    start = time.perf_counter()
    for t in range(len(eps[0])):
        prefixes = [Episode(ep.task, ep.observation, ep.steps[: t + 1], 0.0) for ep in eps]
        out[:, t] = [c[-1] for c in est.score_episodes(prefixes, batch_size=len(eps))]
    _sync(est.device)
    return time.perf_counter() - start, out


def throughput(est: ProgressEstimator, eps: list[Episode]) -> tuple[float, float | None]:
    if est.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds, _ = run_incremental(est, eps)
    mem = torch.cuda.max_memory_allocated() / 2**30 if est.device.type == "cuda" else None
    return len(eps) * len(eps[0]) / seconds, mem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="small", choices=["tiny", "small", "0.5b"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 20, 40, 80])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--throughput-batch", type=int, default=0, help="also measure steps/s at this batch")
    parser.add_argument("--throughput-length", type=int, default=40)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--incremental-only", action="store_true", help="skip full re-encoding (timing only)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        est = build_estimator(args.config, str(device), args.seed, Path(tmp))
    n_params = sum(p.numel() for p in est.backbone.parameters())
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}, device {device}{' (' + gpu + ')' if gpu else ''}")
    print(f"model: {args.config} ({n_params / 1e6:.1f}M parameters, {next(est.backbone.parameters()).dtype}), "
          f"max_context {est.max_context}\n")
    run_incremental(est, alfworld_episodes(1, 2, args.seed + 10_000))  # warm-up

    print("| steps | batch | tokens/episode | full re-encoding (s) | incremental (s) | speed-up | max abs diff |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for length in args.lengths:
        for batch in args.batches:
            eps = alfworld_episodes(batch, length, args.seed)
            enc = est.encode(eps[0])
            tokens = len(enc.header) + sum(len(s) for s in enc.steps)
            t_inc, c_inc = run_incremental(est, eps)
            if args.incremental_only:
                print(f"| {length} | {batch} | {tokens} | - | {t_inc:.2f} | - | - |", flush=True)
                continue
            t_full, c_full = run_full(est, eps)
            diff = float(np.abs(c_inc - c_full).max())
            print(f"| {length} | {batch} | {tokens} | {t_full:.2f} | {t_inc:.2f} | {t_full / t_inc:.1f}x | {diff:.1e} |",
                  flush=True)
    if args.throughput_batch:
        eps = alfworld_episodes(args.throughput_batch, args.throughput_length, args.seed)
        steps_per_s, mem = throughput(est, eps)
        mem_msg = f", peak GPU memory {mem:.2f} GiB" if mem is not None else ""
        print(f"\nincremental throughput at batch {args.throughput_batch}, {args.throughput_length}-step episodes: "
              f"{steps_per_s:.1f} steps/s{mem_msg}")


if __name__ == "__main__":
    main()
