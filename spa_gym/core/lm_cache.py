"""One place that knows how a Hugging Face model takes and returns its key/value cache.

transformers 5.x renamed the forward argument ``past_key_values`` to ``cache`` (the old name warns and goes
away in 5.40); 4.x only knows ``past_key_values``. Callers pass :func:`cache_kwargs` and read
:func:`output_cache`, so the same code runs on both without filtering any warning.

Wrappers such as ``peft``'s ``PeftModel`` take ``**kwargs`` and hand them to the model inside, so the name is
read off the innermost model's ``forward``, not the wrapper's.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any

_MAX_WRAPPERS = 4  # PeftModel -> LoraModel -> the transformers model; more would be a cycle


@lru_cache(maxsize=None)
def _named_argument(forward: Any) -> str | None:
    """``"cache"`` or ``"past_key_values"`` if ``forward`` names one of them, else None."""
    try:
        parameters = inspect.signature(forward).parameters
    except (TypeError, ValueError):
        return None
    for name in ("cache", "past_key_values"):
        if name in parameters:
            return name
    return None


def _inner_model(model: Any) -> Any:
    get_base_model = getattr(model, "get_base_model", None)
    if callable(get_base_model):
        inner = get_base_model()
        if inner is not model:
            return inner
    return getattr(model, "model", None)


def cache_argument(model: Any) -> str:
    """The keyword ``model``'s forward pass takes its cache by: ``"cache"`` (5.x) or ``"past_key_values"``."""
    for _ in range(_MAX_WRAPPERS):
        if model is None:
            break
        name = _named_argument(type(model).forward)
        if name is not None:
            return name
        model = _inner_model(model)
    return "past_key_values"


def cache_kwargs(model: Any, cache: Any) -> dict[str, Any]:
    """``{"cache": cache}`` or ``{"past_key_values": cache}``, whichever ``model.forward`` takes."""
    return {cache_argument(model): cache}


def output_cache(output: Any) -> Any:
    """The cache a forward pass returned (``output.cache`` in 5.x, ``output.past_key_values`` in 4.x)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


__all__ = ["cache_argument", "cache_kwargs", "output_cache"]
