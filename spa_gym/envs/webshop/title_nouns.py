"""Title nouns as WebShop's reward sees them, without spaCy at run time.

The original's type score (``goal.py``) counts the title tokens that spaCy (``en_core_web_sm``, spaCy 3.8)
tags ``NOUN`` or ``PROPN``. In Title Case spaCy tags most capitalised words as nouns (``Deluxe``,
``Natural``, ``Long``), not always the brand, and the tag of a word depends on its neighbours. The
shipped table ``title_nouns.json`` holds spaCy's decisions, learned offline by
:mod:`spa_gym.envs.webshop.build_title_nouns`:

* ``weights``: a linear context rule (an averaged perceptron over spaCy's tags of 200,000 generated titles):
  a token is a noun when the integer weights of its features sum to more than zero (:func:`window_features`:
  the word, whether it is capitalised, its neighbours up to two tokens away, the word with each neighbour,
  word trigrams, and a brand's head and tail parts). Neighbouring brands are seen as the class ``B``, so what
  is learned about one brand's neighbours carries over to the others (spaCy's tagger reads about four
  tokens each side; titles are short, so two each side get most of it);
* ``exceptions``: every title of the default catalogue's first 10,000 products (seed 0: all goal targets,
  and the whole default 10,000-product shop) whose spaCy nouns differ from what ``weights`` gives.

So titles of that range get exactly spaCy's nouns; other titles (larger catalogues, other seeds) get the
context rule, which agrees with spaCy on most whole titles (the build prints the measured share).

>>> title_nouns("Northfield Body Lotion")
('northfield', 'body', 'lotion')
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Sequence

TABLE_PATH = Path(__file__).with_name("title_nouns.json")
#: spaCy's tokens for generated titles (words, numbers such as ``3.4`` or ``3X``, single punctuation marks);
#: the build checks that it splits every tagged title exactly as spaCy does.
TOKEN = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?[A-Za-z]*|[^\sA-Za-z\d]")
#: Context marks before the first and after the last token, and the class of a neighbouring brand.
START, END, BRAND = "^", "$", "B"


@functools.lru_cache(maxsize=1)
def load_table() -> dict[str, Any]:
    """The shipped table (``source``, ``brand_heads``, ``brand_tails``, ``weights``, ``exceptions``)."""
    return json.loads(TABLE_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _brand_parts() -> dict[str, tuple[str, str]]:
    table = load_table()
    return {head + tail: (head, tail) for head in table["brand_heads"] for tail in table["brand_tails"]}


def token_features(tokens: Sequence[str], i: int, brands: dict[str, tuple[str, str]]) -> list[str]:
    """The context rule's features of ``tokens[i]`` (``brands`` maps each brand to its head and tail)."""
    n = len(tokens)
    return window_features(tokens[i - 2] if i >= 2 else START, tokens[i - 1] if i >= 1 else START, tokens[i],
                           tokens[i + 1] if i + 1 < n else END, tokens[i + 2] if i + 2 < n else END, brands)


def window_features(l2: str, l1: str, word: str, r1: str, r2: str, brands: dict[str, tuple[str, str]]) -> list[str]:
    """The features of ``word`` between two tokens each side (``START``/``END`` beyond the title)."""
    # neighbours are seen through their class: any brand is ``B``
    l2, l1, r1, r2 = (BRAND if w in brands else w for w in (l2, l1, r1, r2))
    features = ["b", "w|" + word, "cap" if word[:1].isupper() else "low", "-1:" + l1, "1:" + r1, "-2:" + l2, "2:" + r2,
                f"-1|{word}|{l1}", f"1|{word}|{r1}", f"-2|{word}|{l2}", f"2|{word}|{r2}",
                f"t|{l1}|{word}|{r1}", f"r|{word}|{r1}|{r2}", f"l|{l2}|{l1}|{word}"]
    parts = brands.get(word)
    if parts is not None:
        head, tail = parts
        features += ["h:" + head, "t:" + tail, f"h1:{head}|{r1}", f"t1:{tail}|{r1}", f"B|{r1}|{r2}"]
    return features


def rule_nouns(title: str, weights: dict[str, int],
               brands: dict[str, tuple[str, str]] | None = None) -> tuple[str, ...]:
    """Nouns by the context rule: the tokens whose feature weights sum to more than zero."""
    brands = _brand_parts() if brands is None else brands
    tokens = TOKEN.findall(title)
    get = weights.get
    return tuple(token.lower() for i, token in enumerate(tokens)
                 if sum(get(f, 0) for f in token_features(tokens, i, brands)) > 0)


def _shipped_rule_nouns(title: str) -> tuple[str, ...]:
    """:func:`rule_nouns` with the shipped weights, each token's decision memoised by its five-token window
    (titles share most windows: the same types, attributes and options recur under many brands)."""
    tokens = TOKEN.findall(title)
    window = (START, START, *tokens, END, END)
    return tuple(tokens[i].lower() for i in range(len(tokens)) if _window_is_noun(*window[i:i + 5]))


@functools.lru_cache(maxsize=1 << 17)
def _window_is_noun(l2: str, l1: str, word: str, r1: str, r2: str) -> bool:
    get = load_table()["weights"].get
    return sum(get(f, 0) for f in window_features(l2, l1, word, r1, r2, _brand_parts())) > 0


@functools.lru_cache(maxsize=65536)
def title_nouns(title: str) -> tuple[str, ...]:
    """The lower-cased tokens of ``title`` that spaCy tags NOUN/PROPN, in order (duplicates kept)."""
    table = load_table()
    exception = table["exceptions"].get(title)
    if exception is not None:
        return tuple(exception.split())
    return _shipped_rule_nouns(title)
