"""Text helpers shared by every environment: the character sets of the Text spaces and list phrasing.

An environment's Text spaces hold :data:`CHARSET` (printable ASCII, newline, tab) plus every other
character its data can put into an observation, collected from the data itself
(:func:`extra_characters`): the generated WebShop adds ``›`` (U+203A) of its category paths, official
WebShop data adds whatever its titles, descriptions and instructions use. Observations are never
rewritten to fit: the charset is made to fit the text, so sampling draws from characters the env
really uses (a few hundred at most on real data, not the whole of Unicode).

>>> extra_characters(["Caf\u00e9 Cr\u00e8me \u203a Drinks", "plain"])
'\u00e8\u00e9\u203a'
>>> charset_with("\u203a").endswith("~\u203a")
True
"""

from __future__ import annotations

import re
import string
from typing import Iterable

#: The characters every spa_gym environment's spaces hold: printable ASCII plus newline and tab
#: (sorted). Families add the other characters their data uses.
CHARSET: str = "".join(sorted(set(string.printable) - set("\x0b\x0c\r")))
_CHARSET_SET = frozenset(CHARSET)
_OUTSIDE_ASCII_CHARSET = re.compile("[^\t\n\x20-\x7e]")

#: Longest observation the spaces admit (WebShop result pages are the longest, a few kB).
MAX_OBSERVATION_LENGTH = 100_000
#: Longest action the action space describes. Longer strings are still accepted by ``step``.
MAX_ACTION_LENGTH = 10_000

_REPLACEMENTS = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                 "\u00a0": " ", "\r": ""}


def extra_characters(texts: Iterable[str]) -> str:
    """The characters of ``texts`` that :data:`CHARSET` lacks, sorted by code point (no duplicates)."""
    seen: set[str] = set()
    for text in texts:
        if not text.isascii() or _OUTSIDE_ASCII_CHARSET.search(text):
            seen.update(text)
    return "".join(sorted(seen - _CHARSET_SET))


def charset_with(extra: str = "") -> str:
    """:data:`CHARSET` followed by the characters of ``extra`` it lacks (in code-point order).

    Base characters keep their positions, so a space's character indices for ASCII do not depend on
    what a family adds.
    """
    return CHARSET + extra_characters([extra])


def outside(text: str, charset: frozenset[str]) -> str:
    """The characters of ``text`` not in ``charset`` (sorted, no duplicates); ``""`` in the usual case.

    Fast for the common ASCII observation; used to check, never to rewrite, what an env emits.
    """
    if text.isascii() and not _OUTSIDE_ASCII_CHARSET.search(text):
        return ""
    return "".join(sorted(set(text) - charset))


def to_charset(text: str, charset: frozenset[str] = _CHARSET_SET) -> str:
    """Lossy fallback for text from a source whose characters are not known up front (e.g. a foreign
    TextWorld game): typographic quotes and dashes become ASCII, other characters outside ``charset``
    become ``?``. spa_gym's own environments never use it: their charsets hold all they emit.

    >>> to_charset("caf\u00e9 \u2013 ok")
    'caf? - ok'
    """
    if text.isascii() and all(c in charset for c in text):
        return text
    out = []
    for ch in text:
        if ch not in charset:
            ch = _REPLACEMENTS.get(ch, ch)
        out.append(ch if (ch in charset or ch == "") else "?")
    return "".join(out)
