"""Preference training on RRO data: step-level DPO on the rising-reward pairs plus SFT on the rising steps.

RRO (arXiv 2505.20737) trains the policy on what the rising-reward collector found: at step ``t`` the
prompt is what the agent saw, the candidate that rose is *chosen* and every candidate sampled before it
(a lower process reward) is *rejected*. The loss of one optimiser step is

    DPO:  -log sigmoid(beta * [(log pi(y_c|x) - log pi_ref(y_c|x)) - (log pi(y_r|x) - log pi_ref(y_r|x))])
    SFT:  -(1 / |y|) log pi(y|x) over the rising steps' chosen replies (prompt tokens carry no loss)
    loss = DPO + sft_weight * SFT

``log pi(y|x)`` is the summed log-probability of the reply tokens (end-of-turn included). ``pi_ref`` is the
policy as training starts; its log-probs are computed once and kept with the checkpoint. Most steps rise at
the first sample and have no pair, which is why the rising steps also enter as SFT samples.

Why our own loss rather than TRL's ``DPOTrainer`` (trl 1.16 installs beside torch 2.13 / transformers 5.24 and
runs on our policy folders; checked, see benchmarks/RESULTS.md): it tokenizes the reply on its own and ends
it with the tokenizer's EOS (``</s>``), while our policy, its SFT targets and play end a turn with the chat
template's end-of-turn marker (``<|end|>``), so DPO would train a different token sequence from the one the
agent generates; the SFT half (steps without pairs) would need a second trainer; and it would bring
``datasets`` / ``pyarrow`` / ``pandas`` for a loss of a few lines. Here both losses go through
:meth:`~spa_gym.agents.policy.LLMPolicy.score` on the same token ids as SFT and play.

Resumable: after every epoch ``train_state.pt`` (weights, optimiser, reference log-probs, history) is
replaced atomically; running again with the same data and config continues after the last finished epoch.
The final model is written to ``out/model``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from spa_gym.agents.rro.records import RROStep, preference_pairs, sft_samples
from spa_gym.core.files import atomic_path, write_text_atomic

STATE_FILE = "train_state.pt"


@dataclass
class RROTrainConfig:
    """Hyper-parameters of :func:`train_rro`."""

    epochs: int = 3  # passes over the pairs (or the SFT samples, whichever are more)
    learning_rate: float = 1e-4  # constant AdamW learning rate (a small model from scratch wants ~1e-3)
    batch_size: int = 8  # pairs per optimiser step, and as many SFT samples
    beta: float = 0.1  # DPO temperature: scale of the implicit reward beta * log(pi / pi_ref)
    sft_weight: float = 1.0  # weight of the SFT loss on the rising steps (0: DPO alone)
    min_margin: float = 0.0  # keep pairs whose process-reward gap is larger than this
    weight_decay: float = 0.0  # AdamW weight decay
    max_grad_norm: float = 1.0  # gradient clipping
    seed: int = 0  # shuffling order (epoch e shuffles with seed and e, so a resumed run shuffles the same)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}")
        if self.beta <= 0 or self.sft_weight < 0:
            raise ValueError(f"need beta > 0 and sft_weight >= 0, got {self.beta}, {self.sft_weight}")


def dpo_loss(chosen: torch.Tensor, rejected: torch.Tensor, ref_chosen: torch.Tensor, ref_rejected: torch.Tensor,
             beta: float) -> torch.Tensor:
    """Mean DPO loss of a batch of sequence log-probs (policy and reference, chosen and rejected).

    >>> z = torch.zeros(2)
    >>> round(dpo_loss(z, z, z, z, 0.1).item(), 4)  # no preference yet: log 2
    0.6931
    >>> bool(dpo_loss(z + 1, z, z, z, 0.1) < dpo_loss(z, z, z, z, 0.1))  # chosen more likely: lower loss
    True
    """
    return -F.logsigmoid(beta * ((chosen - ref_chosen) - (rejected - ref_rejected))).mean()


def _sequence_logprobs(policy: Any, prompts: Sequence[list[int]], replies: Sequence[list[int]]) -> torch.Tensor:
    return torch.stack([lp.sum() for lp in policy.score(prompts, replies, with_values=False)["logprobs"]])


@torch.no_grad()
def _all_logprobs(policy: Any, pairs: Sequence[tuple[list[int], list[int], list[int]]],
                  batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed log-probs of every pair's chosen and rejected reply (eval mode, no gradients)."""
    was_training = policy.training
    policy.eval()
    chosen, rejected = [], []
    for i in range(0, len(pairs), batch_size):
        batch = pairs[i: i + batch_size]
        prompts = [p for p, _, _ in batch]
        both = _sequence_logprobs(policy, prompts + prompts, [c for _, c, _ in batch] + [r for _, _, r in batch])
        chosen.append(both[: len(batch)].cpu())
        rejected.append(both[len(batch):].cpu())
    policy.train(was_training)
    empty = torch.zeros(0)
    return (torch.cat(chosen) if chosen else empty), (torch.cat(rejected) if rejected else empty)


def _fingerprint(pairs: Sequence[Any], sft: Sequence[Any]) -> str:
    return hashlib.sha256(json.dumps([pairs, sft]).encode()).hexdigest()[:16]


