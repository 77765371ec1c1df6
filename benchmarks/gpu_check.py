"""The GPU check, one call: estimator throughput, a PPO iteration profile, and a learning comparison.

    benchmarks/gpu_check.sh            # on the device (an H200): about 8 minutes at most
    benchmarks/gpu_check.sh --tiny     # the same code on CPU with tiny sizes (1-2 minutes); GPU_CHECK_TINY=1 too

1. **Estimator throughput**: a Qwen2-0.5B-shaped progress estimator (random init, bf16 on CUDA), incremental
   scoring of a batch of ``batch`` episodes advancing together; steps scored per second.
2. **PPO iteration profile** at a 0.5B-shaped Llama policy (random init) with a 0.5B-shaped estimator and
   ``reward="spa"``: seconds per phase of one iteration.
3. **Learning comparison**: a from-scratch Llama of ~30M parameters, SFT on a few thousand expert turns of
   ALFWorld training tasks, then PPO-sparse vs PPO-SPA (the demo pipeline, :func:`spa_gym.agents.pipeline.run_demo`,
   without its SB3 stage) and the greedy test table.

Random-init weights do not change the timings (only shapes and reply lengths, fixed by ``max_new_tokens``).
Prints one summary (Markdown) and writes ``summary.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

# A Qwen2-0.5B-shaped estimator backbone and a 0.5B-class policy (the shapes benchmarks/progress_incremental.py
# and benchmarks/ppo_profile.py use); our 3000-token tokenizer only uses the first ids.
QWEN_05B = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                num_key_value_heads=2, vocab_size=151936, max_position_embeddings=32768, tie_word_embeddings=True,
                rope_theta=1_000_000.0, rms_norm_eps=1e-6)
POLICY_05B = dict(hidden_size=1280, intermediate_size=4480, num_hidden_layers=24, num_attention_heads=20,
                  num_key_value_heads=4)
#: The from-scratch model of part 3: ~30M parameters with our tokenizer.
SCRATCH_30M = dict(hidden_size=512, intermediate_size=1536, num_hidden_layers=8, num_attention_heads=8,
                   num_key_value_heads=8)


@dataclass(frozen=True)
class CheckSizes:
    """How big each part runs; :data:`FULL` on the GPU, :data:`TINY` on CPU."""

    device: str
    estimator_shape: str  # "0.5b" or "tiny"
    estimator_batch: int  # episodes scored together
    estimator_steps: int  # steps per episode
    policy_shape: str  # "0.5b" or "tiny"
    ppo_episodes: int  # episodes of the profiled iteration
    ppo_max_steps: int
    scratch_shape: str  # "30m" or "tiny"
    sft_tasks: int  # ALFWorld training tasks the expert demonstrates (~12 turns each)
    sft_epochs: float
    explore_tasks: int
    eval_tasks: int
    ppo_iterations: int
    ppo_episodes_per_iteration: int
    n_envs: int


FULL = CheckSizes(device="cuda", estimator_shape="0.5b", estimator_batch=64, estimator_steps=24, policy_shape="0.5b",
                  ppo_episodes=32, ppo_max_steps=10, scratch_shape="30m", sft_tasks=300, sft_epochs=3,
                  explore_tasks=128, eval_tasks=60, ppo_iterations=8, ppo_episodes_per_iteration=64, n_envs=64)
TINY = CheckSizes(device="cpu", estimator_shape="tiny", estimator_batch=4, estimator_steps=4, policy_shape="tiny",
                  ppo_episodes=2, ppo_max_steps=3, scratch_shape="tiny", sft_tasks=4, sft_epochs=4,
                  explore_tasks=4, eval_tasks=2, ppo_iterations=1, ppo_episodes_per_iteration=2, n_envs=2)


def build_model(out: Path, shape: str, seed: int = 0) -> Path:
    """A random-init model folder with our tokenizer: "tiny" (the test size), "30m", "0.5b" (Llama) or "qwen0.5b"."""
    from transformers import LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    from spa_gym.progress.small_model import build_small_model, load_tokenizer, small_model_config

    if shape == "tiny":
        return build_small_model(out, size="tiny", seed=seed)
    tok = load_tokenizer()
    torch.manual_seed(seed)
    if shape == "qwen0.5b":
        model = Qwen2ForCausalLM(Qwen2Config(**QWEN_05B, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                                             eos_token_id=tok.eos_token_id))
    else:
        config = small_model_config("small")
        for key, value in {"30m": SCRATCH_30M, "0.5b": POLICY_05B}[shape].items():
            setattr(config, key, value)
        model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def estimator_throughput(sizes: CheckSizes, work: Path) -> dict:
    """Steps per second of incremental scoring, ``estimator_batch`` ALFWorld random-policy episodes at once."""
    import gymnasium as gym

    import spa_gym  # noqa: F401
    from spa_gym.progress.episodes import RandomPolicy, play_episode
    from spa_gym.progress.estimator import ProgressEstimator

    device = torch.device(sizes.device)
    shape = "qwen0.5b" if sizes.estimator_shape == "0.5b" else "tiny"
    est = ProgressEstimator.from_pretrained(build_model(work / "estimator", shape), device)
    env = gym.make("SPA-ALFWorld-v0", max_steps=sizes.estimator_steps)
    policy = RandomPolicy(seed=0)
    eps = [play_episode(env, policy, seed=i) for i in range(sizes.estimator_batch)]
    eps = [e for e in eps if len(e.steps) == sizes.estimator_steps] or eps

    def run() -> float:
        scorer = est.incremental_scorer()
        _sync(device)
        t0 = time.perf_counter()
        for k, ep in enumerate(eps):
            scorer.start(k, ep.task, ep.observation)
        for t in range(max(len(e.steps) for e in eps)):
            scorer.add_steps([(k, e.steps[t].action, e.steps[t].observation) for k, e in enumerate(eps)
                              if t < len(e.steps)])
        _sync(device)
        return time.perf_counter() - t0

    run()  # warm-up (kernels, allocator)
    seconds = run()
    steps = sum(len(e.steps) for e in eps)
    return {"params_M": round(sum(p.numel() for p in est.backbone.parameters()) / 1e6, 1),
            "dtype": str(next(est.backbone.parameters()).dtype), "batch": len(eps), "steps": steps,
            "seconds": round(seconds, 3), "steps_per_s": round(steps / seconds, 1)}


def ppo_profile(sizes: CheckSizes, work: Path) -> dict:
    """Phase seconds of one PPO iteration (reward "spa") at the policy shape."""
    from spa_gym.agents.policy import LLMPolicy
    from spa_gym.agents.ppo import PPOConfig, train_ppo
    from spa_gym.agents.prompts import PromptConfig
    from spa_gym.agents.rollout import make_env
    from spa_gym.progress.estimator import ProgressEstimator

    device = torch.device(sizes.device)
    policy_dir = build_model(work / "policy", sizes.policy_shape)
    policy = LLMPolicy.from_pretrained(policy_dir, device=sizes.device, max_new_tokens=12,
                                       prompt_config=PromptConfig(instruction=False, history_turns=2))
    est_shape = "qwen0.5b" if sizes.policy_shape == "0.5b" else "tiny"
    estimator = ProgressEstimator.from_pretrained(build_model(work / "ppo-estimator", est_shape), device)
    config = PPOConfig(reward="spa", iterations=1, episodes_per_iteration=sizes.ppo_episodes,
                       n_envs=sizes.ppo_episodes, update_epochs=1, minibatch_turns=16, grad_accum=2)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.perf_counter()
    (h,) = train_ppo(policy, lambda: make_env("SPA-ALFWorld-v0", max_steps=sizes.ppo_max_steps), config,
                     estimator=estimator)
    out = {"policy_params_M": round(sum(p.numel() for p in policy.model.parameters()) / 1e6, 1),
           "episodes": sizes.ppo_episodes, "max_steps": sizes.ppo_max_steps, "wall_s": round(time.perf_counter() - t0, 2),
           # 0.1 ms: at tiny sizes a phase takes a few hundredths of a second, and 0.01 s rounding hid its share
           **{k: round(h[k], 4) for k in ("time_generation", "time_env", "time_rewards", "time_reference",
                                          "time_update", "time_total")},
           "reply_tokens": h["reply_tokens"], "prompt_tokens": h["prompt_tokens"]}
    if device.type == "cuda":
        out["peak_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return out


def learning_comparison(sizes: CheckSizes, work: Path) -> dict:
    """SFT then PPO-sparse vs PPO-SPA of the from-scratch model on ALFWorld (the demo pipeline, no SB3 stage)."""
    from spa_gym.agents.pipeline import PRESETS, run_demo
    from spa_gym.agents.ppo import PPOConfig

    base = build_model(work / "scratch", "30m" if sizes.scratch_shape == "30m" else "tiny")
    full = PRESETS["full"]
    cfg = replace(full, model=str(base), device=sizes.device, comparison=None, sft_tasks=sizes.sft_tasks,
                  explore_tasks=sizes.explore_tasks, eval_tasks=sizes.eval_tasks, n_envs=sizes.n_envs,
                  threads=1 if sizes.device == "cpu" else full.threads,
                  sft=replace(full.sft, epochs=sizes.sft_epochs, batch_size=32 if sizes.device == "cuda" else 8),
                  ppo=replace(full.ppo, iterations=sizes.ppo_iterations,
                              episodes_per_iteration=sizes.ppo_episodes_per_iteration, n_envs=sizes.n_envs))
    assert isinstance(cfg.ppo, PPOConfig)
    t0 = time.perf_counter()
    result = run_demo(cfg, work / "demo", progress=False, log=lambda line: print(line, flush=True))
    sft_samples = len(json.loads((work / "demo" / "sft_losses.json").read_text()))
    return {"model_params_M": round(sum(p.numel() for p in _params(base)) / 1e6, 1),
            "sft_tasks": sizes.sft_tasks, "sft_loss_points": sft_samples, "ppo_iterations": sizes.ppo_iterations,
            "episodes_per_iteration": sizes.ppo_episodes_per_iteration, "eval_tasks": sizes.eval_tasks,
            "wall_s": round(time.perf_counter() - t0, 1), "results": result["results"]}


def _params(folder: Path):
    from transformers import AutoModelForCausalLM

    return list(AutoModelForCausalLM.from_pretrained(folder).parameters())


def summary_markdown(summary: dict) -> str:
    lines = [f"# gpu_check ({summary['mode']}): {summary['machine']}", ""]
    e = summary.get("estimator")
    if e:
        lines.append(f"- estimator throughput: {e['steps_per_s']} steps/s (incremental, {e['params_M']}M params, "
                     f"{e['dtype']}, batch {e['batch']}, {e['steps']} steps in {e['seconds']} s)")
    p = summary.get("ppo")
    if p:
        lines.append(f"- PPO iteration ({p['policy_params_M']}M policy, {p['episodes']} episodes x <= {p['max_steps']} "
                     f"steps): total {p['time_total']} s = generation {p['time_generation']} + env {p['time_env']} + "
                     f"SPA rewards {p['time_rewards']} + reference {p['time_reference']} + update {p['time_update']}"
                     + (f"; peak {p['peak_gib']} GiB" if "peak_gib" in p else ""))
    c = summary.get("learning")
    if c:
        lines.append(f"- learning ({c['model_params_M']}M from scratch, SFT on {c['sft_tasks']} tasks, "
                     f"{c['ppo_iterations']} PPO iterations x {c['episodes_per_iteration']} episodes, "
                     f"{c['eval_tasks']} test tasks, {c['wall_s']} s):")
        lines += [f"    - {name}: success {m['success_rate']:.1%}, grounding {m['grounding']:.1%}, "
                  f"mean steps {m['mean_steps']:.1f}" for name, m in c["results"].items()]
    for part, err in summary.get("errors", {}).items():
        lines.append(f"- {part}: FAILED: {err}")
    lines.append(f"- total wall: {summary['wall_s']} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="CPU, tiny sizes (checks the script in 1-2 minutes)")
    parser.add_argument("--parts", default="estimator,ppo,learning", help="comma-separated parts to run")
    parser.add_argument("--out", default="runs/gpu_check", help="folder for summary.json / summary.md")
    args = parser.parse_args(argv)
    sizes = TINY if args.tiny else FULL
    if sizes.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here; run with --tiny (or GPU_CHECK_TINY=1) for the CPU check")
    if sizes.device == "cpu":
        torch.set_num_threads(1)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    machine = (torch.cuda.get_device_name(0) if sizes.device == "cuda"
               else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread(s)")
    summary: dict = {"mode": "tiny" if args.tiny else "full", "machine": machine, "torch": torch.__version__,
                     "sizes": sizes.__dict__, "errors": {}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = {"estimator": estimator_throughput, "ppo": ppo_profile, "learning": learning_comparison}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.parts.split(","):
            started = time.perf_counter()
            print(f"[{started - t0:6.1f}s] {name} ...", flush=True)
            try:  # one failing part must not cost the others' figures
                summary[name] = parts[name](sizes, Path(tmp) / name)
            except Exception as err:  # noqa: BLE001 - reported in the summary, the other parts still run
                summary["errors"][name] = f"{type(err).__name__}: {err}"
            if sizes.device == "cuda":
                torch.cuda.empty_cache()
            (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    text = summary_markdown(summary)
    (out / "summary.md").write_text(text + "\n")
    print(text, flush=True)
    return summary


if __name__ == "__main__":
    summary = main()
    sys.exit(1 if summary["errors"] else 0)
