"""``spa-gym view DIR``: a local web page over a run folder.

Lists the episodes of every JSONL file under ``DIR`` (filters: env, task type, split, won, reward mode),
shows one episode as a transcript with a plot per step of the reward, the estimator's cumulative progress
and the true progress, and the run's PPO learning curves, estimator losses, estimator quality (estimated
against true progress) and eval tables. Episodes recorded through
:class:`~spa_gym.wrappers.RecordEpisodes` carry everything the page shows; plain episode files show what
they have.

Needs the ``viewer`` extra (``pip install 'spa-gym[viewer]'``: Starlette and uvicorn). Every asset ships
in the package (uPlot, MIT, vendored in ``static/vendor``), so the page works with no network.

>>> from spa_gym.viewer.app import is_loopback
>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
(True, True, False)
"""

from __future__ import annotations

from typing import Any


def make_server(*args: Any, **kwargs: Any) -> Any:
    """See :func:`spa_gym.viewer.app.make_server` (imported lazily: Starlette is an optional extra)."""
    try:
        from spa_gym.viewer.app import make_server as _make_server
    except ImportError as err:  # pragma: no cover
        raise RuntimeError(f"spa-gym view needs the viewer extra: pip install 'spa-gym[viewer]' ({err})") from None
    return _make_server(*args, **kwargs)


__all__ = ["make_server"]
