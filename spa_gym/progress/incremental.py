"""`IncrementalScorer`: score steps as they happen, each new step costing only its new tokens.

Each live episode keeps its backbone KV cache. One :meth:`IncrementalScorer.add_steps` call runs one
batched forward over the new steps of many episodes: past caches are left-padded to a common length
and the new tokens right-padded, with an attention mask that hides both paddings and explicit
position ids that continue each episode's own sequence. The result equals full re-encoding
(:meth:`ProgressEstimator.score_steps`) within float tolerance.

Long episodes follow the estimator's sliding-window rule (:func:`~spa_gym.progress.estimator.window_starts`):
when the next step would overflow ``max_context``, the episode's cache is dropped and the header plus
the most recent steps that fit in half the context are re-encoded together with the new step.

>>> from spa_gym.progress.estimator import ProgressEstimator
>>> est = ProgressEstimator.default(size="tiny", seed=0)
>>> scorer = IncrementalScorer(est)
>>> scorer.start("a", "reach 3", "You stand at 0.")
>>> scorer.start("b", "reach 4", "You stand at 0.")
>>> scorer.add_steps([("a", "go up", "You stand at 1."), ("b", "look", "You stand at 0.")]).shape
(2,)
>>> scorer.end("a"); scorer.end("b")
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from spa_gym.progress.estimator import ProgressEstimator, window_starts


@dataclass
class _Live:
    header: list[int]
    steps: list[list[int]] = field(default_factory=list)
    start: int = 0                       # first step in the window
    cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None  # per layer (keys, values), [heads, len, dim]
    cached_len: int = 0


class IncrementalScorer:
    """Per-episode KV caches over a :class:`ProgressEstimator`, batched across episodes.

    Args:
        estimator: the estimator whose backbone and head score the steps.
        max_context: tokens in context at most (default: ``estimator.max_context``); full scoring with the
            same ``max_context`` gives the same numbers.
    """

    def __init__(self, estimator: ProgressEstimator, max_context: int | None = None) -> None:
        self.estimator = estimator
        self.max_context = int(max_context or estimator.max_context)
        if self.max_context < 16:
            raise ValueError(f"max_context must be >= 16 tokens, got {self.max_context}")
        self._live: dict[Hashable, _Live] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._live

    def __len__(self) -> int:
        return len(self._live)

    def start(self, key: Hashable, task: str, observation: str) -> None:
        """Begin (or restart) episode ``key``. The header is encoded lazily with its first step."""
        self._live[key] = _Live(self.estimator.encode_header(task, observation, self.max_context))

    def end(self, key: Hashable) -> None:
        """Forget episode ``key`` and free its cache (unknown keys are ignored)."""
        self._live.pop(key, None)

    def reset(self) -> None:
        """Forget every episode."""
        self._live.clear()

    @torch.no_grad()
    def add_steps(self, items: Sequence[tuple[Hashable, str, str]]) -> np.ndarray:
        """Score one new step for each ``(key, action, observation)``: one batched forward pass.

        Returns the contributions in the order of ``items``. A key may appear once per call.
        """
        if not items:
            return np.zeros(0, dtype=np.float32)
        keys = [k for k, _, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("a key appears twice in one add_steps call; add an episode's steps one call at a time")
        unknown = [k for k in keys if k not in self._live]
        if unknown:
            raise KeyError(f"unknown episode key(s) {unknown!r}: call start(key, task, observation) first")
        est = self.estimator
        new_steps = est.encode_steps([(a, o) for _, a, o in items], self.max_context)

        lives, pending = [], []
        for key, ids in zip(keys, new_steps):
            live = self._live[key]
            lens = [len(s) for s in live.steps] + [len(ids)]
            start = window_starts(len(live.header), lens, self.max_context)[-1]
            if start != live.start or live.cache is None:  # (re)encode the window from scratch
                live.start, live.cache, live.cached_len = start, None, 0
                ids_in = list(live.header) + [t for s in live.steps[start:] for t in s] + ids
            else:
                ids_in = list(ids)
            live.steps.append(ids)
            lives.append(live)
            pending.append(ids_in)

        values = self._forward(lives, pending)
        return values.float().cpu().numpy()

    def _forward(self, lives: list[_Live], pending: list[list[int]]) -> torch.Tensor:
        from transformers import DynamicCache

        est, device = self.estimator, self.estimator.device
        b = len(lives)
        past = max(live.cached_len for live in lives)
        width = max(len(p) for p in pending)
        pad = est.tokenizer.pad_token_id if est.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((b, width), pad, dtype=torch.long)
        mask = torch.zeros((b, past + width), dtype=torch.long)
        positions = torch.zeros((b, width), dtype=torch.long)
        for r, (live, ids) in enumerate(zip(lives, pending)):
            input_ids[r, : len(ids)] = torch.tensor(ids)
            mask[r, past - live.cached_len: past] = 1          # left-padded past
            mask[r, past: past + len(ids)] = 1                 # right-padded new tokens
            positions[r] = live.cached_len + torch.arange(width)

        cache = None
        if past > 0:
            layers = []
            n_layers = len(next(live.cache for live in lives if live.cache is not None))
            for layer in range(n_layers):
                kv = []
                for which in (0, 1):
                    ref = next(live.cache for live in lives if live.cache is not None)[layer][which]
                    t = ref.new_zeros((b, ref.shape[0], past, ref.shape[2]))
                    for r, live in enumerate(lives):
                        if live.cache is not None:
                            t[r, :, past - live.cached_len:] = live.cache[layer][which]
                    kv.append(t)
                layers.append((kv[0], kv[1]))
            cache = DynamicCache(layers)
        hidden, new_cache = est.hidden_states(input_ids.to(device), mask.to(device),
                                              position_ids=positions.to(device),
                                              past_key_values=cache if cache is not None else DynamicCache(),
                                              use_cache=True)
        last = torch.tensor([len(p) - 1 for p in pending], device=device)
        values = est.head(hidden[torch.arange(b, device=device), last].float()).squeeze(-1)

        # Keep each episode's own new keys/values (not the padding) after its old cache.
        for r, (live, ids) in enumerate(zip(lives, pending)):
            updated = []
            for layer, lay in enumerate(new_cache.layers):
                new_k = lay.keys[r, :, past: past + len(ids)]
                new_v = lay.values[r, :, past: past + len(ids)]
                if live.cache is not None:
                    new_k = torch.cat([live.cache[layer][0], new_k], dim=1)
                    new_v = torch.cat([live.cache[layer][1], new_v], dim=1)
                updated.append((new_k, new_v))
            live.cache, live.cached_len = updated, live.cached_len + len(ids)
        return values


__all__ = ["IncrementalScorer"]
