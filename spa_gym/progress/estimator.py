"""`ProgressEstimator`: a causal-LM backbone plus a scalar head that gives each step of an episode its
contribution to the final reward (SPA, arXiv 2505.20732).

Trajectory encoding. An episode is one token sequence, built from the tokenizer's own chat template::

    [system turn: ESTIMATOR_SYSTEM_PROMPT]
    [user turn:   "Task: <task>\\n<first observation>"]          <- the header
    [assistant turn: <action 1>] [user turn: <observation 1>]    <- step 1
    [assistant turn: <action 2>] [user turn: <observation 2>]    <- step 2 ...

Each piece is tokenized on its own and the ids are concatenated, so a prefix of an episode always
encodes to a prefix of its tokens: this is what lets the incremental scorer reuse its KV cache. The
step's contribution ``c_t`` is the head applied to the backbone's last hidden state at the last
token of step ``t`` (the end of the observation turn), so it sees the action *and* its outcome.

Long episodes. With ``C = max_context`` tokens: the header keeps at most its first ``C // 4`` tokens
and each step at most its last ``C // 4`` (so the token the head reads is never cut). When the next
step would overflow ``C``, the window slides: the header stays and only the most recent previous steps
that fit in ``C // 2`` tokens are kept, re-encoded from scratch. :func:`window_starts` is the one rule
both full and incremental scoring follow, so they agree on any length.

Saved folder format (``save`` / ``load``)::

    estimator.json        {"format": "spa-gym-progress-estimator", "version": 1, "system_prompt": ...,
                           "max_context": ..., "hidden_size": ...}
    head.safetensors      the scalar head: "weight" [1, hidden_size], "bias" [1] (float32)
    backbone/             the causal LM and its tokenizer, via save_pretrained

>>> from spa_gym.progress.episodes import Episode, Step
>>> est = ProgressEstimator.default(size="tiny", seed=0)
>>> ep = Episode("reach 3", "You stand at 0.", [Step("go up", "You stand at 1.", True),
...                                            Step("go up", "You stand at 2.", True)], 0.0, False)
>>> est.score_steps(ep).shape
(2,)
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spa_gym.core.devices import resolve_device
from spa_gym.core.files import atomic_folder
from spa_gym.core.hf_quiet import quiet_transformers
from spa_gym.core.lm_cache import cache_kwargs, output_cache
from spa_gym.progress.episodes import Episode
from spa_gym.progress.small_model import ESTIMATOR_SYSTEM_PROMPT

FORMAT_NAME = "spa-gym-progress-estimator"
FORMAT_VERSION = 1
_S = ("\x00SPA1\x00", "\x00SPA2\x00", "\x00SPA3\x00", "\x00SPA4\x00", "\x00SPA5\x00")  # template sentinels


def window_starts(header_len: int, step_lens: Sequence[int], max_context: int) -> list[int]:
    """Index of the first step in context when each step is scored (the sliding-window rule).

    >>> window_starts(10, [30, 30, 30, 30], max_context=100)
    [0, 0, 0, 2]
    """
    starts, start, window = [], 0, header_len
    for t, n in enumerate(step_lens):
        if window + n > max_context:
            budget, s, used = max_context // 2 - header_len, t, 0
            while s > start and used + step_lens[s - 1] <= budget:
                s -= 1
                used += step_lens[s]
            start, window = s, header_len + used
        window += n
        starts.append(start)
    return starts


class TrajectoryFormat:
    """Turns a task, first observation and steps into text pieces using a tokenizer's chat template.

    Falls back to a plain ``Task:`` / ``> action`` layout when the template is missing or not
    prefix-stable (each new turn must only append text), which incremental scoring needs.
    """

    def __init__(self, tokenizer: Any, system_prompt: str = ESTIMATOR_SYSTEM_PROMPT) -> None:
        self.system_prompt = system_prompt
        self.header_template, self.step_template = "Task: {0}\n", "> {0}\n{1}\n"
        self.uses_chat_template = False
        if getattr(tokenizer, "chat_template", None):
            try:
                self._from_chat_template(tokenizer)
                self.uses_chat_template = True
            except Exception:  # noqa: BLE001 - templates raise jinja's own errors too; any failure means "plain"
                pass

    def _from_chat_template(self, tokenizer: Any) -> None:
        def render(*contents: str) -> str:
            roles = ["user"] + ["assistant", "user"] * ((len(contents) - 1) // 2)
            msgs = [{"role": "system", "content": self.system_prompt}]
            msgs += [{"role": r, "content": c} for r, c in zip(roles, contents)]
            return tokenizer.apply_chat_template(msgs, tokenize=False)

        r1, r2, r3 = render(_S[0]), render(_S[0], _S[1], _S[2]), render(_S[0], _S[1], _S[2], _S[3], _S[4])
        if not (r2.startswith(r1) and r3.startswith(r2)) or r1.count(_S[0]) != 1:
            raise ValueError("chat template is not prefix-stable")
        step = r2[len(r1):]
        if r3[len(r2):] != step.replace(_S[1], _S[3]).replace(_S[2], _S[4]):
            raise ValueError("chat template renders steps differently")
        if "{" in r1 + step or "}" in r1 + step:
            raise ValueError("template text has braces")
        self.header_template = r1.replace(_S[0], "{0}")
        self.step_template = step.replace(_S[1], "{0}").replace(_S[2], "{1}")

    def header(self, task: str, observation: str) -> str:
        return self.header_template.format(f"Task: {task}\n{observation}")

    def step(self, action: str, observation: str) -> str:
        return self.step_template.format(action, observation)


@dataclass
class EncodedEpisode:
    """Token ids of an episode: the header, then one list per step."""

    header: list[int]
    steps: list[list[int]]


class ProgressEstimator(nn.Module):
    """Backbone (a Hugging Face causal LM) + a scalar head read at the last token of each step.

    ``training_defaults`` are the paper's: the SPA sum loss, learning rate 3e-4.

    Args:
        backbone: a ``transformers`` causal LM; only its base model (no LM head) runs.
        tokenizer: its tokenizer; its chat template lays out trajectories (see the module docstring).
        system_prompt: the system turn before every trajectory.
        max_context: tokens in context at most (default: the backbone's ``max_position_embeddings``,
            capped at 4096 because long windows cost quadratic attention for little signal).
        seed: seeds the head's initial weights.
    """

    training_defaults = {"objective": "spa", "learning_rate": 3e-4, "weight_decay": 0.01}

    def __init__(self, backbone: Any, tokenizer: Any, *, system_prompt: str = ESTIMATOR_SYSTEM_PROMPT,
                 max_context: int | None = None, seed: int = 0) -> None:
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.format = TrajectoryFormat(tokenizer, system_prompt)
        hidden = backbone.config.get_text_config().hidden_size
        if max_context is None:
            max_context = min(int(getattr(backbone.config.get_text_config(), "max_position_embeddings", 2048)), 4096)
        if max_context < 16:
            raise ValueError(f"max_context must be >= 16 tokens, got {max_context}")
        self.max_context = int(max_context)
        self.head = nn.Linear(hidden, 1)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():  # small head init: contributions start near 0, like an untrained critic
            self.head.weight.copy_(torch.randn(1, hidden, generator=gen) * (0.01 / hidden ** 0.5))
            self.head.bias.zero_()
        self.head.to(device=next(backbone.parameters()).device, dtype=torch.float32)

    # ------------------------------------------------------------------ construction and storage
    @classmethod
    def from_pretrained(cls, model_dir: str | os.PathLike, device: str | torch.device = "auto", *,
                        dtype: torch.dtype | None = None, **kwargs: Any) -> ProgressEstimator:
        """A fresh (untrained head) estimator on a local HF causal-LM folder; bf16 on CUDA, float32 on CPU.

        ``model_dir`` may also be a model name of :data:`spa_gym.models.MODEL_ALIASES` (``"smollm2"``).
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from spa_gym.models import resolve_model

        model_dir = resolve_model(model_dir)
        if not (model_dir / "config.json").is_file():
            raise FileNotFoundError(f"{model_dir} is not a Hugging Face model folder (no config.json)")
        device = resolve_device(device)
        dtype = dtype or (torch.bfloat16 if device.type == "cuda" else torch.float32)
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(model_dir)
            backbone = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(device)
        return cls(backbone, tokenizer, **kwargs)

    @classmethod
    def default(cls, seed: int = 0, size: str = "steps", device: str | torch.device = "auto",
                cache_dir: str | os.PathLike | None = None) -> Any:
        """The offline default estimator (random init from ``seed``, untrained until fit).

        ``size="steps"`` (the default) gives the fast step-level model,
        :class:`~spa_gym.progress.step_model.StepProgressEstimator`, which learns progress on CPU in
        seconds; ``"tiny"`` and ``"small"`` give this class on the small from-scratch causal LM (built once,
        cached), the paper's estimator shape.
        """
        if size == "steps":
            from spa_gym.progress.step_model import StepProgressEstimator

            return StepProgressEstimator(seed=seed, device=device)
        from spa_gym.progress.small_model import cached_small_model

        return cls.from_pretrained(cached_small_model(size, seed, cache_dir), device, seed=seed)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the estimator folder (format in the module docstring), atomically."""
        from safetensors.torch import save_file

        path = Path(path)
        with atomic_folder(path) as staging:
            with quiet_transformers():
                self.backbone.save_pretrained(staging / "backbone", safe_serialization=True)
                self.tokenizer.save_pretrained(staging / "backbone")
            save_file({k: v.detach().float().cpu().contiguous() for k, v in self.head.state_dict().items()},
                      str(staging / "head.safetensors"))
            meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kind": "lm", "system_prompt": self.format.system_prompt,
                    "max_context": self.max_context, "hidden_size": self.head.in_features}
            (staging / "estimator.json").write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device = "auto", *,
             dtype: torch.dtype | None = None) -> Any:
        """Load a folder written by :meth:`save` (or by ``StepProgressEstimator.save``: the folder says which)."""
        from safetensors.torch import load_file

        path = Path(path)
        meta_file = path / "estimator.json"
        if not meta_file.is_file():
            raise FileNotFoundError(f"{path} is not a saved ProgressEstimator (no estimator.json)")
        meta = json.loads(meta_file.read_text())
        if meta.get("format") != FORMAT_NAME or meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{meta_file}: unsupported format {meta.get('format')!r} v{meta.get('version')}")
        if meta.get("kind", "lm") != "lm":
            from spa_gym.progress.step_model import StepProgressEstimator

            return StepProgressEstimator.load(path, device)
        est = cls.from_pretrained(path / "backbone", device, dtype=dtype, system_prompt=meta["system_prompt"],
                                  max_context=meta["max_context"])
        est.head.load_state_dict({k: v.to(est.device) for k, v in load_file(str(path / "head.safetensors")).items()})
        return est

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    # ------------------------------------------------------------------ encoding
    def _ids(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(texts, add_special_tokens=False)["input_ids"]

    def encode_header(self, task: str, observation: str, max_context: int | None = None) -> list[int]:
        """Token ids of the header (system turn, task and first observation), truncated to ``C // 4``."""
        return self._ids([self.format.header(task, observation)])[0][: (max_context or self.max_context) // 4]

    def encode_steps(self, actions_observations: Sequence[tuple[str, str]],
                     max_context: int | None = None) -> list[list[int]]:
        """Token ids of steps, each truncated to its last ``C // 4`` tokens (one tokenizer call)."""
        cap = (max_context or self.max_context) // 4
        ids = self._ids([self.format.step(a, o) for a, o in actions_observations])
        return [x[-cap:] for x in ids]

    def encode(self, episode: Episode, max_context: int | None = None) -> EncodedEpisode:
        return EncodedEpisode(self.encode_header(episode.task, episode.observation, max_context),
                              self.encode_steps([(s.action, s.observation) for s in episode.steps], max_context))

    # ------------------------------------------------------------------ forward
    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                      position_ids: torch.Tensor | None = None, past_key_values: Any = None,
                      use_cache: bool = False) -> tuple[torch.Tensor, Any]:
        """Last hidden states of the backbone's base model (its LM head never runs: big vocabularies cost)."""
        base = self.backbone.base_model
        out = base(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                   use_cache=use_cache, **cache_kwargs(base, past_key_values))
        return out.last_hidden_state, (output_cache(out) if use_cache else None)

    def contributions(self, episodes: Sequence[Episode | EncodedEpisode], batch_size: int = 16,
                      max_context: int | None = None) -> list[torch.Tensor]:
        """Per-step contributions as float32 tensors (differentiable: training calls this under grad).

        Every window of every episode (one per episode unless it is longer than the context) becomes
        one sequence; sequences are sorted by length and run ``batch_size`` at a time, right-padded.
        """
        cap = max_context or self.max_context
        encoded = [e if isinstance(e, EncodedEpisode) else self.encode(e, cap) for e in episodes]
        # jobs: (episode index, token ids of the window, [(step index, position of its last token)])
        jobs: list[tuple[int, list[int], list[tuple[int, int]]]] = []
        for i, enc in enumerate(encoded):
            lens = [len(s) for s in enc.steps]
            starts = window_starts(len(enc.header), lens, cap)
            t = 0
            while t < len(lens):
                start, ids, ends = starts[t], list(enc.header), []
                ids.extend(tok for s in enc.steps[start:t] for tok in s)
                while t < len(lens) and starts[t] == start:
                    ids.extend(enc.steps[t])
                    ends.append((t, len(ids) - 1))
                    t += 1
                jobs.append((i, ids, ends))
        out: list[list[torch.Tensor | None]] = [[None] * len(enc.steps) for enc in encoded]
        order = sorted(range(len(jobs)), key=lambda j: len(jobs[j][1]))
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for b in range(0, len(order), batch_size):
            batch = [jobs[j] for j in order[b:b + batch_size]]
            width = max(len(ids) for _, ids, _ in batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, (_, ids, _) in enumerate(batch):
                input_ids[r, : len(ids)] = torch.tensor(ids)
                mask[r, : len(ids)] = 1
            hidden, _ = self.hidden_states(input_ids.to(self.device), mask.to(self.device))
            rows = torch.tensor([r for r, (_, _, ends) in enumerate(batch) for _ in ends], device=self.device)
            cols = torch.tensor([p for _, _, ends in batch for _, p in ends], device=self.device)
            values = self.head(hidden[rows, cols].float()).squeeze(-1)
            k = 0
            for i, _, ends in batch:
                for t, _ in ends:
                    out[i][t] = values[k]
                    k += 1
        empty = torch.zeros(0, device=self.device)
        return [torch.stack(v) if v else empty for v in out]  # type: ignore[arg-type]

    def forward(self, episodes: Sequence[Episode | EncodedEpisode], batch_size: int = 16) -> list[torch.Tensor]:
        return self.contributions(episodes, batch_size)

    # ------------------------------------------------------------------ scoring (no gradients)
    @torch.no_grad()
    def score_episodes(self, episodes: Sequence[Episode], batch_size: int = 16,
                       max_context: int | None = None) -> list[np.ndarray]:
        """Per-step contributions of each episode (full re-encoding, batched)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        was_training = self.training
        self.eval()
        try:
            return [c.float().cpu().numpy() for c in self.contributions(episodes, batch_size, max_context)]
        finally:
            self.train(was_training)

    def score_steps(self, episode: Episode, max_context: int | None = None) -> np.ndarray:
        """Per-step contributions ``c_1..c_T`` of one episode (full re-encoding)."""
        return self.score_episodes([episode], 1, max_context)[0]

    def incremental_scorer(self, max_context: int | None = None) -> Any:
        """An online scorer with per-episode KV caches (what :class:`~spa_gym.wrappers.SPAReward` uses)."""
        from spa_gym.progress.incremental import IncrementalScorer

        return IncrementalScorer(self, max_context)


__all__ = ["EncodedEpisode", "ProgressEstimator", "TrajectoryFormat", "resolve_device", "window_starts"]
