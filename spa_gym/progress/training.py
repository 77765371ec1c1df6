"""Training a :class:`ProgressEstimator` with the SPA objective.

For an episode with final reward ``R`` and predicted step contributions ``c_1..c_T`` (cumulative progress
``P_t = c_1 + ... + c_t``), four objectives are offered (``EstimatorTrainingConfig.objective``):

* ``"spa"``, the paper's: ``(P_T - R) ** 2``. Only the sum is constrained, so where the credit lands is
  left to the model; on data where every success ends with a goal-completing step, "all credit on the
  last step" meets it almost exactly (measured in benchmarks/RESULTS.md).
* ``"value"``: ``mean_t (P_t - R) ** 2`` over every prefix, ``t = 1..T`` — a Monte-Carlo value target.
  Its minimiser is ``P_t = E[R | steps 1..t]``: the chance that an episode in that position ends in
  success, which rises as the agent gets closer to the goal. ``P_T`` is still fit to ``R``, so the
  contributions still sum to the final reward; the other prefixes give the model a target at every step.

* ``"uniform_prefix"``: ``mean_t (P_t - R * t / T) ** 2``, every prefix regressed to the share of ``R`` that
  the uniform split would have paid by step ``t``.
* ``"hindsight"``: ``mean_t (P_t - y_t) ** 2`` with ``y_t`` read off the training episodes themselves
  (:func:`spa_gym.progress.hindsight.hindsight_targets`: the share of the way to a state some episode of the
  same task won from, ``y_T = R``), so failed episodes teach which of their steps were good too (the
  step-level estimator's default; measured in benchmarks/RESULTS.md).

Each is averaged over a batch of episodes, episode ``i`` weighted by ``w_i``: 1 for an episode with a positive
final reward, ``failure_weight`` for the others (the mean of ``w_i * loss_i``). A failed episode's prefixes all
have target 0, though many of them made real progress before the episode ran out of steps; weighting them
down (0.3 for the step-level estimator) lifted the held-out per-episode Spearman on all three envs
(benchmarks/RESULTS.md). Nothing tells the model which step earned the reward.

The loop reads top to bottom: shuffle, batch, loss, step (the learning rate constant or on a cosine decay to 0
over ``epochs``, ``lr_schedule``); validate once per epoch; with ``keep_best``, keep the best weights and stop
when validation has not improved for ``patience`` epochs, else run every epoch and keep the last weights. Both
estimators default to the first way (constant rate, best weights); the cosine schedule with the last weights
was measured for the step-level estimator and lost on held-out WebShop progress ranking (benchmarks/RESULTS.md). With ``out_dir`` it writes
``out_dir/checkpoint/`` (resumable: weights, optimizer, history; replaced atomically at the end of each
epoch) and ``out_dir/best/`` (a :meth:`ProgressEstimator.save` folder); calling again with the same
``out_dir`` resumes after the last finished epoch.

>>> from spa_gym.progress import ProgressEstimator, collect_episodes, NoisyExpertPolicy
>>> from spa_gym.progress.toy import CountingEnv
>>> episodes = collect_episodes(CountingEnv(expert=True), NoisyExpertPolicy(0.6), 6, seed=0, progress=False)
>>> est = ProgressEstimator.default(size="tiny", seed=0)
>>> history = train_estimator(est, episodes[:4], episodes[4:], EstimatorTrainingConfig(epochs=2, progress=False))
>>> len(history["train_loss"]), len(history["valid_loss"])
(2, 2)
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from spa_gym.core.files import atomic_path
from spa_gym.progress.episodes import Episode
from spa_gym.progress.estimator import ProgressEstimator


@dataclass
class EstimatorTrainingConfig:
    """Hyper-parameters of :func:`train_estimator`."""

    epochs: int = 10
    """Passes over the training episodes, at most."""
    batch_size: int = 8
    """Episodes per gradient step."""
    learning_rate: float | None = None
    """AdamW learning rate (backbone and head); None: the estimator's ``training_defaults`` (3e-4 for the LM
    estimator, 3e-3 for the step-level one)."""
    head_learning_rate: float | None = None
    """Learning rate of the scalar head; None uses 10 x ``learning_rate`` (a fresh head must move further)."""
    weight_decay: float | None = None
    """AdamW weight decay; None: the estimator's ``training_defaults`` (0.01 LM, 0.1 step-level)."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (the SPA loss spikes on long failed episodes)."""
    objective: str | None = None
    """One of :data:`OBJECTIVES`; None: the estimator's ``training_defaults`` (``"spa"``, the paper's, for the LM
    estimator; ``"hindsight"`` for the step-level one, chosen by benchmarks/progress_quality.py)."""
    failure_weight: float | None = None
    """Loss weight of an episode whose final reward is not positive (1.0 for the others); None: the estimator's
    ``training_defaults`` (1.0 for the LM estimator, 0.3 for the step-level one)."""
    lr_schedule: str | None = None
    """``"constant"`` or ``"cosine"`` (per optimiser step, from the learning rate down to 0 at the end of
    ``epochs``); None: the estimator's ``training_defaults`` (constant for both kinds)."""
    keep_best: bool | None = None
    """With validation episodes: True ends with the best-validation weights and stops early after ``patience``
    epochs without improvement; False runs every epoch and keeps the last weights (validation is still
    reported). None: the estimator's ``training_defaults`` (True for both kinds)."""
    freeze_backbone: bool = False
    """Train the head only (a linear probe on the backbone's features)."""
    patience: int = 3
    """Epochs without validation improvement before stopping early; 0 never stops early."""
    min_delta: float = 1e-4
    """Smallest drop of validation loss that counts as an improvement."""
    eval_batch_size: int = 16
    """Episodes per forward pass when validating."""
    seed: int = 0
    """Seeds the order of training episodes."""
    progress: bool = True
    """Show a progress bar."""


