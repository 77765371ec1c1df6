"""The generated product catalogue: product ``i`` is a pure function of ``(seed, i)``.

Nothing is stored: :meth:`Catalogue.product` rebuilds a product from its index in a few microseconds
(memoised), so a catalogue of 1,000,000 products costs no memory beyond its search index, and every
env of a process (or of many processes) sees exactly the same shop.

Products carry the fields the original's load step derives (``Title``, ``Description``,
``BulletPoints``, ``options``, ``pricing``, ``Attributes``, ``query``, ``product_category``) plus the
nouns of the title, which the reward's type score needs: the original tags titles with spaCy
(``en_core_web_sm``) on every purchase; we read its tags from :mod:`spa_gym.envs.webshop.title_nouns`,
a table made offline with spaCy, so spaCy is not needed at run time.

>>> cat = Catalogue(num_products=100, seed=0)
>>> p = cat.product(7)
>>> cat.index_of(p.asin) == 7 and len(p.asin) == 10 and p.asin.startswith("B0")
True
>>> cat.product(7) == Catalogue(num_products=5000, seed=0).product(7)   # independent of the size
True
"""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass, field, replace
from typing import Iterator

from spa_gym.core.seeding import stable_seed
from spa_gym.core.text import extra_characters
from spa_gym.envs.webshop import vocab
from spa_gym.envs.webshop.title_nouns import title_nouns

#: Bump when the generator changes products (it is part of every product seed and of the index cache key).
GENERATOR_VERSION = "webshop-catalogue-v2"

# Option group display names: several tables share the original's plain "size" / "color" headings.
_OPTION_DISPLAY = {
    "snack flavor": "flavor", "bar flavor": "flavor", "coffee flavor": "flavor", "tea flavor": "flavor",
    "jerky flavor": "flavor", "sauce flavor": "flavor", "candy flavor": "flavor",
    "lotion size": "size", "food size": "size", "clothing size": "size", "shoe size": "size", "furniture size": "size",
    "furniture color": "color", "device color": "color", "hair color": "color",
}

# ASINs: "B0" + 8 base-36 digits of a bijection of the index, so they look random but never collide.
_ASIN_SPACE = 36 ** 8
_ASIN_MULT = 2_654_435_761          # odd and not a multiple of 3: invertible modulo 36**8
_ASIN_INV = pow(_ASIN_MULT, -1, _ASIN_SPACE)
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Product:
    """One product, in the form the original holds after loading ``items_shuffle.json``."""

    asin: str                                 # upper-case, 10 characters
    title: str                                # ``Title``
    description: str                          # ``Description``
    bullets: tuple[str, ...]                  # ``BulletPoints``
    category: str                             # one of the five categories
    query: str                                # the scrape query (lower-case)
    product_category: str                     # "A \u203a B \u203a C"
    attributes: tuple[str, ...]               # ``Attributes`` (from items_ins_v2)
    options: dict[str, tuple[str, ...]] = field(hash=False)  # option name -> values, in page order
    pricing: tuple[float, ...] = ()           # one price or a (low, high) range
    price: float = 100.0                      # purchase price: pricing[0], or a seeded draw within a range
    nouns: tuple[str, ...] | None = None      # title nouns (lower-case); None: compute with spaCy / fallback

    @property
    def price_text(self) -> str:
        """``Price`` as the pages show it: Python float repr, ``$a`` or ``$a to $b``."""
        return " to ".join(f"${p!r}" for p in self.pricing) if self.pricing else "$100.0"

    def option_text(self) -> str:
        """``name: v1, v2`` groups joined by ``, and `` (part of the search document)."""
        return ", and ".join(f"{name}: {', '.join(values)}" for name, values in self.options.items())

    def search_document(self) -> str:
        """The text the original indexes: title, description, first bullet and options, lower-cased."""
        first_bullet = self.bullets[0] if self.bullets else ""
        return " ".join([self.title, self.description, first_bullet, self.option_text()]).lower()


