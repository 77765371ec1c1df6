"""The SPA pipeline end to end — what ``spa-gym demo`` runs — as resumable stages.

::

    base model  ->  expert demos  ->  SFT  ->  exploration  ->  progress estimator
                                       |                              |
                                       +-> PPO (sparse)    PPO (spa) <+
                                       |        |              |
                                       +-> evaluate SFT, PPO-sparse, PPO-SPA on the test split -> report

then, beside the LLM, the measured SPA win at a size that fits: MaskablePPO with sparse, SPA (potential
form) and oracle rewards on 8 easy ALFWorld tasks (``spa_gym.agents.sb3_comparison``, one seed, about two
minutes on CPU), and ``progress_plot.png``: per-step SPA reward and the estimator's cumulative progress
against true progress on held-out episodes (``spa_gym.agents.progress_plot``). Both go into the report.

Every stage writes its output atomically under ``out_dir`` and is skipped when that output already
exists; PPO resumes from its per-iteration checkpoint. Killing a run and starting the same command
again therefore loses at most the stage step in progress (one PPO iteration, one estimator epoch, one
SB3 arm).
``out_dir/config.json`` records the settings; resuming with other settings is refused.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from spa_gym.agents.evaluate import episode_metrics, evaluate, task_list, write_report
from spa_gym.agents.policy import LLMPolicy, resolve_device
from spa_gym.agents.ppo import PPOConfig, train_ppo
from spa_gym.agents.prompts import PromptConfig
from spa_gym.agents.rollout import make_env, run_episodes
from spa_gym.agents.sb3_comparison import ComparisonConfig
from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft
from spa_gym.core.files import check_output_dir, write_text_atomic


@dataclass
class EstimatorConfig:
    """How the demo fits the progress estimator (see ``spa_gym.progress.training``)."""

    epochs: int = 4  # passes over the exploration episodes, at most
    batch_size: int = 8  # episodes per gradient step
    learning_rate: float = 3e-4  # AdamW learning rate
    valid_fraction: float = 0.15  # share of exploration episodes held out for early stopping
    patience: int = 2  # epochs without validation improvement before stopping


@dataclass
class DemoConfig:
    """Everything the demo does, with its budget. :data:`PRESETS` holds the named settings."""

    env_id: str = "SPA-ALFWorld-v0"  # environment id
    model: str | None = None  # a local HF causal-LM folder; None builds the small default model
    model_size: str = "small"  # size of the small default model ("tiny" or "small")
    device: str = "cpu"  # "cpu", "cuda", "auto"
    seed: int = 0  # seeds the model init, task draws and sampling
    lora_r: int = 0  # LoRA rank for SFT and PPO (0: full fine-tuning)
    sft_tasks: int = 200  # training tasks the expert demonstrates (task ids 0..N-1)
    explore_tasks: int = 100  # training tasks the SFT policy explores for the estimator
    explore_per_task: int = 2  # episodes per explored task
    eval_tasks: int | None = None  # test tasks evaluated (None: the whole test split)
    train_max_steps: int | None = None  # step limit of training/exploration episodes (None: env default)
    max_new_tokens: int = 16  # longest reply
    n_envs: int = 16  # environments played at once
    spa_reward: str = "spa_potential"  # PPO-SPA's turn rewards: "spa_potential" (the default form) or "spa" (paper's)
    threads: int = 2  # torch CPU threads; float sums depend on it, so it is fixed here, not taken from the machine
    prompt: PromptConfig = field(default_factory=PromptConfig)
    sft: SFTConfig = field(default_factory=SFTConfig)
    estimator: EstimatorConfig = field(default_factory=EstimatorConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    # SB3 comparison of reward forms on easy ALFWorld tasks (spa_gym.agents.sb3_comparison); None skips it
    comparison: ComparisonConfig | None = field(default_factory=ComparisonConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Named settings: "full" is the README's demo (sized for 2 CPU cores: about 10 minutes when they are idle,
#: far longer on a busy machine); "smoke" checks the plumbing in under a minute (tests).
PRESETS: dict[str, DemoConfig] = {
    "full": DemoConfig(
        sft_tasks=120, explore_tasks=64, explore_per_task=1, eval_tasks=40, train_max_steps=20, max_new_tokens=12,
        n_envs=16, prompt=PromptConfig(instruction=False, history_turns=2, snap_to_admissible=70.0),
        sft=SFTConfig(epochs=3, learning_rate=1e-3, batch_size=16),
        estimator=EstimatorConfig(epochs=3, batch_size=8),
        ppo=PPOConfig(iterations=4, episodes_per_iteration=12, n_envs=12, update_epochs=1, minibatch_turns=16,
                      grad_accum=2, learning_rate=1e-4)),
    "smoke": DemoConfig(model_size="tiny", sft_tasks=4, explore_tasks=4, explore_per_task=1, eval_tasks=4,
                        max_new_tokens=6, n_envs=4, threads=1, sft=SFTConfig(epochs=8, learning_rate=1e-2, batch_size=8),
                        estimator=EstimatorConfig(epochs=1, batch_size=4),
                        ppo=PPOConfig(iterations=2, episodes_per_iteration=4, n_envs=4, update_epochs=1,
                                      minibatch_turns=8, grad_accum=1),
                        comparison=ComparisonConfig(train_tasks=2, max_heldout_tasks=2, total_timesteps=256, n_steps=32,
                                                    batch_size=64, n_epochs=1, estimator_per_task=4,
                                                    estimator_epochs=2, eval_episodes=1, heldout_eval_episodes=1)),
}


def _check_config(out: Path, cfg: DemoConfig) -> None:
    path = out / "config.json"
    current = json.loads(json.dumps(cfg.to_dict()))
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved != current:
            diff = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
            raise ValueError(f"{out} holds a run with other settings ({', '.join(diff)}); "
                             "use another --out or delete it")
        return
    write_text_atomic(path, json.dumps(current, indent=2))


def _write_json(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str))


#: One name per PPO run, in the curves, the plot legend and the test table.
RUN_NAMES = {"sparse": "PPO-sparse", "spa": "PPO-SPA"}

STAGE_TIMES_FILE = "stage_times.json"


class _StageTimes:
    """Seconds per stage of every invocation, kept in ``stage_times.json`` as each stage finishes.

    An interrupted invocation keeps the stages it finished; the report sums them over all invocations.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runs: list[dict[str, Any]] = json.loads(path.read_text()) if path.is_file() else []
        self.runs.append({"stages": {}, "wall_s": None})
        self._current: tuple[str, float] | None = None

    @property
    def invocations(self) -> int:
        return len(self.runs)

    def start(self, name: str) -> Callable[[], None]:
        """Time stage ``name``; call the returned function when it is done."""
        self._current = (name, time.perf_counter())
        return self._stop

    def _stop(self) -> None:
        if self._current is not None:
            name, t0 = self._current
            self._current = None
            stages = self.runs[-1]["stages"]
            stages[name] = round(stages.get(name, 0.0) + time.perf_counter() - t0, 1)
            _write_json(self.path, self.runs)

    def interrupted(self) -> str | None:
        """Keep the time spent on the stage in progress (its output is resumed later); returns its name."""
        name = self._current[0] if self._current else None
        self._stop()
        return name

    def finish(self, wall: float) -> None:
        self.runs[-1]["wall_s"] = wall
        _write_json(self.path, self.runs)

    def per_stage(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for run in self.runs:
            for name, seconds in run["stages"].items():
                totals[name] = round(totals.get(name, 0.0) + seconds, 1)
        return totals

    def total(self) -> float:
        return round(sum(self.per_stage().values()), 1)


def run_demo(cfg: DemoConfig, out_dir: str | os.PathLike, *, progress: bool = True,
             log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) the whole pipeline; returns ``{"results": ..., "curves": ..., "paths": ...}``."""
    import torch

    out = check_output_dir(out_dir, "--out")  # a file in the way, or no write access: before any work
    resolve_device(cfg.device)  # fail before any work when the device is absent
    make_env(cfg.env_id).close()  # likewise for an unknown env id
    if cfg.model is not None:  # a model name (--model smollm2) becomes its folder here, once
        from spa_gym.models import resolve_model

        cfg = replace(cfg, model=str(resolve_model(cfg.model)))
    if cfg.model is not None and not (Path(cfg.model) / "config.json").is_file():
        raise FileNotFoundError(f"model folder not found or not a Hugging Face model (no config.json): {cfg.model}")
    if cfg.spa_reward not in ("spa", "spa_potential"):
        raise ValueError(f"spa_reward must be 'spa_potential' or 'spa', got {cfg.spa_reward!r}")
    _check_config(out, cfg)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    # Stage times of every invocation of this run folder (a resumed run reports its whole cost).
    times = _StageTimes(out / STAGE_TIMES_FILE)
    try:
        return _run_stages(cfg, out, progress, log, times)
    except BaseException:
        times.interrupted()
        raise
    finally:
        torch.set_num_threads(threads_before)


def _run_stages(cfg: DemoConfig, out: Path, progress: bool, log: Callable[[str], None],
                times: _StageTimes) -> dict[str, Any]:
    import torch

    from spa_gym.progress.episodes import read_jsonl, write_jsonl
    from spa_gym.progress.estimator import ProgressEstimator
    from spa_gym.progress.small_model import build_small_model
    from spa_gym.progress.training import EstimatorTrainingConfig, train_estimator

    torch.manual_seed(cfg.seed)  # only HF weight init of fresh heads reads the global RNG
    started = time.perf_counter()

    def stage(name: str) -> Callable[[], None]:
        log(f"[{time.perf_counter() - started:7.1f}s] {name} ...")
        return times.start(name)

    train_kwargs = {} if cfg.train_max_steps is None else {"max_steps": cfg.train_max_steps}
    env_train = lambda: make_env(cfg.env_id, **train_kwargs)  # noqa: E731
    env_eval = lambda: make_env(cfg.env_id)  # noqa: E731

    def recorded(env_fn: Callable[[], Any], name: str) -> Callable[[], Any]:
        """``env_fn`` recording through RecordEpisodes to ``episodes/NAME.jsonl`` (for ``spa-gym view``)."""
        from spa_gym.wrappers import RecordEpisodes

        path = out / "episodes" / f"{name}.jsonl"
        path.unlink(missing_ok=True)  # a stage re-runs whole after a crash: no lines of the interrupted attempt
        return lambda: RecordEpisodes(env_fn(), path, max_bytes=0, metadata={"source": "demo", "stage": name})

    def load_policy(path: Path) -> LLMPolicy:
        return LLMPolicy.from_pretrained(path, device=cfg.device, lora_r=cfg.lora_r, prompt_config=cfg.prompt,
                                         max_new_tokens=cfg.max_new_tokens)

    # --- 1. base model
    base = Path(cfg.model) if cfg.model else out / "base_model"
    if not (base / "config.json").is_file():
        done = stage(f"building the small default model ({cfg.model_size})")
        build_small_model(base, size=cfg.model_size, seed=cfg.seed)
        done()

    # --- 2. SFT on expert demonstrations
    sft_dir = out / "sft_model"
    if not (sft_dir / "policy.json").is_file():
        done = stage(f"SFT on expert demonstrations of {cfg.sft_tasks} training tasks")
        samples, expert_eps = expert_samples(lambda: make_env(cfg.env_id, expert=True),
                                             [("train", i) for i in range(cfg.sft_tasks)], cfg.prompt,
                                             seed=cfg.seed)
        write_jsonl(out / "expert.jsonl", expert_eps)
        policy = load_policy(base)
        losses = train_sft(policy, samples, replace(cfg.sft, seed=cfg.seed), progress=progress)
        log(f"    {len(samples)} samples, loss {losses[0]:.3f} -> {losses[-1]:.3f}")
        _write_json(out / "sft_losses.json", losses)
        policy.save_pretrained(sft_dir)
        done()

    # --- 3. exploration with the SFT policy
    explore_file = out / "explore.jsonl"
    if not explore_file.is_file():
        done = stage(f"exploring {cfg.explore_tasks} training tasks x {cfg.explore_per_task} with the SFT policy")
        policy = load_policy(sft_dir)
        tasks = [("train", i) for i in range(cfg.explore_tasks) for _ in range(cfg.explore_per_task)]
        trajs = run_episodes(policy, recorded(env_train, "explore"), tasks, seed=cfg.seed + 1, n_envs=cfg.n_envs,
                             temperature=1.0, progress=progress, desc="exploring")
        explored = [t.episode for t in trajs]
        write_jsonl(explore_file, explored)
        log(f"    success rate while exploring: {episode_metrics(explored)['success_rate']:.1%}")
        done()

    # --- 4. the progress estimator, initialised from the SFT model
    est_dir = out / "estimator"
    if not (est_dir / "final" / "estimator.json").is_file():
        done = stage("fitting the progress estimator")
        episodes = read_jsonl(explore_file)
        n_valid = max(1, int(len(episodes) * cfg.estimator.valid_fraction)) if len(episodes) > 2 else 0
        estimator = ProgressEstimator.from_pretrained(sft_dir, device=cfg.device)
        e = cfg.estimator
        hist = train_estimator(estimator, episodes[n_valid:], episodes[:n_valid] or None,
                               EstimatorTrainingConfig(epochs=e.epochs, batch_size=e.batch_size,
                                                       learning_rate=e.learning_rate, patience=e.patience,
                                                       seed=cfg.seed, progress=progress),
                               out_dir=est_dir)
        _write_json(out / "estimator_history.json", hist)
        estimator.save(est_dir / "final")
        done()

    # --- 5. PPO with sparse and with SPA rewards: same budget, same seeds
    curves: dict[str, list[dict[str, float]]] = {}
    for arm in ("sparse", "spa"):
        reward = cfg.spa_reward if arm == "spa" else "sparse"
        run_dir = out / f"ppo_{arm}"
        if not (run_dir / "model" / "policy.json").is_file():
            done = stage(f"PPO with {reward} rewards ({cfg.ppo.iterations} iterations)")
            policy = load_policy(sft_dir)
            estimator = ProgressEstimator.load(est_dir / "final", device=cfg.device) if arm == "spa" else None
            ppo_cfg = replace(cfg.ppo, reward=reward, seed=cfg.seed, n_envs=min(cfg.ppo.n_envs, cfg.n_envs))
            history = train_ppo(policy, env_train, ppo_cfg, estimator=estimator, out_dir=run_dir, progress=progress)
            _write_json(run_dir / "history.json", history)
            policy.save_pretrained(run_dir / "model")
            done()
        curves[RUN_NAMES[arm]] = json.loads((run_dir / "history.json").read_text())

    # --- 6. evaluation on the fixed test tasks
    tasks = task_list(env_eval(), "test", cfg.eval_tasks)
    results: dict[str, dict[str, float]] = {}
    (out / "eval").mkdir(exist_ok=True)
    for name, path in (("SFT", sft_dir), (RUN_NAMES["sparse"], out / "ppo_sparse" / "model"),
                       (RUN_NAMES["spa"], out / "ppo_spa" / "model")):
        result_file = out / "eval" / f"{name}.json"
        if not result_file.is_file():
            done = stage(f"evaluating {name} on {len(tasks)} test tasks")
            metrics, episodes = evaluate(load_policy(path), recorded(env_eval, f"eval-{name}"), tasks, seed=cfg.seed,
                                         n_envs=cfg.n_envs, progress=progress, desc=f"eval {name}")
            write_jsonl(out / "eval" / f"{name}.jsonl", episodes)
            _write_json(result_file, metrics)
            done()
        results[name] = json.loads(result_file.read_text())

    # --- 7. (after the LLM rows) reward forms compared with SB3 on easy ALFWorld tasks, and the progress plot
    comparison, sections = _compare_rewards(cfg, out, log, stage) if cfg.comparison else ({}, [])

    wall = round(time.perf_counter() - started, 1)
    times.finish(wall)
    meta = {"env": cfg.env_id, "model": cfg.model or f"small default ({cfg.model_size}), built from seed {cfg.seed}",
            "seed": cfg.seed, "device": cfg.device, "torch threads": cfg.threads, "test tasks": len(tasks),
            "PPO budget": f"{cfg.ppo.iterations} iterations x {cfg.ppo.episodes_per_iteration} episodes",
            "wall time of this invocation (s)": wall, "invocations": times.invocations,
            "stage time, all invocations (s)": times.total(), "stage times (s)": times.per_stage()}
    paths = write_report(out, results, curves, meta, title=f"spa-gym demo on {cfg.env_id}", sections=sections,
                         extra={"sb3_comparison": comparison} if comparison else None)
    if comparison.get("progress_plot"):
        paths["progress_plot"] = out / comparison["progress_plot"]
    return {"results": results, "curves": curves, "paths": paths, "wall_s": wall, "comparison": comparison}


#: Reward arms of the demo's SB3 comparison (names of spa_gym.agents.sb3_comparison.ARMS).
COMPARISON_ARMS = ("sparse", "spa_potential", "oracle")
#: Noise levels of the noisy expert playing the progress plot's held-out episodes, one episode each.
PLOT_EPSILONS = (0.0, 0.3, 0.6, 1.0)


def _compare_rewards(cfg: DemoConfig, out: Path, log: Callable[[str], None],
                     stage: Callable[[str], Callable[[], None]]) -> tuple[dict[str, Any], list[str]]:
    """Stage 7: MaskablePPO with sparse, SPA (potential form) and oracle rewards on easy ALFWorld tasks, one
    seed (resumable per arm, under ``out/sb3_comparison``), and ``progress_plot.png``: SPA reward and the
    comparison's estimator against true progress on held-out episodes. Returns the report.json entry and the
    report.md sections."""
    import importlib.util

    from spa_gym.agents import sb3_comparison as sb3c
    from spa_gym.agents.progress_plot import plot_traces, trace_episode
    from spa_gym.progress.episodes import NoisyExpertPolicy

    ccfg = cfg.comparison
    heading = f"## Reward forms compared: MaskablePPO on {ccfg.train_tasks} easy ALFWorld tasks"
    if importlib.util.find_spec("sb3_contrib") is None:
        log("    SB3 comparison skipped: it needs the sb3 extra (pip install 'spa-gym[sb3]')")
        return {"skipped": "needs the sb3 extra"}, [heading, "", "Skipped: needs the sb3 extra "
                                                    "(`pip install 'spa-gym[sb3]'`).", ""]
    folder = out / "sb3_comparison"
    job, estimator = sb3c.run_seed_in_folder("alfworld", cfg.seed, COMPARISON_ARMS, ccfg, folder, log=log, stage=stage)
    summary = sb3c.summarise([job], COMPARISON_ARMS)

    traces_file, plot_file = folder / "progress_traces.json", out / "progress_plot.png"
    if not traces_file.is_file():
        done = stage(f"tracing {len(PLOT_EPSILONS)} held-out episodes against true progress")
        env = sb3c.make_text_env("alfworld", ccfg, expert=True)
        pool = job["tasks"]["held_out"] or [("train", t) for t in job["tasks"]["train"]]
        traces = [trace_episode(env, estimator, NoisyExpertPolicy(eps, seed=cfg.seed + i), seed=cfg.seed + i,
                                options={"split": split, "task_id": task_id}, label=f"noisy expert, epsilon {eps}")
                  for i, (eps, (split, task_id)) in enumerate(zip(PLOT_EPSILONS, pool * len(PLOT_EPSILONS)))]
        _write_json(traces_file, traces)
        done()
    traces = json.loads(traces_file.read_text())
    if not plot_file.is_file():
        plot_traces(traces, plot_file, title="ALFWorld held-out tasks: SPA reward (potential form) and estimated "
                                             "progress against true progress")

    stats = job["estimator"]
    entry = {"env": "alfworld", "seed": cfg.seed, "arms": summary, "headline": sb3c.headline(summary),
             "tasks": job["tasks"], "estimator": stats, "config": asdict(ccfg),
             "progress_plot": plot_file.name, "progress_traces": traces}
    spearman = ", ".join(f"{t['spearman']:.2f}" for t in traces)
    sections = [
        heading, "",
        f"Beside the LLM: a small policy (MaskablePPO over the admissible commands, hashed n-gram features) trained "
        f"on {len(job['tasks']['train'])} easy ALFWorld training tasks (`{ccfg.alfworld_task_type}`, at most "
        f"{ccfg.alfworld_max_receptacles} places) for {ccfg.total_timesteps} env steps per arm, seed {cfg.seed}; "
        f"only the reward differs. `sparse`: the env's reward; `spa_potential`: SPA's potential form with the "
        f"step-level progress estimator, trained on {stats['train_episodes']} mixed-outcome episodes of the training "
        f"tasks (validation AUC {stats['valid_auc']:.3f}); `oracle`: the env expert's true progress. Success with "
        f"sampled actions over {ccfg.eval_episodes} episodes per training task and {ccfg.heldout_eval_episodes} per "
        f"held-out task ({len(job['tasks']['held_out'])} tasks of the other splits), 95% Wilson intervals. More "
        f"seeds and arms: `benchmarks/spa_learning.py` (benchmarks/RESULTS.md).", "",
        sb3c.markdown_table(summary), "",
        *([sb3c.headline(summary), ""] if sb3c.headline(summary) else []),
        "## SPA reward and estimated progress against true progress", "",
        f"{len(traces)} episodes on held-out ALFWorld tasks, played by the env's expert with noise epsilon (a random "
        f"admissible command with probability epsilon); the estimator above; SPA reward "
        f"`clip(P_t, 0, 1) - clip(P_(t-1), 0, 1)` plus the env's final reward; true progress `1 - d_t / d_0` "
        f"(`d_t`: the expert's remaining plan length). (P_t, true progress) per episode: {spearman}.", "",
        f"![SPA reward and progress against true progress]({plot_file.name})", ""]
    return entry, sections


__all__ = ["DemoConfig", "EstimatorConfig", "PRESETS", "run_demo"]
