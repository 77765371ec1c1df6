"""Text helpers shared by every environment: the character set of the Text spaces and list phrasing."""

from __future__ import annotations

import string

#: Every character an spa_gym environment may emit: printable ASCII plus newline and tab.
#: Observations are passed through :func:`to_charset` so the Text space really contains them.
CHARSET: str = "".join(sorted(set(string.printable) - set("\x0b\x0c\r")))
_CHARSET_SET = frozenset(CHARSET)

#: Longest observation the spaces admit (WebShop result pages are the longest, a few kB).
MAX_OBSERVATION_LENGTH = 100_000
#: Longest action the action space describes. Longer strings are still accepted by ``step``.
MAX_ACTION_LENGTH = 10_000

_REPLACEMENTS = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                 "\u00a0": " ", "\r": ""}


def to_charset(text: str) -> str:
    """Map ``text`` into :data:`CHARSET`: common typographic characters become ASCII, others ``?``.

    >>> to_charset("caf\u00e9 \u2013 ok")
    'caf? - ok'
    """
    if text.isascii() and all(c in _CHARSET_SET for c in text):
        return text
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        out.append(ch if (ch in _CHARSET_SET or ch == "") else "?")
    return "".join(out)