def asin_for(seed: int, index: int) -> str:
    """The ASIN of product ``index`` in catalogue ``seed`` (bijective in ``index``)."""
    n = ((index + seed * 7_919_983) * _ASIN_MULT) % _ASIN_SPACE
    digits = []
    for _ in range(8):
        n, r = divmod(n, 36)
        digits.append(_DIGITS[r])
    return "B0" + "".join(reversed(digits))


def index_for(seed: int, asin: str) -> int:
    """Inverse of :func:`asin_for` (may be out of range: callers check against the catalogue size)."""
    n = int(asin[2:], 36)
    return (n * _ASIN_INV - seed * 7_919_983) % _ASIN_SPACE


def _product_type(seed: int, index: int) -> tuple[random.Random, vocab.ProductType]:
    """The product's generator and its first draw, the product type (which fixes category and query)."""
    rng = random.Random(stable_seed(GENERATOR_VERSION, seed, index))
    return rng, vocab.PRODUCT_TYPES[rng.randrange(len(vocab.PRODUCT_TYPES))]


@functools.lru_cache(maxsize=8192)
def generate_product(seed: int, index: int) -> Product:
    """Product ``index`` of catalogue ``seed``; deterministic in any process."""
    product = draw_product(seed, index)
    return replace(product, nouns=title_nouns(product.title))


def draw_product(seed: int, index: int) -> Product:
    """Product ``index`` of catalogue ``seed`` before its title is tagged (``nouns`` is None)."""
    rng, ptype = _product_type(seed, index)
    brand = rng.choice(vocab.BRAND_HEADS) + rng.choice(vocab.BRAND_TAILS)
    attributes = tuple(rng.sample(ptype.attributes, rng.randint(1, 4)))

    options: dict[str, tuple[str, ...]] = {}
    for group in ptype.options:
        if rng.random() < 0.85:
            pool = vocab.OPTION_VALUES[group]
            chosen = set(rng.sample(range(len(pool)), rng.randint(2, min(6, len(pool)))))
            options[_OPTION_DISPLAY.get(group, group)] = tuple(v for i, v in enumerate(pool) if i in chosen)

    words = [brand]
    if rng.random() < 0.5:
        words.append(rng.choice(vocab.TITLE_ADJECTIVES))
    if rng.random() < 0.6:
        words.append(attributes[0].title())
    words.append(ptype.title)
    title = " ".join(words)
    if options and rng.random() < 0.4:  # Amazon titles often name a default variant
        title += ", " + rng.choice(next(iter(options.values()))).title()
    elif rng.random() < 0.3:
        title += f", {rng.choice((2, 3, 4, 6, 12))} Pack"

    type_name = ptype.title.lower()
    sentences = rng.sample(vocab.DESCRIPTION_SENTENCES, rng.randint(2, 3))
    description = " ".join(s.format(brand=brand, type=type_name, attr=rng.choice(attributes)) for s in sentences)
    bullets = []
    for template in rng.sample(vocab.BULLET_TEMPLATES, rng.randint(3, 5)):
        attr = rng.choice(attributes)
        bullets.append(template.format(ATTR=attr.upper(), attr=attr, brand=brand, type=type_name))

    low, high = ptype.price
    first = round(rng.uniform(low, high), 2)
    if rng.random() < 0.2:
        pricing: tuple[float, ...] = (first, round(first * rng.uniform(1.1, 1.8), 2))
        price = round(rng.uniform(*pricing), 2)  # the original draws this at load; we freeze it per seed
    else:
        pricing, price = (first,), first

    return Product(asin=asin_for(seed, index), title=title, description=description, bullets=tuple(bullets),
                   category=ptype.category, query=ptype.query, product_category=vocab.CATEGORY_SEP.join(ptype.path),
                   attributes=attributes, options=options, pricing=pricing, price=price)


