"""PPO for a multi-turn text agent, written out top to bottom (CleanRL style, no trainer framework).

One iteration:

1. **Roll out** ``episodes_per_iteration`` training tasks with the current policy (temperature 1),
   keeping per reply token its log-prob and value.
2. **Turn rewards.** Each episode's step rewards come from the chosen ``reward`` mode:
   ``sparse`` (the env's own reward, on the last step), ``spa`` (the paper's alpha * estimator
   contribution + beta * grounding), ``spa_potential`` (the potential form, which cannot be farmed),
   ``grounding`` or ``uniform`` — see ``spa_gym.wrappers.redistribution``.
3. **Token rewards.** A turn's reward is placed on the last token of its reply; every reply token
   also pays ``kl_coef * (log pi - log pi_ref)``, the KL penalty to the frozen SFT reference.
4. **GAE across the whole episode.** The reply tokens of all turns form one sequence. Inside a reply
   no discounting happens (gamma = lambda = 1 between tokens); ``gamma`` and ``gae_lambda`` apply
   between turns, so they mean "per environment step" as in ordinary RL.
5. **Update** for ``update_epochs`` over the turns in micro-batches: clipped policy objective,
   clipped value loss, entropy bonus; gradients accumulate over ``grad_accum`` micro-batches.
6. **Checkpoint** atomically, so a killed run resumes at the next iteration.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spa_gym.agents.rollout import Trajectory, run_episodes
from spa_gym.core.files import atomic_path
from spa_gym.progress.episodes import Episode

REWARD_MODES = ("sparse", "spa", "spa_potential", "grounding", "uniform")
CHECKPOINT_FILE = "ppo_checkpoint.pt"


@dataclass
class PPOConfig:
    """Hyper-parameters of :func:`train_ppo` (defaults suit the small CPU model on ALFWorld)."""

    reward: str = "spa"  # turn reward: "sparse", "spa", "spa_potential", "grounding" or "uniform"
    iterations: int = 10  # rollout + update rounds
    episodes_per_iteration: int = 16  # episodes collected per iteration
    n_envs: int = 16  # environments played at once (one generation batch)
    train_split: str = "train"  # tasks are drawn from this split
    num_train_tasks: int | None = None  # draw only from the first N tasks of the split (None: all)
    temperature: float = 1.0  # rollout sampling temperature (1.0 keeps PPO's ratios exact)
    top_p: float = 1.0  # rollout nucleus sampling (1.0 keeps PPO's ratios exact)
    update_epochs: int = 2  # passes over the iteration's turns
    minibatch_turns: int = 16  # turns per micro-batch (one forward/backward)
    grad_accum: int = 2  # micro-batches per optimiser step
    learning_rate: float = 1e-4  # AdamW learning rate (policy and value head)
    gamma: float = 0.95  # discount per environment step
    gae_lambda: float = 0.95  # GAE lambda per environment step
    clip_coef: float = 0.2  # PPO ratio clip
    value_clip: float = 0.2  # value-prediction clip around the rollout value (0 disables)
    vf_coef: float = 0.5  # weight of the value loss
    ent_coef: float = 0.0  # weight of the entropy bonus
    kl_coef: float = 0.05  # KL penalty to the SFT reference, paid per reply token
    max_grad_norm: float = 1.0  # gradient clipping
    normalize_advantages: bool = True  # whiten advantages over the iteration's tokens
    alpha: float = 1.0  # spa: weight of the estimator's contribution
    beta: float = 0.5  # spa: weight of the grounding signal
    seed: int = 0  # task draws and sampling (iteration i uses seeds derived from (seed, i))

    def __post_init__(self) -> None:
        if self.reward not in REWARD_MODES:
            raise ValueError(f"reward must be one of {', '.join(REWARD_MODES)}; got {self.reward!r}")
        for name in ("iterations", "episodes_per_iteration", "n_envs", "update_epochs", "minibatch_turns",
                     "grad_accum"):
            if getattr(self, name) < (0 if name == "iterations" else 1):
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


# ---------------------------------------------------------------------------------------- rewards
def turn_rewards(episodes: Sequence[Episode], mode: str, estimator: Any = None, alpha: float = 1.0,
                 beta: float = 0.5) -> list[list[float]]:
    """Per-step rewards of each episode under ``mode`` (see :data:`REWARD_MODES`).

    >>> from spa_gym.progress.episodes import Step
    >>> ep = Episode("t", "o", [Step("a", "x", True), Step("b", "y", False, 1.0)], 1.0, True)
    >>> turn_rewards([ep], "sparse"), turn_rewards([ep], "grounding", beta=0.5)
    ([[0.0, 1.0]], [[0.5, 1.0]])
    """
    if mode in ("spa", "spa_potential") and estimator is None:
        raise ValueError(f"reward mode {mode!r} needs a progress estimator (fit one first: spa-gym fit-estimator)")
    from spa_gym.wrappers.redistribution import redistribute_batch

    # The estimator scores all episodes of the iteration in batches (its forward pass is the cost here).
    return [[float(r) for r in rewards]
            for rewards in redistribute_batch(episodes, mode, estimator=estimator, alpha=alpha, beta=beta)]


def episode_advantages(rewards: np.ndarray, values: np.ndarray, turn_end: np.ndarray, gamma: float,
                       lam: float) -> np.ndarray:
    """GAE over one episode's reply tokens; discounting happens only across turn boundaries.

    The episode's last token bootstraps from 0 (episodes are played to the end or to the step limit).

    >>> episode_advantages(np.array([0., 1.]), np.zeros(2), np.array([False, True]), 0.9, 0.9).tolist()
    [1.0, 1.0]
    >>> episode_advantages(np.array([0., 1.]), np.zeros(2), np.array([True, True]), 0.5, 1.0).tolist()
    [0.5, 1.0]
    """
    adv = np.zeros_like(rewards)
    running, next_value = 0.0, 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g, l = (gamma, lam) if turn_end[t] else (1.0, 1.0)
        delta = rewards[t] + g * next_value - values[t]
        running = delta + g * l * running
        adv[t] = running
        next_value = values[t]
    return adv


# ---------------------------------------------------------------------------------------- checkpoints
def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file, then rename: a kill leaves the old checkpoint or the new one."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _trainable(policy: Any) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().clone() for n, p in policy.named_parameters() if p.requires_grad}


# ---------------------------------------------------------------------------------------- training
def train_ppo(policy: Any, env_fn: Callable[[], Any], config: PPOConfig = PPOConfig(), *,
              estimator: Any = None, out_dir: str | os.PathLike | None = None, progress: bool = False,
              callback: Callable[[int, dict[str, float]], None] | None = None,
              rollout_fn: Callable[..., list[Trajectory]] = run_episodes,
              rewards_fn: Callable[[list[Trajectory]], list[list[float]]] | None = None) -> list[dict[str, float]]:
    """Train ``policy`` (an ``LLMPolicy`` fresh from SFT) with PPO; returns one metrics dict per iteration.

    ``rollout_fn`` plays the iteration's episodes, with :func:`~spa_gym.agents.rollout.run_episodes`'
    signature (``spa_gym.distributed.ppo.ray_rollout_fn`` plays them on Ray workers). ``rewards_fn`` gives the
    per-step rewards of the played trajectories when the rollouts scored them as they ran
    (``spa_gym.distributed.ppo.online_rewards``: Ray's estimator actor); by default they are scored after the
    rollouts (:func:`turn_rewards`).

    With ``out_dir``, a checkpoint is written after every iteration and a call with the same
    arguments resumes from it (the finished iterations are not repeated).
    """
    from spa_gym.core.bars import progress_bar

    # --- the frozen reference for the KL penalty: the SFT policy as it is now
    lora = hasattr(policy.model, "disable_adapter")
    reference = None if lora else copy.deepcopy(policy.model).eval().requires_grad_(False)
    params = [p for p in policy.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, eps=1e-6)
    history: list[dict[str, float]] = []
    start = 0
    ckpt = Path(out_dir) / CHECKPOINT_FILE if out_dir is not None else None
    if ckpt is not None and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["config"] != asdict(config):
            raise ValueError(f"{ckpt} was written with other PPO settings; use another --out or delete it")
        named = dict(policy.named_parameters())
        with torch.no_grad():
            for name, value in state["trainable"].items():
                named[name].copy_(value)
        optimizer.load_state_dict(state["optimizer"])
        history, start = state["history"], state["iteration"]
    probe = env_fn()
    n_tasks = config.num_train_tasks or probe.unwrapped.task_set.size(config.train_split)
    probe.close()

    def reference_logprobs(trajs: list[Trajectory]) -> list[torch.Tensor]:
        turns = [t for tr in trajs for t in tr.turns]
        out: list[torch.Tensor] = []
        with torch.no_grad():
            for i in range(0, len(turns), config.minibatch_turns):
                chunk = turns[i: i + config.minibatch_turns]
                prompts, responses = [t.prompt_ids for t in chunk], [t.response_ids for t in chunk]
                if reference is None:
                    out += policy.score(prompts, responses, with_values=False, reference=True)["logprobs"]
                else:
                    live, policy.model = policy.model, reference
                    try:
                        out += policy.score(prompts, responses, with_values=False)["logprobs"]
                    finally:
                        policy.model = live
        return out

    # The iteration bar moves once per iteration (minutes); the rollouts and the update show their own bars.
    bar = progress_bar(range(start, config.iterations), desc=f"PPO ({config.reward})", disable=not progress,
                       unit="it", initial=start, total=config.iterations)
    for iteration in bar:
        timings = {"generation": 0.0, "env": 0.0}
        t0 = time.perf_counter()
        # --- 1. rollouts on training tasks drawn from (seed, iteration): resuming redraws the same ones
        task_rng = np.random.default_rng([config.seed, iteration])
        tasks = [(config.train_split, int(i)) for i in task_rng.integers(0, n_tasks, config.episodes_per_iteration)]
        trajs = rollout_fn(policy, env_fn, tasks, seed=config.seed * 1_000_003 + iteration * 1009,
                           n_envs=config.n_envs, temperature=config.temperature, top_p=config.top_p,
                           timings=timings, progress=progress,
                           desc=f"PPO ({config.reward}) {iteration + 1}/{config.iterations}: rollouts")
        episodes = [tr.episode for tr in trajs]
        # --- 2. turn rewards (scored now, or during the rollouts when the rollout function did: rewards_fn)
        t1 = time.perf_counter()
        rewards = (turn_rewards(episodes, config.reward, estimator, config.alpha, config.beta) if rewards_fn is None
                   else rewards_fn(trajs))
        t2 = time.perf_counter()
        # --- 3. token rewards with the KL penalty, 4. GAE per episode
        ref_logps = reference_logprobs(trajs)
        turns, advantages, returns, old_logps, old_values = [], [], [], [], []
        k = 0
        kl_sum, kl_tokens = 0.0, 0
        for tr, ep_rewards in zip(trajs, rewards):
            logp = np.concatenate([np.asarray(t.logprobs, dtype=np.float64) for t in tr.turns])
            values = np.concatenate([np.asarray(t.values, dtype=np.float64) for t in tr.turns])
            ref = torch.cat(ref_logps[k: k + len(tr.turns)]).double().cpu().numpy()
            k += len(tr.turns)
            kl = logp - ref
            kl_sum, kl_tokens = kl_sum + kl.sum(), kl_tokens + len(kl)
            token_rewards = -config.kl_coef * kl
            turn_end = np.zeros(len(logp), dtype=bool)
            ends = np.cumsum([len(t.response_ids) for t in tr.turns]) - 1
            turn_end[ends] = True
            token_rewards[ends] += np.asarray(ep_rewards, dtype=np.float64)
            adv = episode_advantages(token_rewards, values, turn_end, config.gamma, config.gae_lambda)
            ret = adv + values
            pos = 0
            for t in tr.turns:
                n = len(t.response_ids)
                turns.append(t)
                advantages.append(adv[pos: pos + n])
                returns.append(ret[pos: pos + n])
                old_logps.append(logp[pos: pos + n])
                old_values.append(values[pos: pos + n])
                pos += n
        if config.normalize_advantages:
            flat = np.concatenate(advantages)
            mean, std = flat.mean(), flat.std() + 1e-8
            advantages = [(a - mean) / std for a in advantages]
        t3 = time.perf_counter()
        # --- 5. PPO update
        policy.train()
        dev = policy.device
        stats = {"pg_loss": [], "value_loss": [], "entropy": [], "approx_kl": [], "clipfrac": []}
        # Seeded per iteration (not one stream for the run), so a resumed run shuffles like an unbroken one.
        rng_torch = torch.Generator().manual_seed(config.seed * 1_000_003 + iteration)
        update_bar = progress_bar(total=config.update_epochs * math.ceil(len(turns) / config.minibatch_turns),
                                  desc=f"PPO ({config.reward}) {iteration + 1}/{config.iterations}: update",
                                  disable=not progress, unit="batch", leave=False)
        for _ in range(config.update_epochs):
            order = torch.randperm(len(turns), generator=rng_torch).tolist()
            n_micro = math.ceil(len(order) / config.minibatch_turns)
            optimizer.zero_grad(set_to_none=True)
            for m in range(n_micro):
                idx = order[m * config.minibatch_turns: (m + 1) * config.minibatch_turns]
                out = policy.score([turns[i].prompt_ids for i in idx], [turns[i].response_ids for i in idx])
                new_logp, new_values, entropy = (torch.cat(out[key]) for key in ("logprobs", "values", "entropy"))
                adv = torch.as_tensor(np.concatenate([advantages[i] for i in idx]), dtype=torch.float32, device=dev)
                ret = torch.as_tensor(np.concatenate([returns[i] for i in idx]), dtype=torch.float32, device=dev)
                old_lp = torch.as_tensor(np.concatenate([old_logps[i] for i in idx]), dtype=torch.float32, device=dev)
                old_v = torch.as_tensor(np.concatenate([old_values[i] for i in idx]), dtype=torch.float32, device=dev)
                log_ratio = new_logp - old_lp
                ratio = log_ratio.exp()
                pg_loss = torch.max(-adv * ratio,
                                    -adv * ratio.clamp(1 - config.clip_coef, 1 + config.clip_coef)).mean()
                if config.value_clip > 0:
                    v_clipped = old_v + (new_values - old_v).clamp(-config.value_clip, config.value_clip)
                    value_loss = 0.5 * torch.max((new_values - ret) ** 2, (v_clipped - ret) ** 2).mean()
                else:
                    value_loss = 0.5 * ((new_values - ret) ** 2).mean()
                loss = pg_loss + config.vf_coef * value_loss - config.ent_coef * entropy.mean()
                (loss / config.grad_accum).backward()
                if (m + 1) % config.grad_accum == 0 or m == n_micro - 1:
                    torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                with torch.no_grad():
                    stats["pg_loss"].append(pg_loss.item())
                    stats["value_loss"].append(value_loss.item())
                    stats["entropy"].append(entropy.mean().item())
                    stats["approx_kl"].append(((ratio - 1) - log_ratio).mean().item())
                    stats["clipfrac"].append(((ratio - 1).abs() > config.clip_coef).float().mean().item())
                update_bar.update(1)
        update_bar.close()
        policy.eval()
        t4 = time.perf_counter()
        # --- metrics, 6. checkpoint
        n_steps = sum(len(ep) for ep in episodes)
        metrics = {
            "iteration": iteration + 1,
            "success_rate": float(np.mean([ep.won for ep in episodes])),
            "env_return": float(np.mean([ep.final_reward for ep in episodes])),
            "shaped_return": float(np.mean([sum(r) for r in rewards])),
            "grounding": sum(s.action_valid for ep in episodes for s in ep.steps) / max(1, n_steps),
            "mean_steps": n_steps / max(1, len(episodes)),
            "kl_to_ref": float(kl_sum / max(1, kl_tokens)),
            "reply_tokens": float(sum(len(t.response_ids) for t in turns)),
            "prompt_tokens": float(sum(len(t.prompt_ids) for t in turns)),
            **{k: float(np.mean(v)) for k, v in stats.items()},
            "time_generation": timings["generation"], "time_env": timings["env"],
            "time_rewards": t2 - t1 + timings.get("rewards", 0.0), "time_reference": t3 - t2, "time_update": t4 - t3,
            "time_total": t4 - t0,
        }
        history.append(metrics)
        bar.set_postfix(success=f"{metrics['success_rate']:.2f}", kl=f"{metrics['kl_to_ref']:.3f}")
        if ckpt is not None:
            save_checkpoint(ckpt, {"iteration": iteration + 1, "config": asdict(config), "history": history,
                                   "trainable": _trainable(policy), "optimizer": optimizer.state_dict()})
        if callback is not None:
            callback(iteration, metrics)
    bar.close()
    return history


__all__ = ["PPOConfig", "REWARD_MODES", "episode_advantages", "save_checkpoint", "train_ppo", "turn_rewards"]
