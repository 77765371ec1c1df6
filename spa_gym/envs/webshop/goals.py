"""Shopping goals for the generated catalogue, built like the original's human goals.

A goal names a target product, a subset of its attributes, one value for some of its option
groups, and a price bound drawn the original's way (the first four of 10, 20, ... 990 above the
product's price; the bound is the larger of two drawn from them). The instruction is written from
several openers, phrasings and product-name synonyms, so an agent must read it.

Splits never share a target product: products ``i % 20 == 0`` are test targets, ``i % 20 == 1``
valid, the rest train, all among the first ``GOAL_POOL`` products. So the test split is the same
500 goals for every catalogue of 10,000 products or more (a 1M catalogue only makes search harder),
and it is pinned by the hash in ``goals_manifest.json``.

>>> from spa_gym.envs.webshop.catalogue import Catalogue
>>> goals = GoalSet(Catalogue(num_products=400, seed=0))
>>> g = goals.goal("test", 3)
>>> g.product_index % 20 == 0 and g == goals.goal("test", 3)
True
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from spa_gym.core.seeding import stable_seed
from spa_gym.core.tasks import TaskSet
from spa_gym.envs.webshop import vocab
from spa_gym.envs.webshop.catalogue import Catalogue

#: Bump when goal generation changes (it seeds every goal); then update goals_manifest.json.
GOALS_VERSION = "webshop-goals-v2"
#: Split sizes of the generated task set.
SPLIT_SIZES = {"train": 20_000, "valid": 500, "test": 500}
#: Goal targets are drawn from the first GOAL_POOL products, so splits do not depend on larger sizes.
GOAL_POOL = 10_000
MANIFEST_PATH = Path(__file__).with_name("goals_manifest.json")

_TYPE_BY_QUERY = {t.query: t for t in vocab.PRODUCT_TYPES}


@dataclass(frozen=True)
class Goal:
    """What the shopper wants: the original's goal dict, plus the target's title nouns and names of options."""

    asin: str                          # target product (upper-case)
    product_index: int                 # its index in the catalogue (-1 for official data)
    instruction_text: str              # what the agent reads
    attributes: tuple[str, ...]        # goal attributes
    goal_options: tuple[str, ...]      # goal option values (human-goal form: a list of values)
    option_names: tuple[str, ...]      # the option group of each value (generated goals; "" if unknown)
    price_upper: float                 # price bound (1e6 when the text has no price clause)
    query: str                         # target's scrape query
    category: str                      # target's category
    product_category: str              # target's category path
    name: str                          # target's title
    nouns: tuple[str, ...]             # nouns of the target's title
    search_query: str = ""             # keywords a sensible shopper would type (the expert's first query)
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _join(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def _article(phrase: str) -> str:
    # "an" before a vowel sound; a leading "u" is usually a "you" sound (a usb cable, a usda organic tea)
    return "an " if phrase[0] in "aeio" else "a "


def price_upper_for(price: float, rng: random.Random) -> float:
    """The original's bound: the max of 2 draws from the first 4 of 10..990 above ``price``; 1e6 if < 2 exist."""
    price_range = [p for p in range(10, 1000, 10) if p > price][:4]
    if len(price_range) >= 2:
        return float(max(rng.sample(price_range, 2)))
    return 1e6


def write_instruction(rng: random.Random, item: str, attributes: list[str], pairs: list[tuple[str, str]],
                      price_upper: float) -> str:
    """Phrase a goal. ``item`` is the product name, ``pairs`` the (option name, value) wanted."""
    plural = item.endswith("s") and not item.endswith("ss")
    opener = rng.choice(vocab.GOAL_OPENERS)
    form = rng.randrange(3) if attributes else 0
    if form == 0 or len(attributes) == 0:
        phrase = " ".join(attributes + [item])
        if not plural:
            phrase = _article(phrase) + phrase
    elif form == 1:
        phrase = f"{'' if plural else _article(item)}{item} that {'are' if plural else 'is'} "
        phrase += _join(attributes)
    else:
        first = attributes[0]
        phrase = f"{'' if plural else _article(first)}{first} {item}"
        if len(attributes) > 1:
            phrase += f", {_join(attributes[1:])}"
    text = f"{opener} {phrase}"
    if pairs:
        clause = rng.choice(vocab.OPTION_CLAUSES)
        values = _join([v for _, v in pairs])
        named = _join([f"{name} {value}" for name, value in pairs])
        text += clause.format(values=values, pairs=named)
    if price_upper < 1e6:
        text += f", and price lower than {price_upper:.2f} dollars"
    return text


