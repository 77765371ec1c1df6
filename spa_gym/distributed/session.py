"""Connecting to Ray for one command: a cluster's address, or a local Ray started for the command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: What ``--ray`` without an address means: start a local Ray for the command.
LOCAL = "local"


@contextmanager
def ray_session(address: str | None = None, *, num_cpus: int | None = None) -> Iterator[None]:
    """Use Ray inside the block: ``None`` or ``"local"`` starts a local Ray (shut down at the end), any other
    address (``"auto"``, ``"ray://head:10001"``, ``"10.0.0.5:6379"``) connects to that cluster. A Ray the
    caller already initialised is used as it is and left running."""
    try:
        import ray
    except ImportError as err:
        raise RuntimeError("Ray is not installed: pip install 'spa-gym[ray]'") from err
    if ray.is_initialized():
        yield
        return
    if address in (None, "", LOCAL):
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    else:
        # Every node needs spa-gym installed (pip install 'spa-gym[ray]'): the workers import it.
        ray.init(address=address, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


__all__ = ["LOCAL", "ray_session"]
