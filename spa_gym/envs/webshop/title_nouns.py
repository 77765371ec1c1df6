"""Title nouns as WebShop's reward sees them, without spaCy at run time.

The original's type score (``goal.py``) counts the title tokens that spaCy (``en_core_web_sm``, spaCy 3.8)
tags ``NOUN`` or ``PROPN``. In Title Case spaCy tags most capitalised words as nouns (``Deluxe``,
``Natural``, ``Long``), not always the brand, and the tag of a word depends on its neighbours. The
shipped table ``title_nouns.json`` holds spaCy's decisions, made offline by
:mod:`spa_gym.envs.webshop.build_title_nouns`:

* ``words``: for every token of the generated titles, whether spaCy tags it a noun most of the time;
* ``exceptions``: every title of the default catalogue's first 10,000 products (seed 0: all goal targets,
  and the whole default 10,000-product shop) whose spaCy nouns differ from what ``words`` gives.

So titles of that range get exactly spaCy's nouns; other titles (larger catalogues, other seeds) get the
word rule, which agrees with spaCy on most titles (the build prints the measured share).

>>> title_nouns("Northfield Body Lotion")
('northfield', 'body', 'lotion')
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("title_nouns.json")
#: spaCy's tokens for generated titles (words, numbers such as ``3.4`` or ``3X``, single punctuation marks);
#: the build checks that it splits every tagged title exactly as spaCy does.
TOKEN = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?[A-Za-z]*|[^\sA-Za-z\d]")


@functools.lru_cache(maxsize=1)
def load_table() -> dict[str, Any]:
    """The shipped table (``source``, ``words``, ``exceptions``)."""
    return json.loads(TABLE_PATH.read_text(encoding="utf-8"))


def rule_nouns(title: str, words: dict[str, int]) -> tuple[str, ...]:
    """Nouns by the word rule: a token the table does not know counts when it starts with a capital letter."""
    return tuple(t.lower() for t in TOKEN.findall(title) if words.get(t, t[:1].isupper()))


@functools.lru_cache(maxsize=65536)
def title_nouns(title: str) -> tuple[str, ...]:
    """The lower-cased tokens of ``title`` that spaCy tags NOUN/PROPN, in order (duplicates kept)."""
    table = load_table()
    exception = table["exceptions"].get(title)
    if exception is not None:
        return tuple(exception.split())
    return rule_nouns(title, table["words"])