def train_rro(policy: Any, steps: Sequence[RROStep], out: str | os.PathLike,
              config: RROTrainConfig = RROTrainConfig(), *, supervised: Sequence[Any] | None = None,
              progress: bool = False,
              callback: Callable[[dict[str, float]], None] | None = None) -> list[dict[str, float]]:
    """Train ``policy`` (an :class:`~spa_gym.agents.policy.LLMPolicy`) on RRO ``steps``; resumes from ``out``.

    Returns one entry per epoch (epoch 0: before training): ``dpo_loss`` and ``sft_loss`` (means over the
    epoch's optimiser steps), ``margin`` (mean ``log pi(chosen) - log pi(rejected)`` over all pairs after
    the epoch), ``reward_accuracy`` (share of pairs whose DPO implicit reward prefers the chosen reply).
    ``callback(entry)`` is called after each epoch. ``supervised``: the SFT half's samples (anything with
    ``messages`` and ``reply``, e.g. :class:`~spa_gym.agents.sft.SFTSample` expert turns) in place of the rising
    steps' own.
    """
    from spa_gym.core.bars import progress_bar

    out = Path(out)
    raw_pairs = preference_pairs(steps, min_margin=config.min_margin)
    pairs = [(policy.encode_prompt(p["messages"]), policy.encode_target(p["messages"], p["chosen"]),
              policy.encode_target(p["messages"], p["rejected"])) for p in raw_pairs]
    if supervised is None:
        supervised = sft_samples(steps)
    sft = [(policy.encode_prompt(s.messages), policy.encode_target(s.messages, s.reply)) for s in supervised]
    if not pairs and not sft:
        raise ValueError("no RRO training data: the steps hold no preference pair and no rising step")
    fingerprint = _fingerprint(pairs, sft)
    params = [p for p in policy.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)

    state_path = out / STATE_FILE
    if state_path.is_file():
        state = torch.load(state_path, weights_only=False)
        if state["config"] != asdict(config) or state["fingerprint"] != fingerprint:
            raise ValueError(f"{state_path} was written for other data or another config; "
                             "use another --out or remove it to start over")
        policy.load_state_dict(state["policy"])
        optimizer.load_state_dict(state["optimizer"])
        ref_chosen, ref_rejected, history = state["ref_chosen"], state["ref_rejected"], state["history"]
    else:
        ref_chosen, ref_rejected = _all_logprobs(policy, pairs, config.batch_size)
        margin = (ref_chosen - ref_rejected).mean().item() if pairs else 0.0
        history = [{"epoch": 0, "dpo_loss": math.log(2) if pairs else 0.0, "sft_loss": None,
                    "margin": margin, "reward_accuracy": 0.0}]

    steps_per_epoch = math.ceil(max(len(pairs), len(sft)) / config.batch_size)
    first_epoch = len(history)
    for epoch in progress_bar(range(first_epoch, config.epochs + 1), desc="RRO DPO+SFT", unit="epoch",
                              disable=not progress, leave=False):
        generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        streams = {"pairs": [], "sft": []}

        def take(name: str, n_items: int) -> list[int]:
            # Cycle through a fresh permutation whenever a stream runs out (the shorter one repeats).
            while len(streams[name]) < config.batch_size:
                streams[name] += torch.randperm(n_items, generator=generator).tolist()
            batch, streams[name] = streams[name][: config.batch_size], streams[name][config.batch_size:]
            return batch

        policy.train()
        dpo_losses, sft_losses = [], []
        for _ in range(steps_per_epoch):
            loss = torch.zeros((), device=policy.device)
            if pairs:
                idx = take("pairs", len(pairs))
                prompts = [pairs[i][0] for i in idx]
                both = _sequence_logprobs(policy, prompts + prompts,
                                          [pairs[i][1] for i in idx] + [pairs[i][2] for i in idx])
                dpo = dpo_loss(both[: len(idx)], both[len(idx):], ref_chosen[idx].to(both.device),
                               ref_rejected[idx].to(both.device), config.beta)
                loss = loss + dpo
                dpo_losses.append(dpo.item())
            if sft and config.sft_weight > 0:
                idx = take("sft", len(sft))
                nll = -torch.cat(policy.score([sft[i][0] for i in idx], [sft[i][1] for i in idx],
                                              with_values=False)["logprobs"]).mean()
                loss = loss + config.sft_weight * nll
                sft_losses.append(nll.item())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
        chosen, rejected = _all_logprobs(policy, pairs, config.batch_size)
        implicit = (chosen - ref_chosen) - (rejected - ref_rejected)
        entry = {"epoch": epoch, "dpo_loss": _mean(dpo_losses), "sft_loss": _mean(sft_losses),
                 "margin": (chosen - rejected).mean().item() if pairs else 0.0,
                 "reward_accuracy": (implicit > 0).float().mean().item() if pairs else 0.0}
        history.append(entry)
        with atomic_path(state_path) as tmp:
            torch.save({"config": asdict(config), "fingerprint": fingerprint, "policy": policy.state_dict(),
                        "optimizer": optimizer.state_dict(), "ref_chosen": ref_chosen,
                        "ref_rejected": ref_rejected, "history": history}, tmp)
        if callback is not None:
            callback(entry)
    policy.eval()
    if not (out / "model").is_dir() or first_epoch <= config.epochs:
        policy.save_pretrained(out / "model")
    write_text_atomic(out / "history.json", json.dumps({"config": asdict(config), "pairs": len(pairs),
                                                        "sft_samples": len(sft), "history": history}, indent=2))
    return history


def _mean(values: Sequence[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None


__all__ = ["RROTrainConfig", "dpo_loss", "train_rro"]
