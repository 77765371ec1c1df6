"""Stable state hashes: the same state gives the same hex string in every process, on every machine.

Python's ``hash()`` is salted per process (``PYTHONHASHSEED``) and a set's iteration order follows it, so
neither ``hash()`` nor ``pickle`` of a state can name it across processes. :func:`canonical` turns a value
into plain nested tuples (sets sorted, dict items sorted, dataclasses as their class name and fields), and
:func:`digest` hashes that form's ``ascii()`` text with BLAKE2b. ``ascii()`` of tuples of str, int, float,
bool and None is fixed by the language (no salt, no Unicode-database dependence: every non-ASCII character
is escaped), so the digest is too.

>>> a = {"opened": {"fridge 1", "drawer 2"}, "at": "fridge 1"}
>>> b = {"at": "fridge 1", "opened": {"drawer 2", "fridge 1"}}
>>> digest(canonical(a)) == digest(canonical(b))
True
>>> digest(canonical(a)) == digest(canonical({**a, "at": "drawer 2"}))
False
>>> len(digest(canonical(a)))
32
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

#: Bytes of the BLAKE2b digest (32 hex characters): collisions are out of reach for any number of states
#: a training run visits (birthday bound 2**64).
DIGEST_SIZE = 16


def canonical(value: Any) -> Any:
    """``value`` as plain nested tuples that compare and print the same in every process.

    Handled: None, bool, int, float, str, bytes, tuples and lists (kept in order), sets and frozensets
    (sorted), dicts (items sorted by key), dataclasses, numpy scalars and arrays, and any object with
    ``__getstate__`` or a ``__dict__``/``__slots__`` (its class name plus that state). Containers are tagged
    with their kind, so a set never looks like the tuple of its elements.
    """
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return ("<set>", _sorted(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("<dict>", _sorted((canonical(k), canonical(v)) for k, v in value.items()))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (f"<{type(value).__qualname__}>",
                tuple(canonical(getattr(value, f.name)) for f in dataclasses.fields(value)))
    numpy_form = _numpy(value)
    if numpy_form is not None:
        return numpy_form
    state = _object_state(value)
    return (f"<{type(value).__qualname__}>", canonical(state))


def digest(value: Any) -> str:
    """The BLAKE2b hex digest of an already :func:`canonical` value (or of any value made only of tuples,
    str, int, float, bool, None and bytes)."""
    return hashlib.blake2b(ascii(value).encode("ascii"), digest_size=DIGEST_SIZE).hexdigest()


def state_hash(value: Any) -> str:
    """``digest(canonical(value))``: the stable hash of any snapshot :func:`canonical` handles."""
    return digest(canonical(value))


def rng_form(rng: Any) -> Any:
    """The state of a ``numpy.random.Generator`` (or of its bit generator) in :func:`canonical` form."""
    state = getattr(rng, "bit_generator", rng).state
    inner = state.get("state")
    if state.get("bit_generator") == "PCG64" and isinstance(inner, dict):  # numpy's default: skip the recursion
        return ("PCG64", inner["state"], inner["inc"], state.get("has_uint32"), state.get("uinteger"))
    return canonical(state)


def sorted_tuple(items: Any) -> tuple:
    """A tuple of ``items`` in sorted order (elements of mixed, unorderable types by their ``ascii()``)."""
    return _sorted(items)


def _sorted(items: Any) -> tuple:
    items = list(items)
    try:
        return tuple(sorted(items))
    except TypeError:  # e.g. None beside str, or tuples holding both: order by the printed form instead
        return tuple(sorted(items, key=ascii))


def _numpy(value: Any) -> Any:
    module = type(value).__module__
    if not module.startswith("numpy"):
        return None
    import numpy as np

    if isinstance(value, np.generic):
        return canonical(value.item())
    if isinstance(value, np.ndarray):
        return ("<ndarray>", str(value.dtype), tuple(value.shape), np.ascontiguousarray(value).tobytes())
    return None


def _object_state(value: Any) -> Any:
    getstate = getattr(type(value), "__getstate__", None)
    if getstate is not None and getstate is not getattr(object, "__getstate__", None):
        return value.__getstate__()
    if hasattr(value, "__dict__"):
        return dict(vars(value))
    slots = [s for cls in type(value).__mro__ for s in getattr(cls, "__slots__", ())]
    if slots:
        return {s: getattr(value, s) for s in slots if hasattr(value, s)}
    raise TypeError(f"cannot hash a {type(value).__qualname__} stably: give it __getstate__ or make it a dataclass")


__all__ = ["DIGEST_SIZE", "canonical", "digest", "rng_form", "sorted_tuple", "state_hash"]
