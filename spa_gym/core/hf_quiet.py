"""Quiet Hugging Face loading and saving: no "Loading weights" / "Writing model shards" bars for small models.

The CLI used to silence them globally; the Python API printed them. :func:`quiet_transformers` does it for
one block and restores the caller's settings afterwards, so a user's own logging choices are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Inside the block transformers shows no progress bars and logs errors only."""
    from transformers.utils import logging as hf_logging

    bars_on = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars_on:
            hf_logging.enable_progress_bar()


__all__ = ["quiet_transformers"]
