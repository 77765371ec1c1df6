"""Package names imported on first use (PEP 562), so a process that needs one module does not import them all.

A Ray env worker imports :mod:`spa_gym.wrappers.record_episodes` and one env; with eager package ``__init__``
imports it also imported torch (through the estimator), which was most of a worker's start-up time.

>>> import sys, types
>>> pkg = types.ModuleType("pkg_demo")
>>> pkg.__getattr__, pkg.__dir__ = lazy_exports("pkg_demo", {"dumps": "json"})
>>> sys.modules["pkg_demo"] = pkg
>>> pkg.dumps([1])                   # json imported now, and the name kept on the package
'[1]'
>>> "dumps" in dir(pkg), "dumps" in vars(pkg)
(True, True)
>>> del sys.modules["pkg_demo"]
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps each name to the module defining it.

    Any other name is tried as a submodule (``package.name``), as an eager ``__init__`` made them attributes.
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = exports.get(name)
        if module is None:
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