OBJECTIVES = ("spa", "value", "uniform_prefix", "hindsight")
LR_SCHEDULES = ("constant", "cosine")
#: Objectives whose per-step targets come from the whole set of episodes (:func:`episode_targets`).
TARGETED = ("hindsight",)


def _spa_terms(contributions: Sequence[torch.Tensor], rewards: torch.Tensor) -> torch.Tensor:
    return (torch.stack([c.sum() for c in contributions]) - rewards) ** 2


def _value_terms(contributions: Sequence[torch.Tensor], rewards: torch.Tensor) -> torch.Tensor:
    return torch.stack([((c.cumsum(0) - r) ** 2).mean() for c, r in zip(contributions, rewards)])


def _uniform_prefix_terms(contributions: Sequence[torch.Tensor], rewards: torch.Tensor) -> torch.Tensor:
    out = []
    for c, r in zip(contributions, rewards):
        t = torch.arange(1, len(c) + 1, dtype=c.dtype, device=c.device)
        out.append(((c.cumsum(0) - r * t / len(c)) ** 2).mean())
    return torch.stack(out)


def _target_terms(contributions: Sequence[torch.Tensor], targets: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.stack([((c.cumsum(0) - y.to(c)) ** 2).mean() for c, y in zip(contributions, targets)])


_PER_EPISODE = {"spa": _spa_terms, "value": _value_terms, "uniform_prefix": _uniform_prefix_terms}


def episode_targets(objective: str, episodes: Sequence[Episode]) -> list[torch.Tensor] | None:
    """Per-step targets of a :data:`TARGETED` objective for ``episodes`` (None for the others).

    >>> from spa_gym.progress.episodes import Episode, Step
    >>> ep = Episode("reach 1", "at 0", [Step("up", "at 1", True, 1.0)], 1.0, True)
    >>> episode_targets("hindsight", [ep])[0].tolist(), episode_targets("spa", [ep])
    ([1.0], None)
    """
    if objective not in TARGETED:
        return None
    from spa_gym.progress.hindsight import hindsight_targets

    return [torch.from_numpy(t) for t in hindsight_targets(episodes)]


def spa_loss(contributions: Sequence[torch.Tensor], final_rewards: torch.Tensor) -> torch.Tensor:
    """Mean over episodes of ``(sum_t c_t - R) ** 2``.

    >>> round(spa_loss([torch.tensor([0.5, 0.5]), torch.tensor([0.2])], torch.tensor([1.0, 0.0])).item(), 6)
    0.02
    """
    return objective_loss("spa", contributions, final_rewards)


def value_loss(contributions: Sequence[torch.Tensor], final_rewards: torch.Tensor) -> torch.Tensor:
    """Mean over episodes of ``mean_t (P_t - R) ** 2``, ``P_t`` the cumulative sum of the contributions.

    >>> round(value_loss([torch.tensor([0.5, 0.5]), torch.tensor([0.2])], torch.tensor([1.0, 0.0])).item(), 6)
    0.0825
    """
    return objective_loss("value", contributions, final_rewards)


def uniform_prefix_loss(contributions: Sequence[torch.Tensor], final_rewards: torch.Tensor) -> torch.Tensor:
    """Mean over episodes of ``mean_t (P_t - R * t / T) ** 2``: every prefix regressed to the share of the final
    reward that the uniform split ``R / T`` per step would have paid by step ``t``.

    >>> round(uniform_prefix_loss([torch.tensor([0.5, 0.5]), torch.tensor([0.2])], torch.tensor([1.0, 0.0])).item(), 6)
    0.02
    """
    return objective_loss("uniform_prefix", contributions, final_rewards)


def episode_weights(final_rewards: torch.Tensor, failure_weight: float = 1.0) -> torch.Tensor:
    """1.0 for an episode with a positive final reward, ``failure_weight`` for the others.

    >>> episode_weights(torch.tensor([1.0, 0.0, 0.5]), 0.3).tolist()
    [1.0, 0.30000001192092896, 1.0]
    """
    return torch.where(final_rewards > 0, torch.ones_like(final_rewards), torch.full_like(final_rewards, failure_weight))


def objective_loss(objective: str, contributions: Sequence[torch.Tensor], final_rewards: torch.Tensor,
                   failure_weight: float = 1.0, targets: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
    """The loss of ``objective`` (one of :data:`OBJECTIVES`): the mean over episodes of ``w_i * loss_i``,
    ``w_i`` from :func:`episode_weights`. A :data:`TARGETED` objective needs ``targets``, one tensor of per-step
    targets per episode (:func:`episode_targets`).

    >>> c, r = [torch.tensor([0.5, 0.5]), torch.tensor([0.2])], torch.tensor([1.0, 0.0])
    >>> round(objective_loss("spa", c, r).item(), 6), round(objective_loss("spa", c, r, failure_weight=0.5).item(), 6)
    (0.02, 0.01)
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {OBJECTIVES}")
    if objective in TARGETED:
        if targets is None or len(targets) != len(contributions):
            raise ValueError(f"objective {objective!r} needs one target tensor per episode (episode_targets)")
        losses = _target_terms(contributions, targets)
    else:
        losses = _PER_EPISODE[objective](contributions, final_rewards.to(contributions[0]))
    return (episode_weights(final_rewards.to(losses), failure_weight) * losses).mean()


@torch.no_grad()
def evaluate_loss(estimator: ProgressEstimator, episodes: Sequence[Episode], batch_size: int = 16,
                  objective: str = "spa", failure_weight: float = 1.0,
                  targets: Sequence[torch.Tensor] | None = None) -> float:
    """The ``objective``'s loss of ``estimator`` on ``episodes`` (no gradients), weighted as in training; a
    :data:`TARGETED` objective's targets are computed from ``episodes`` unless given."""
    if targets is None:
        targets = episode_targets(objective, episodes)
    was_training = estimator.training
    estimator.eval()
    try:
        total = 0.0
        for i in range(0, len(episodes), batch_size):
            batch = episodes[i:i + batch_size]
            rewards = torch.tensor([ep.final_reward for ep in batch], dtype=torch.float32)
            total += objective_loss(objective, estimator.contributions(batch, batch_size), rewards,
                                    failure_weight, None if targets is None else targets[i:i + batch_size]
                                    ).item() * len(batch)
        return total / len(episodes)
    finally:
        estimator.train(was_training)


def _usable(episodes: Sequence[Episode] | None, name: str) -> list[Episode]:
    if episodes is None:
        return []
    kept = [ep for ep in episodes if len(ep.steps) > 0]  # a step-less episode has nothing to attribute
    if episodes and not kept:
        raise ValueError(f"{name}: every episode has zero steps; nothing to train on")
    return kept


def _save_checkpoint(path: Path, estimator: ProgressEstimator, optimizer: torch.optim.Optimizer,
                     scheduler: torch.optim.lr_scheduler.LRScheduler, state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:  # a crash mid-write leaves the previous checkpoint intact
        torch.save({"model": estimator.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), **state}, tmp)


def resolve_config(estimator: Any, config: EstimatorTrainingConfig) -> EstimatorTrainingConfig:
    """``config`` with its None fields filled from ``estimator.training_defaults``."""
    defaults = dict(getattr(estimator, "training_defaults", {}))
    fallback = {"objective": "spa", "learning_rate": 3e-4, "weight_decay": 0.01, "failure_weight": 1.0,
                "lr_schedule": "constant", "keep_best": True}
    return replace(config, **{k: defaults.get(k, fallback[k]) for k in fallback if getattr(config, k) is None})


def train_estimator(estimator: ProgressEstimator, train_episodes: Sequence[Episode],
                    valid_episodes: Sequence[Episode] | None = None,
                    config: EstimatorTrainingConfig | None = None,
                    out_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Fit ``estimator`` in place with the SPA objective; return the history.

    History keys: ``train_loss`` and ``valid_loss`` (one value per epoch; ``valid_loss`` empty without
    validation episodes), ``best_epoch`` (counted from 1, as the log does; 0: never improved), ``best_valid_loss``,
    ``stopped_early``, ``epochs_run``.
    With validation episodes the estimator ends with its best weights.
    """
    cfg = resolve_config(estimator, config or EstimatorTrainingConfig())
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {cfg.epochs} and {cfg.batch_size}")
    if cfg.objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {cfg.objective!r}; choose one of {OBJECTIVES}")
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr_schedule {cfg.lr_schedule!r}; choose one of {LR_SCHEDULES}")
    if not cfg.failure_weight >= 0:
        raise ValueError(f"failure_weight must be >= 0, got {cfg.failure_weight}")
    if not train_episodes:
        raise ValueError("train_episodes is empty: collect episodes first (spa_gym.progress.collect_episodes)")
    train = _usable(train_episodes, "train_episodes")
    valid = _usable(valid_episodes, "valid_episodes")
    train_targets = episode_targets(cfg.objective, train)  # None unless the objective is TARGETED
    valid_targets = episode_targets(cfg.objective, valid) if valid else None
    from tqdm.auto import tqdm

    from spa_gym.core.bars import progress_bar

    # ---- optimizer: backbone and head as separate groups (the head usually wants a larger step)
    for p in estimator.backbone.parameters():
        p.requires_grad_(not cfg.freeze_backbone)
    head_lr = cfg.head_learning_rate if cfg.head_learning_rate is not None else 10 * cfg.learning_rate
    groups = [{"params": list(estimator.head.parameters()), "lr": head_lr}]
    if not cfg.freeze_backbone:
        groups.append({"params": [p for p in estimator.backbone.parameters() if p.requires_grad],
                       "lr": cfg.learning_rate})
    optimizer = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, (lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps)))
        if cfg.lr_schedule == "cosine" else (lambda step: 1.0))

    # Epochs count from 1, as the log lines do; best_epoch 0 means no validation improvement yet.
    history: dict[str, Any] = {"train_loss": [], "valid_loss": [], "best_epoch": 0,
                               "best_valid_loss": math.inf, "stopped_early": False, "epochs_run": 0,
                               "config": asdict(cfg)}
    best_state: dict[str, torch.Tensor] | None = None
    start_epoch = 0
    ckpt_path = Path(out_dir) / "checkpoint" / "trainer.pt" if out_dir is not None else None
    if ckpt_path is not None and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location=estimator.device, weights_only=False)
        estimator.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if "scheduler" in ckpt:  # checkpoints written before the schedule existed resume at a constant rate
            scheduler.load_state_dict(ckpt["scheduler"])
        history, start_epoch, best_state = ckpt["history"], ckpt["epoch"] + 1, ckpt.get("best_state")

    gen = torch.Generator().manual_seed(cfg.seed)
    for _ in range(start_epoch):  # replay the shuffles of finished epochs, so a resumed run is the same run
        torch.randperm(len(train), generator=gen)
    for epoch in range(start_epoch, cfg.epochs):
        if history["stopped_early"]:
            break
        # ---- one pass over the training episodes
        estimator.train()
        order = torch.randperm(len(train), generator=gen).tolist()
        total, bar = 0.0, progress_bar(range(steps_per_epoch), desc=f"estimator epoch {epoch + 1}/{cfg.epochs}",
                                       disable=not cfg.progress, leave=False)
        for b in bar:
            picked = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            batch = [train[i] for i in picked]
            rewards = torch.tensor([ep.final_reward for ep in batch], dtype=torch.float32)
            loss = objective_loss(cfg.objective, estimator.contributions(batch, cfg.batch_size), rewards,
                                  cfg.failure_weight, None if train_targets is None else [train_targets[i] for i in picked])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        history["train_loss"].append(total / len(train))

        # ---- validation, best weights, early stopping
        if valid:
            v = evaluate_loss(estimator, valid, cfg.eval_batch_size, cfg.objective, cfg.failure_weight, valid_targets)
            history["valid_loss"].append(v)
            if v < history["best_valid_loss"] - cfg.min_delta:
                history["best_valid_loss"], history["best_epoch"] = v, epoch + 1
                if cfg.keep_best:
                    best_state = {k: t.detach().to("cpu", copy=True) for k, t in estimator.state_dict().items()}
                    if out_dir is not None:
                        estimator.save(Path(out_dir) / "best")
            elif cfg.keep_best and cfg.patience and epoch + 1 - history["best_epoch"] >= cfg.patience:
                history["stopped_early"] = True
        history["epochs_run"] = epoch + 1
        if cfg.progress:
            valid_msg = f", valid {history['valid_loss'][-1]:.4f}" if valid else ""
            tqdm.write(f"epoch {epoch + 1}: train {history['train_loss'][-1]:.4f}{valid_msg}")
        if ckpt_path is not None:
            _save_checkpoint(ckpt_path, estimator, optimizer, scheduler,
                             {"epoch": epoch, "history": copy.deepcopy(history), "best_state": best_state})

    if best_state is not None:
        estimator.load_state_dict(best_state)
    elif out_dir is not None:
        estimator.save(Path(out_dir) / "best")  # no validation, or keep_best=False: the last weights are the ones
    estimator.eval()
    return history


__all__ = ["LR_SCHEDULES", "OBJECTIVES", "TARGETED", "EstimatorTrainingConfig", "episode_targets", "episode_weights", "evaluate_loss",
           "objective_loss", "spa_loss", "train_estimator", "value_loss"]
