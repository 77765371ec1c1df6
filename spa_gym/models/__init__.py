"""Offline model helpers: named models for ``--model`` (:func:`resolve_model`) and SmolLM2 from its GGUF wheel.

The small from-scratch Llama lives in :mod:`spa_gym.progress.small_model`.
"""

from spa_gym.models.aliases import MODEL_ALIASES, resolve_model

__all__ = ["MODEL_ALIASES", "resolve_model"]