class GoalSet:
    """The generated goals of one catalogue: ``goal(split, task_id)`` is deterministic and cheap."""

    def __init__(self, catalogue: Catalogue, sizes: dict[str, int] | None = None) -> None:
        if len(catalogue) < 20:
            raise ValueError("a generated WebShop needs at least 20 products (goal splits take every 20th)")
        self.catalogue = catalogue
        self.task_set = TaskSet("webshop", GOALS_VERSION, dict(sizes or SPLIT_SIZES))
        pool = min(len(catalogue), GOAL_POOL)
        self._pool = pool
        self._n_test = (pool + 19) // 20
        self._n_valid = (pool + 18) // 20
        self._n_train = pool // 20 * 18 + max(0, pool % 20 - 2)
        self._cache: dict[tuple[str, int], Goal] = {}

    def target_index(self, split: str, task_id: int, rng: random.Random) -> int:
        if split == "test":
            return 20 * (task_id % self._n_test)
        if split == "valid":
            return 20 * (task_id % self._n_valid) + 1
        k = rng.randrange(self._n_train)
        return 20 * (k // 18) + k % 18 + 2

    def goal(self, split: str, task_id: int) -> Goal:
        key = (split, task_id)
        goal = self._cache.get(key)
        if goal is None:
            goal = self._make(split, task_id)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = goal
        return goal

    def _make(self, split: str, task_id: int) -> Goal:
        rng = random.Random(stable_seed(self.task_set.seed_for(split, task_id), self.catalogue.seed))
        index = self.target_index(split, task_id, rng)
        product = self.catalogue.product(index)
        ptype = _TYPE_BY_QUERY[product.query]

        attributes = rng.sample(list(product.attributes), rng.randint(1, min(3, len(product.attributes))))
        # Only values that name one group can be chosen unambiguously by a click.
        counts: dict[str, int] = {}
        for values in product.options.values():
            for v in values:
                counts[v] = counts.get(v, 0) + 1
        pairs = []
        for name, values in product.options.items():
            unique = [v for v in values if counts[v] == 1]
            if unique and rng.random() < 0.85:
                pairs.append((name, rng.choice(unique)))
        price_upper = price_upper_for(product.price, rng)
        item = rng.choice(ptype.synonyms) if ptype.synonyms and rng.random() < 0.35 else ptype.title.lower()
        text = write_instruction(rng, item, list(attributes), pairs, price_upper)
        return Goal(asin=product.asin, product_index=index, instruction_text=text, attributes=tuple(attributes),
                    goal_options=tuple(v for _, v in pairs), option_names=tuple(n for n, _ in pairs),
                    price_upper=price_upper, query=product.query, category=product.category,
                    product_category=product.product_category, name=product.title, nouns=product.nouns or (),
                    search_query=f"{attributes[0]} {ptype.query}")


def split_hash(goals: GoalSet, split: str) -> str:
    """SHA-256 of a split's goals (their dicts as sorted JSON, in task order): pins the split's content."""
    h = hashlib.sha256()
    for task_id in range(goals.task_set.size(split)):
        h.update(json.dumps(goals.goal(split, task_id).to_dict(), sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()


def load_manifest() -> dict[str, Any]:
    """The committed manifest: the version, the catalogue it was made on and the test split's hash."""
    return json.loads(MANIFEST_PATH.read_text())
