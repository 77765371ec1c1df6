"""Where the time goes in one PPO iteration of the bundled agent (generation, env, estimator, update).

    python benchmarks/ppo_profile.py                                   # small default model, CPU
    python benchmarks/ppo_profile.py --size 0.5b --device cuda --episodes 32   # 0.5B-class model, GPU

The policy and the estimator are random-initialised models of the chosen size (timings do not depend
on the weights, only on shapes and on how many tokens the replies have, which ``--max-new-tokens``
fixes: an untrained policy always writes the full reply). The iteration runs with ``reward="spa"``, so
the estimator scores every episode. Prints seconds and shares per phase, generated tokens per second,
and peak GPU memory on CUDA.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

#: A 0.5B-class Llama config (random init; our 3000-token vocabulary, so the parameters sit in the layers).
LARGE = dict(hidden_size=1280, intermediate_size=4480, num_hidden_layers=24, num_attention_heads=20,
             num_key_value_heads=4)


def build_model(out: Path, size: str, seed: int) -> Path:
    from spa_gym.progress.small_model import build_small_model, load_tokenizer, small_model_config

    if size in ("tiny", "small"):
        return build_small_model(out, size=size, seed=seed)
    from transformers import LlamaForCausalLM

    config = small_model_config("small")
    for key, value in LARGE.items():
        setattr(config, key, value)
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(out)
    load_tokenizer().save_pretrained(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="SPA-ALFWorld-v0")
    parser.add_argument("--size", default="small", choices=["tiny", "small", "0.5b"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--episodes", type=int, default=16, help="episodes per iteration (= generation batch)")
    parser.add_argument("--max-steps", type=int, default=20, help="step limit of the profiled episodes")
    parser.add_argument("--max-new-tokens", type=int, default=12)
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from transformers.utils import logging as hf_logging

    from spa_gym.agents.policy import LLMPolicy, resolve_device
    from spa_gym.agents.ppo import PPOConfig, train_ppo
    from spa_gym.agents.prompts import PromptConfig
    from spa_gym.agents.rollout import make_env
    from spa_gym.progress.estimator import ProgressEstimator

    hf_logging.disable_progress_bar()
    device = resolve_device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_model(Path(tmp) / "model", args.size, args.seed)
        policy = LLMPolicy.from_pretrained(model_dir, device=str(device), max_new_tokens=args.max_new_tokens,
                                           prompt_config=PromptConfig(instruction=False, history_turns=2))
        estimator = ProgressEstimator.from_pretrained(model_dir, device=device)
        n_params = sum(p.numel() for p in policy.model.parameters())
        config = PPOConfig(reward="spa", iterations=args.iterations, episodes_per_iteration=args.episodes,
                           n_envs=args.episodes, update_epochs=1, minibatch_turns=16, grad_accum=2, seed=args.seed)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        history = train_ppo(policy, lambda: make_env(args.env, max_steps=args.max_steps), config,
                            estimator=estimator)
        wall = time.perf_counter() - t0
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"device {device}{' (' + torch.cuda.get_device_name(device) + ')' if device.type == 'cuda' else ''}")
    print(f"model: {args.size}, {n_params / 1e6:.1f}M parameters; env {args.env}; {args.episodes} episodes "
          f"x <= {args.max_steps} steps per iteration; wall {wall:.1f}s for {len(history)} iteration(s)")
    phases = {"generation": "time_generation", "env": "time_env", "estimator (spa rewards)": "time_rewards",
              "KL reference + advantages": "time_reference", "PPO update": "time_update"}
    total = sum(h["time_total"] for h in history)
    print(f"{'phase':28s} {'seconds':>9s} {'share':>7s}")
    for name, key in phases.items():
        sec = sum(h[key] for h in history)
        print(f"{name:28s} {sec:9.2f} {sec / total:7.1%}")
    print(f"{'total':28s} {total:9.2f}")
    turns = sum(h["mean_steps"] * args.episodes for h in history)
    reply_tokens = sum(h["reply_tokens"] for h in history)
    prompt_tokens = sum(h["prompt_tokens"] for h in history)
    gen = sum(h["time_generation"] for h in history)
    update = sum(h["time_update"] for h in history)
    print(f"turns: {turns:.0f}, prompt tokens {prompt_tokens:.0f}, reply tokens {reply_tokens:.0f}; "
          f"generation {reply_tokens / gen:.0f} reply tokens/s; update {(prompt_tokens + reply_tokens) / update:.0f} "
          f"tokens/s (forward + backward); whole iteration {turns / total:.2f} turns/s")
    if device.type == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