class Catalogue:
    """A generated shop of ``num_products`` products drawn from ``seed``.

    Args:
        num_products: how many products (default 10,000; scales to millions, products are not stored).
        seed: catalogue seed; product ``i`` is the same for every size.
    """

    def __init__(self, num_products: int = 10_000, seed: int = 0) -> None:
        if isinstance(num_products, bool) or not isinstance(num_products, int) or num_products < 1:
            raise ValueError(f"num_products must be a positive int, got {num_products!r}")
        if num_products > _ASIN_SPACE:
            raise ValueError(f"num_products must be at most {_ASIN_SPACE}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.num_products = num_products
        self.seed = seed

    def __len__(self) -> int:
        return self.num_products

    def __repr__(self) -> str:
        return f"Catalogue(num_products={self.num_products}, seed={self.seed})"

    @property
    def key(self) -> str:
        """Identifies this catalogue's content (the search-index cache key)."""
        raw = f"{GENERATOR_VERSION}|{self.seed}|{self.num_products}|{_vocab_digest()}"
        return "gen-" + hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()

    def product(self, index: int) -> Product:
        if not 0 <= index < self.num_products:
            raise IndexError(f"product index {index} out of range (0..{self.num_products - 1})")
        return generate_product(self.seed, index)

    def index_of(self, asin: str) -> int | None:
        """Index of the product with this ASIN (any case), or None if the catalogue has none."""
        asin = asin.upper()
        if len(asin) != 10 or not asin.startswith("B0") or not all(c in _DIGITS for c in asin[2:]):
            return None
        index = index_for(self.seed, asin)
        return index if index < self.num_products else None

    def indices_where(self, field: str, value: str) -> tuple[int, ...]:
        """Indices of the products whose ``category`` or ``query`` is ``value``, in index order (debug search)."""
        return _indices_where(self.seed, self.num_products, field, value)

    def characters(self) -> str:
        """Every character beyond printable ASCII that a page or goal of this catalogue can show (``›``)."""
        return generator_characters()

    def documents(self) -> Iterator[tuple[str, str]]:
        """``(ASIN, search document)`` of every product, in index order (used once to build the index)."""
        for i in range(self.num_products):
            # Bypass the memo: building the index must not evict the products envs are using (and the index
            # needs no nouns).
            product = draw_product(self.seed, i)
            yield product.asin, product.search_document()


@functools.lru_cache(maxsize=16)
def _indices_where(seed: int, num_products: int, field: str, value: str) -> tuple[int, ...]:
    if field not in ("category", "query"):
        raise ValueError(f"field must be 'category' or 'query', got {field!r}")
    return tuple(i for i in range(num_products) if getattr(_product_type(seed, i)[1], field) == value)


def _strings(value: object) -> Iterator[str]:
    """Every string inside a vocabulary table (tuples, dicts, product types), keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, vocab.ProductType):
        yield from _strings(tuple(vars(value).values()))


@functools.lru_cache(maxsize=1)
def generator_characters() -> str:
    """The characters beyond printable ASCII in the generator's tables, in every case the generator writes
    them (titles use ``str.title``, bullets ``str.upper``, clicks ``str.lower``): a superset of what any
    generated product or goal contains."""
    tables = (vocab.PRODUCT_TYPES, vocab.OPTION_VALUES, _OPTION_DISPLAY, vocab.BRAND_HEADS, vocab.BRAND_TAILS,
              vocab.TITLE_ADJECTIVES, vocab.DESCRIPTION_SENTENCES, vocab.BULLET_TEMPLATES, vocab.GOAL_OPENERS,
              vocab.OPTION_CLAUSES, vocab.CATEGORY_SEP)
    words = list(_strings(tables))
    return extra_characters(words + [w.title() for w in words] + [w.upper() for w in words]
                            + [w.lower() for w in words])


@functools.lru_cache(maxsize=1)
def _vocab_digest() -> str:
    """Hash of the vocabulary tables: editing them changes products, so it must change the cache key."""
    parts = [repr(vocab.PRODUCT_TYPES), repr(sorted(vocab.OPTION_VALUES.items())), repr(vocab.BRAND_HEADS),
             repr(vocab.BRAND_TAILS), repr(vocab.TITLE_ADJECTIVES), repr(vocab.DESCRIPTION_SENTENCES),
             repr(vocab.BULLET_TEMPLATES)]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=8).hexdigest()
