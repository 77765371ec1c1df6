"""`IncrementalScorer`: score steps as they happen, each new step costing only its new tokens.

Each live episode owns a slot in a pool of KV-cache tensors (one keys and one values tensor per layer,
shaped ``[slots, tokens, kv_heads, head_dim]``, grown by doubling). One :meth:`IncrementalScorer.add_steps`
call runs one batched forward over the new steps of many episodes (episodes that start or slide their
window run in a second one, so short steps are not padded to a whole window): their caches are read from the pool
(a view when the slots are contiguous) right-padded to the longest, the new tokens are right-padded too,
an attention mask hides both paddings and explicit position ids continue each episode's own sequence.
The new keys and values are then written back into the slots with one indexed copy per layer. The
result equals full re-encoding (:meth:`ProgressEstimator.score_steps`) within float tolerance.

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
    slot: int
    header: list[int]
    steps: list[list[int]] = field(default_factory=list)
    start: int = 0          # first step in the window
    cached_len: int = 0     # tokens of this episode in its pool slot (0: encode the window from scratch)


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
        self._free: list[int] = []
        self._n_slots = 0
        self._keys: list[torch.Tensor] = []    # per layer: [slot capacity, token capacity, kv_heads, head_dim]
        self._values: list[torch.Tensor] = []

    def __contains__(self, key: Hashable) -> bool:
        return key in self._live

    def __len__(self) -> int:
        return len(self._live)

    def start(self, key: Hashable, task: str, observation: str) -> None:
        """Begin (or restart) episode ``key``. The header is encoded lazily with its first step."""
        self.end(key)
        slot = self._free.pop() if self._free else self._n_slots
        self._n_slots = max(self._n_slots, slot + 1)
        self._live[key] = _Live(slot, self.estimator.encode_header(task, observation, self.max_context))

    def end(self, key: Hashable) -> None:
        """Forget episode ``key`` and free its slot (unknown keys are ignored)."""
        live = self._live.pop(key, None)
        if live is not None:
            self._free.append(live.slot)

    def reset(self) -> None:
        """Forget every episode and release the cache memory."""
        self._live.clear()
        self._free, self._n_slots, self._keys, self._values = [], 0, [], []

    @torch.no_grad()
    def add_steps(self, items: Sequence[tuple]) -> np.ndarray:
        """Score one new step for each ``(key, action, observation[, action_valid])`` in one batched forward
        pass (two when some episodes start or slide their window while others continue from their cache).

        Returns the contributions in the order of ``items``. A key may appear once per call. The LM reads
        validity from the observation text, so ``action_valid`` (used by the step-level estimator) is ignored.
        """
        if not items:
            return np.zeros(0, dtype=np.float32)
        items = [tuple(item[:3]) for item in items]
        keys = [k for k, _, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("a key appears twice in one add_steps call; add an episode's steps one call at a time")
        unknown = [k for k in keys if k not in self._live]
        if unknown:
            raise KeyError(f"unknown episode key(s) {unknown!r}: call start(key, task, observation) first")
        new_steps = self.estimator.encode_steps([(a, o) for _, a, o in items], self.max_context)

        lives, pending = [], []
        for key, ids in zip(keys, new_steps):
            live = self._live[key]
            start = window_starts(len(live.header), [len(s) for s in live.steps] + [len(ids)], self.max_context)[-1]
            if start != live.start or live.cached_len == 0:  # (re)encode the window from scratch
                live.start, live.cached_len = start, 0
                pending.append(list(live.header) + [t for s in live.steps[start:] for t in s] + ids)
            else:
                pending.append(list(ids))
            live.steps.append(ids)
            lives.append(live)
        # Episodes encoding their window from scratch (new, or just slid) run apart from those continuing
        # from a cache: in one batch every short step would be padded to the long window's width.
        out = np.zeros(len(items), dtype=np.float32)
        fresh = [live.cached_len == 0 for live in lives]
        for group in (True, False):
            rows = [r for r in range(len(lives)) if fresh[r] == group]
            if rows:
                values = self._forward([lives[r] for r in rows], [pending[r] for r in rows])
                out[rows] = values.float().cpu().numpy()
        return out

    # ------------------------------------------------------------------ the batched forward
    def _ensure_capacity(self, like: list[torch.Tensor], tokens: int) -> None:
        """Grow the pool (doubling) to hold every slot and ``tokens`` tokens per slot."""
        if not self._keys:
            self._keys = [k.new_zeros((0, 0) + k.shape[2:]) for k in like]
            self._values = [k.new_zeros((0, 0) + k.shape[2:]) for k in like]
        slots_cap, tok_cap = self._keys[0].shape[:2]
        if self._n_slots <= slots_cap and tokens <= tok_cap:
            return
        new_slots = max(slots_cap, 1)
        while new_slots < self._n_slots:
            new_slots *= 2
        new_tok = max(tok_cap, 64)
        while new_tok < tokens:
            new_tok *= 2
        for pool in (self._keys, self._values):
            for layer, old in enumerate(pool):
                grown = old.new_zeros((new_slots, new_tok) + old.shape[2:])
                grown[: old.shape[0], : old.shape[1]] = old
                pool[layer] = grown

    def _forward(self, lives: list[_Live], pending: list[list[int]]) -> torch.Tensor:
        from transformers import DynamicCache

        est, device = self.estimator, self.estimator.device
        b = len(lives)
        past = max(live.cached_len for live in lives)
        width = max(len(p) for p in pending)
        pad = est.tokenizer.pad_token_id if est.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((b, width), pad, dtype=torch.long)
        mask = torch.zeros((b, past + width), dtype=torch.long)
        for r, (live, ids) in enumerate(zip(lives, pending)):
            input_ids[r, : len(ids)] = torch.tensor(ids)
            mask[r, : live.cached_len] = 1             # this episode's cache; the rest of `past` is padding
            mask[r, past: past + len(ids)] = 1          # its new tokens, right-padded
        cached = torch.tensor([live.cached_len for live in lives])
        positions = cached[:, None] + torch.arange(width)[None, :]

        cache = DynamicCache()
        if past > 0:
            slots = [live.slot for live in lives]
            if slots == list(range(slots[0], slots[0] + b)):   # contiguous: a view, no copy
                pick = lambda t: t[slots[0]: slots[0] + b, :past]  # noqa: E731
            else:
                index = torch.tensor(slots, device=device)
                pick = lambda t: t.index_select(0, index)[:, :past]  # noqa: E731
            cache = DynamicCache([(pick(k).transpose(1, 2), pick(v).transpose(1, 2))
                                  for k, v in zip(self._keys, self._values)])
        hidden, new_cache = est.hidden_states(input_ids.to(device), mask.to(device),
                                              position_ids=positions.to(device), past_key_values=cache,
                                              use_cache=True)
        last = torch.tensor([len(p) - 1 for p in pending], device=device)
        values = est.head(hidden[torch.arange(b, device=device), last].float()).squeeze(-1)

        # Write each episode's new keys/values (not the padding) into its slot, one indexed copy per layer.
        layers = new_cache.layers
        self._ensure_capacity([lay.keys.transpose(1, 2) for lay in layers],
                              max(live.cached_len + len(p) for live, p in zip(lives, pending)))
        rows = torch.tensor([r for r, p in enumerate(pending) for _ in p], device=device)
        cols = torch.tensor([past + j for p in pending for j in range(len(p))], device=device)
        slot_idx = torch.tensor([live.slot for live, p in zip(lives, pending) for _ in p], device=device)
        pos_idx = torch.tensor([live.cached_len + j for live, p in zip(lives, pending) for j in range(len(p))],
                               device=device)
        for layer, lay in enumerate(layers):
            self._keys[layer][slot_idx, pos_idx] = lay.keys.transpose(1, 2)[rows, cols]
            self._values[layer][slot_idx, pos_idx] = lay.values.transpose(1, 2)[rows, cols]
        for live, ids in zip(lives, pending):
            live.cached_len += len(ids)
        return values


__all__ = ["IncrementalScorer"]
