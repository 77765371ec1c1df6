"""One place that knows how a Hugging Face model takes and returns its key/value cache.

transformers 5.x renamed the forward argument ``past_key_values`` to ``cache`` (the old name warns and goes
away in 5.40); 4.x only knows ``past_key_values``. Callers pass :func:`cache_kwargs` and read
:func:`output_cache`, so the same code runs on both without filtering any warning.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def _cache_argument(forward: Any) -> str:
    try:
        parameters = inspect.signature(forward).parameters
    except (TypeError, ValueError):
        return "past_key_values"
    return "cache" if "cache" in parameters else "past_key_values"


def cache_kwargs(model: Any, cache: Any) -> dict[str, Any]:
    """``{"cache": cache}`` or ``{"past_key_values": cache}``, whichever ``model.forward`` takes."""
    return {_cache_argument(type(model).forward): cache}


def output_cache(output: Any) -> Any:
    """The cache a forward pass returned (``output.cache`` in 5.x, ``output.past_key_values`` in 4.x)."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


__all__ = ["cache_kwargs", "output_cache"]
