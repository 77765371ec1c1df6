"""Supervised fine-tuning on expert demonstrations: the agent learns to answer like the env's expert.

Each expert step becomes one sample: the prompt the agent would see at that step (same prompt
builder, same history truncation as at play time) and the expert's command as the reply. The loss
is the cross-entropy of the reply tokens only (the agent's turn, end-of-turn marker included);
prompt tokens carry no loss.

>>> from spa_gym.progress.toy import CountingEnv
>>> samples, episodes = expert_samples(lambda: CountingEnv(expert=True), [("train", 0), ("train", 1)])
>>> len(samples) == sum(len(ep) for ep in episodes), samples[0].reply
(True, 'go up')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from spa_gym.agents.parsing import expert_reply
from spa_gym.agents.prompts import PromptConfig, build_messages
from spa_gym.progress.episodes import Episode, Step


@dataclass
class SFTConfig:
    """Hyper-parameters of :func:`train_sft`."""

    epochs: float = 3.0  # passes over the samples (fractions allowed: 0.5 = half a pass)
    learning_rate: float = 1e-3  # peak AdamW learning rate (a small model from scratch wants it high)
    batch_size: int = 16  # samples per optimiser step
    weight_decay: float = 0.0  # AdamW weight decay
    warmup_frac: float = 0.05  # share of steps with a linear warm-up; cosine decay to 10% after it
    max_grad_norm: float = 1.0  # gradient clipping
    seed: int = 0  # shuffling order


@dataclass
class SFTSample:
    """One supervised turn: the chat messages before it and the reply to learn."""

    messages: list[dict[str, str]]
    reply: str


def expert_samples(env_fn: Callable[[], Any], tasks: Sequence[tuple[str, int]],
                   prompt_config: PromptConfig = PromptConfig(), seed: int = 0,
                   max_steps: int | None = None) -> tuple[list[SFTSample], list[Episode]]:
    """Play the expert (``info["expert_action"]``; make the env with ``expert=True``) on ``tasks``.

    Returns the SFT samples and the expert episodes (for JSONL files and estimator training).
    Only episodes the expert wins contribute samples.
    """
    env = env_fn()
    samples: list[SFTSample] = []
    episodes: list[Episode] = []
    for i, (split, task_id) in enumerate(tasks):
        obs, info = env.reset(seed=seed + i, options={"split": split, "task_id": int(task_id)})
        if "expert_action" not in info:
            raise ValueError("expert demonstrations need an env made with expert=True")
        ep = Episode(task=str(info["task"]), observation=obs, split=split, task_id=int(task_id),
                     env_id=getattr(getattr(env, "spec", None), "id", "") or "", state=str(info.get("state_hash", "")))
        history: list[tuple[str, str]] = []
        ep_samples = []
        done = False
        while not done and info.get("expert_action") is not None and (max_steps is None or len(ep) < max_steps):
            action = str(info["expert_action"])
            reply = expert_reply(action, prompt_config.reply_style)
            ep_samples.append(SFTSample(build_messages(ep.task, ep.observation, history, prompt_config,
                                                       info.get("admissible_commands")), reply))
            obs, reward, terminated, truncated, info = env.step(action)
            ep.steps.append(Step(action, obs, bool(info["action_valid"]), float(reward), str(info.get("state_hash", ""))))
            ep.final_reward += float(reward)
            history.append((reply, obs))
            done = terminated or truncated
        ep.won = bool(info.get("won", False))
        episodes.append(ep)
        if ep.won:
            samples += ep_samples
    env.close()
    return samples, episodes


def sft_loss(policy: Any, prompts: Sequence[list[int]], targets: Sequence[list[int]]) -> torch.Tensor:
    """Mean negative log-likelihood of the target tokens (prompt tokens carry no loss)."""
    logprobs = policy.score(prompts, targets, with_values=False)["logprobs"]
    return -torch.cat(logprobs).mean()


def train_sft(policy: Any, samples: Sequence[SFTSample], config: SFTConfig = SFTConfig(), *,
              progress: bool = False, callback: Callable[[int, float], None] | None = None) -> list[float]:
    """Fine-tune ``policy`` on ``samples``; returns the loss of every optimiser step.

    ``callback(step, loss)`` is called after each step (the CLI uses it for its progress bar).
    """
    from spa_gym.core.bars import progress_bar

    if not samples:
        raise ValueError("no SFT samples: the expert won no episode on the given tasks")
    data = [(policy.encode_prompt(s.messages), policy.encode_target(s.messages, s.reply)) for s in samples]
    steps_per_epoch = math.ceil(len(data) / config.batch_size)
    total = max(1, round(config.epochs * steps_per_epoch))
    params = [p for p in policy.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    warmup = max(1, int(config.warmup_frac * total))

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    generator = torch.Generator().manual_seed(config.seed)
    order: list[int] = []
    losses: list[float] = []
    policy.train()
    for step in progress_bar(range(total), desc="SFT", disable=not progress, unit="step", leave=False):
        if len(order) < config.batch_size:
            order += torch.randperm(len(data), generator=generator).tolist()
        batch, order = order[: config.batch_size], order[config.batch_size:]
        loss = sft_loss(policy, [data[i][0] for i in batch], [data[i][1] for i in batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if callback is not None:
            callback(step, losses[-1])
    policy.eval()
    return losses


__all__ = ["SFTConfig", "SFTSample", "expert_samples", "sft_loss", "train_sft"]
