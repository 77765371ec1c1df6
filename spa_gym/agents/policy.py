"""`LLMPolicy`: a causal language model with a value head that plays text environments.

Any local Hugging Face causal-LM folder works (a real model on a GPU, for research), and so does the
project's small default model (``spa_gym.progress.small_model.build_small_model``) that trains from
scratch on a CPU. The policy

* writes its prompts with :mod:`spa_gym.agents.prompts` and reads commands with :mod:`spa_gym.agents.parsing`;
* generates for many environments at once (left padding, one KV cache), with temperature / top-p
  sampling from a seeded ``torch.Generator``, so the same seed gives the same replies;
* returns, per generated token, its log-probability and the value head's estimate of the state the
  token was generated from — what PPO needs;
* scores given replies with gradients (:meth:`LLMPolicy.score`) for SFT and PPO updates.

LoRA (via ``peft``) is optional: ``LLMPolicy.from_pretrained(path, lora_r=16)``.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spa_gym.agents.parsing import parse_action
from spa_gym.agents.prompts import PromptConfig, render_prompt, render_target
from spa_gym.core.devices import resolve_device
from spa_gym.core.files import apply_umask, make_staging_dir
from spa_gym.core.hf_quiet import quiet_transformers
from spa_gym.core.lm_cache import cache_kwargs, output_cache
from spa_gym.models import resolve_model

VALUE_HEAD_FILE = "value_head.safetensors"
POLICY_CONFIG_FILE = "policy.json"


@dataclass
class Generation:
    """One reply: token ids, and per reply token its log-prob and the value of the state before it."""

    prompt_ids: list[int]
    response_ids: list[int]
    logprobs: list[float]
    values: list[float]
    text: str

    @property
    def action(self) -> str:
        return parse_action(self.text)


class LLMPolicy(nn.Module):
    """A causal LM plus a scalar value head on its last hidden state.

    Args:
        model: a Hugging Face causal LM (``AutoModelForCausalLM``), optionally wrapped by ``peft``.
        tokenizer: its tokenizer.
        prompt_config: how prompts are built.
        max_new_tokens: longest reply; replies stop at an end-of-turn / end-of-sequence token.
        max_prompt_tokens: prompts are cut from the left beyond this (the truncation policy of
            :mod:`~spa_gym.agents.prompts` normally keeps them well below).
    """

    def __init__(self, model: nn.Module, tokenizer: Any, prompt_config: PromptConfig = PromptConfig(),
                 max_new_tokens: int = 24, max_prompt_tokens: int = 1024) -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.prompt_config = prompt_config
        self.max_new_tokens = max_new_tokens
        self.max_prompt_tokens = max_prompt_tokens
        hidden = model.config.get_text_config().hidden_size
        self.value_head = nn.Linear(hidden, 1)
        # A zero head starts every value at 0: the first PPO advantages are then just the returns.
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)
        self.stop_ids = self._stop_token_ids()
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.stop_ids[0]
        self.use_bf16 = False  # set by callers on CUDA: forward passes then run under bf16 autocast

    # ------------------------------------------------------------------ construction and saving
    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, device: str = "cpu", lora_r: int = 0,
                        prompt_config: PromptConfig | None = None, **kwargs: Any) -> LLMPolicy:
        """Load a local model folder (and the value head / prompt options saved with it, if any).

        ``path`` may also be a model name of :data:`spa_gym.models.MODEL_ALIASES` (``"smollm2"``).
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = resolve_model(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model folder not found or not a Hugging Face model (no config.json): {path}")
        dev = resolve_device(device)
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        saved: dict[str, Any] = {}
        if (path / POLICY_CONFIG_FILE).is_file():
            saved = json.loads((path / POLICY_CONFIG_FILE).read_text())
        if prompt_config is None:
            prompt_config = PromptConfig(**saved.get("prompt_config", {}))
        for key in ("max_new_tokens", "max_prompt_tokens"):
            if key in saved:
                kwargs.setdefault(key, saved[key])
        if lora_r:
            from peft import LoraConfig, get_peft_model

            model = get_peft_model(model, LoraConfig(r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.0,
                                                     target_modules="all-linear", task_type="CAUSAL_LM"))
        policy = cls(model, tokenizer, prompt_config, **kwargs)
        if (path / VALUE_HEAD_FILE).is_file():
            from safetensors.torch import load_file

            policy.value_head.load_state_dict(load_file(path / VALUE_HEAD_FILE))
        policy.use_bf16 = dev.type == "cuda" and torch.cuda.is_bf16_supported()
        return policy.to(dev)

    def save_pretrained(self, path: str | os.PathLike) -> Path:
        """Write a standard model folder (LoRA merged in) + value head + prompt options, atomically."""
        from safetensors.torch import save_file

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_staging_dir(path)
        try:
            model = self.model
            if hasattr(model, "merge_and_unload"):  # peft: save a plain model anyone can load
                model = copy.deepcopy(model).merge_and_unload()
            with quiet_transformers():
                model.save_pretrained(tmp)
                self.tokenizer.save_pretrained(tmp)
            save_file({k: v.detach().float().cpu().contiguous() for k, v in self.value_head.state_dict().items()},
                      tmp / VALUE_HEAD_FILE)
            (tmp / POLICY_CONFIG_FILE).write_text(json.dumps({
                "prompt_config": asdict(self.prompt_config), "max_new_tokens": self.max_new_tokens,
                "max_prompt_tokens": self.max_prompt_tokens}, indent=2))
            apply_umask(tmp)
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path

    def _stop_token_ids(self) -> list[int]:
        ids: list[int] = []
        eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for candidate in ([eos] if isinstance(eos, int) else list(eos or [])) + [self.tokenizer.eos_token_id]:
            if candidate is not None and candidate not in ids:
                ids.append(int(candidate))
        # Chat models end a turn with their own marker (<|end|>, <|im_end|>, ...): find it by rendering a turn.
        if getattr(self.tokenizer, "chat_template", None):
            msgs = [{"role": "user", "content": "hi"}]
            tail = self.tokenizer(render_target(self.tokenizer, msgs, "x"), add_special_tokens=False)["input_ids"]
            special = set(self.tokenizer.all_special_ids)
            marker = next((t for t in tail if t in special), None)
            if marker is not None and marker not in ids:
                ids.insert(0, int(marker))
        if not ids:
            raise ValueError("the tokenizer has no end-of-sequence token; the policy cannot tell when a reply ends")
        return ids

    @property
    def device(self) -> torch.device:
        return self.value_head.weight.device

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.use_bf16 and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # ------------------------------------------------------------------ text in, token ids out
    def encode_prompt(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """Token ids of the prompt for ``messages`` (cut from the left past ``max_prompt_tokens``)."""
        ids = self.tokenizer(render_prompt(self.tokenizer, messages), add_special_tokens=False)["input_ids"]
        return ids[-self.max_prompt_tokens:]

    def encode_target(self, messages: Sequence[dict[str, str]], reply: str) -> list[int]:
        """Token ids the model should generate to answer ``reply``, ending with a stop token."""
        ids = self.tokenizer(render_target(self.tokenizer, messages, reply), add_special_tokens=False)["input_ids"]
        for i, tok in enumerate(ids):
            if tok in self.stop_ids:
                return ids[: i + 1]
        return ids + [self.stop_ids[0]]

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(self, prompts: Sequence[Sequence[int]], *, temperature: float = 1.0, top_p: float = 1.0,
                 generator: torch.Generator | None = None) -> list[Generation]:
        """Sample one reply per prompt, all prompts in one left-padded batch.

        ``temperature=0`` is greedy. ``logprobs`` are those of the sampling distribution at this
        temperature (before top-p), so PPO should roll out with ``temperature=1, top_p=1``.
        """
        if not prompts:
            return []
        if temperature < 0 or not 0 < top_p <= 1:
            raise ValueError(f"need temperature >= 0 and 0 < top_p <= 1, got {temperature}, {top_p}")
        was_training = self.training
        self.eval()
        dev = self.device
        n, width = len(prompts), max(len(p) for p in prompts)
        ids = torch.full((n, width), self.pad_id, dtype=torch.long, device=dev)
        mask = torch.zeros((n, width), dtype=torch.long, device=dev)
        for i, p in enumerate(prompts):
            ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p):] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        stop = torch.tensor(self.stop_ids, device=dev)
        done = torch.zeros(n, dtype=torch.bool, device=dev)
        out_tokens, out_logp, out_values = [], [], []
        past = None
        step_ids, step_pos = ids, positions
        for _ in range(self.max_new_tokens):
            with self._autocast():
                out = self.model(input_ids=step_ids, attention_mask=mask, position_ids=step_pos,
                                 use_cache=True, output_hidden_states=True, logits_to_keep=1,
                                 **cache_kwargs(self.model, past))
            past = output_cache(out)
            logits = out.logits[:, -1].float()
            value = self.value_head(out.hidden_states[-1][:, -1].float()).squeeze(-1)
            if temperature == 0:
                token = logits.argmax(-1)
                logp = torch.log_softmax(logits, -1).gather(-1, token[:, None]).squeeze(-1)
            else:
                logprobs = torch.log_softmax(logits / temperature, -1)
                probs = logprobs.exp()
                if top_p < 1:
                    sorted_p, order = probs.sort(-1, descending=True)
                    # Keep the smallest set of tokens whose mass reaches top_p (the top token always stays).
                    drop = sorted_p.cumsum(-1) - sorted_p >= top_p
                    sorted_p = sorted_p.masked_fill(drop, 0.0)
                    probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
                token = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
                logp = logprobs.gather(-1, token[:, None]).squeeze(-1)
            token = torch.where(done, torch.full_like(token, self.pad_id), token)
            out_tokens.append(token)
            out_logp.append(logp)
            out_values.append(value)
            active = ~done
            done = done | torch.isin(token, stop)
            out_tokens[-1] = torch.where(active, token, torch.full_like(token, -1))
            if bool(done.all()):
                break
            step_ids = token[:, None]
            step_pos = step_pos[:, -1:] + 1
            mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=dev)], dim=1)
        tokens = torch.stack(out_tokens, 1).tolist()
        logps = torch.stack(out_logp, 1).tolist()
        values = torch.stack(out_values, 1).tolist()
        if was_training:
            self.train()
        gens = []
        for i, p in enumerate(prompts):
            k = next((j for j, t in enumerate(tokens[i]) if t == -1), len(tokens[i]))
            resp = tokens[i][:k]
            text = self.tokenizer.decode([t for t in resp if t not in self.stop_ids], skip_special_tokens=True)
            gens.append(Generation(list(p), resp, logps[i][:k], values[i][:k], text.strip()))
        return gens

    def act(self, messages_batch: Sequence[Sequence[dict[str, str]]], *, temperature: float = 1.0,
            top_p: float = 1.0, generator: torch.Generator | None = None) -> list[Generation]:
        """Prompt from chat messages, then :meth:`generate`."""
        return self.generate([self.encode_prompt(m) for m in messages_batch], temperature=temperature,
                             top_p=top_p, generator=generator)

    # ------------------------------------------------------------------ scoring with gradients
    def score(self, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]], *,
              with_values: bool = True, reference: bool = False) -> dict[str, list[torch.Tensor]]:
        """Per response token: ``logprobs``, ``entropy`` and (optionally) ``values``, one tensor per pair.

        Pairs are batched right-padded. With ``reference=True`` a LoRA policy scores with its adapters
        switched off (the frozen base model is the KL reference).
        """
        dev = self.device
        seqs = [list(p) + list(r) for p, r in zip(prompts, responses)]
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long, device=dev)
        mask = torch.zeros_like(ids)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        ctx = self.model.disable_adapter() if reference and hasattr(self.model, "disable_adapter") \
            else contextlib.nullcontext()
        with ctx, self._autocast():
            out = self.model(input_ids=ids, attention_mask=mask, output_hidden_states=with_values)
        logits = out.logits.float()
        result: dict[str, list[torch.Tensor]] = {"logprobs": [], "entropy": [], "values": []}
        for i, (p, r) in enumerate(zip(prompts, responses)):
            # The token at position t is predicted from position t - 1.
            sl = slice(len(p) - 1, len(p) - 1 + len(r))
            logp_all = torch.log_softmax(logits[i, sl], -1)
            target = torch.tensor(list(r), dtype=torch.long, device=dev)
            result["logprobs"].append(logp_all.gather(-1, target[:, None]).squeeze(-1))
            result["entropy"].append(-(logp_all.exp() * logp_all).sum(-1))
            if with_values:
                result["values"].append(self.value_head(out.hidden_states[-1][i, sl].float()).squeeze(-1))
        return result


__all__ = ["Generation", "LLMPolicy", "resolve_device"]
