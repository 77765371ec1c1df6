"""Does listing the admissible commands in the prompt help a model trained from scratch ground its commands?

    python benchmarks/sft_prompt_ablation.py --show-admissible 0
    python benchmarks/sft_prompt_ablation.py --show-admissible 1

SFT of the tiny default model on expert demonstrations of ALFWorld training tasks, then greedy
evaluation on the first test tasks; prints the SFT loss and the test metrics.
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-admissible", type=int, choices=[0, 1], required=True)
    parser.add_argument("--size", default="tiny", choices=["tiny", "small"])
    parser.add_argument("--sft-tasks", type=int, default=60)
    parser.add_argument("--test-tasks", type=int, default=16)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import tempfile

    from transformers.utils import logging as hf_logging

    from spa_gym.agents import LLMPolicy, PromptConfig, SFTConfig, evaluate, expert_samples, make_env, train_sft
    from spa_gym.progress.small_model import build_small_model

    hf_logging.disable_progress_bar()
    cfg = PromptConfig(instruction=False, history_turns=1, show_admissible=bool(args.show_admissible))
    with tempfile.TemporaryDirectory() as tmp:
        policy = LLMPolicy.from_pretrained(build_small_model(f"{tmp}/m", size=args.size, seed=0),
                                           prompt_config=cfg, max_new_tokens=12)
    t0 = time.perf_counter()
    samples, _ = expert_samples(lambda: make_env("SPA-ALFWorld-v0", expert=True),
                                [("train", i) for i in range(args.sft_tasks)], cfg)
    losses = train_sft(policy, samples, SFTConfig(epochs=3, learning_rate=3e-3, batch_size=16))
    sft_s = time.perf_counter() - t0
    metrics, _ = evaluate(policy, lambda: make_env("SPA-ALFWorld-v0", max_steps=args.max_steps),
                          [("test", i) for i in range(args.test_tasks)], n_envs=16)
    print(f"show_admissible={bool(args.show_admissible)} samples={len(samples)} "
          f"loss {losses[0]:.2f}->{losses[-1]:.2f} sft {sft_s:.0f}s eval {metrics}")


if __name__ == "__main__":
    main()
