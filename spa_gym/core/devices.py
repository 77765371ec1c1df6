"""Which torch device to run on, with one clear error when the asked-for one is absent."""

from __future__ import annotations

from typing import Any


def resolve_device(device: Any = "auto") -> Any:
    """A ``torch.device`` for ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a ``torch.device``.

    ``"auto"`` picks CUDA when present. Asking for CUDA without a GPU is a ``RuntimeError`` that says so,
    and an unknown name a ``ValueError``, so command lines can print one line instead of a traceback.

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: unknown device 'gpu'; use cpu, cuda, cuda:N or auto
    """
    import torch  # the envs import spa_gym.core without torch

    device = str(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"--device {device} was asked for, but no CUDA GPU is available here (use --device cpu)")
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use cpu, cuda, cuda:N or auto") from None
