"""WebShop's purchase reward (``web_agent_site/engine/goal.py``), formula and thresholds unchanged.

``reward = r_type * (N_att + N_opt + r_price) / (|G.attributes| + |G.goal_options| + 1)``

* ``N_att``: goal attributes matched by a product attribute (fuzzy ``token_set_ratio > 85``) or found
  verbatim in the lower-cased title, bullets or description;
* ``N_opt``: goal options matched (fuzzy, after colour normalisation) by a purchased option value;
* ``r_price``: 1 if the purchase price is at most the goal's bound;
* ``r_type``: 1, or 0.5 / 0.1 / 0 when query, category and title nouns disagree.

Fuzzy scores emulate ``thefuzz>=0.20`` (which wraps rapidfuzz): drop U+0080-U+00FF, rapidfuzz's
``default_process``, ``token_set_ratio``, rounded to an int.

>>> round(get_reward_from_parts(
...     goal_attributes=["gluten free", "low calorie"], goal_options=["sea salt", "8 ounce", "pack of 2"],
...     price_upper=20.0, goal_query="potato chips", goal_category="a \u203a b", goal_nouns=["chips"],
...     attributes=["gluten free"], title="crunchy chips", bullets=[], description="low calorie snack",
...     purchased_options=["sea salt", "12 ounce"], price=9.5, query="potato chips", category="a \u203a b",
...     nouns=["chips"])["reward"], 4)
0.6667
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from rapidfuzz import fuzz, utils

#: The original's colour list (``normalize.py``), in its order: the first entry found in a string wins.
COLOR_SET = (
    "alabaster", "apricot", "aqua", "ash", "asphalt", "azure", "banana", "beige", "black", "blue", "blush",
    "bordeaux", "bronze", "brown", "burgundy", "camel", "camo", "caramel", "champagne", "charcoal", "cheetah",
    "chestnut", "chocolate", "christmas", "coffee", "cognac", "copper", "coral", "cranberry", "cream", "crystal",
    "dark", "denim", "eggplant", "elephant", "espresso", "fuchsia", "gold", "granite", "grape", "graphite", "grass",
    "gray", "green", "grey", "heather", "indigo", "ivory", "ivy", "khaki", "lavender", "lemon", "leopard", "light",
    "lilac", "lime", "magenta", "maroon", "mauve", "merlot", "midnight", "mint", "mocha", "multicolor", "mushroom",
    "mustard", "natural", "navy", "nude", "olive", "orange", "peach", "pewter", "pink", "plum", "purple", "rainbow",
    "red", "rose", "royal", "rust", "sand", "sapphire", "seashell", "silver", "skull", "slate", "steel", "stone",
    "stonewash", "sunflower", "tan", "taupe", "teal", "tiger", "turquoise", "violet", "walnut", "wheat", "white",
    "wine", "yellow",
)
assert len(COLOR_SET) == 102

#: The fuzzy-match threshold: a score must be strictly greater.
FUZZY_THRESHOLD = 85
_LATIN1 = re.compile("[\u0080-\u00ff]")
_CATEGORY_SEP = "\u203a"


def normalize_color(text: Any) -> Any:
    """The first colour of :data:`COLOR_SET` that occurs in ``text``, else ``text`` unchanged.

    >>> normalize_color("dark blue"), normalize_color("navy blue"), normalize_color("large")
    ('blue', 'blue', 'large')
    """
    for color in COLOR_SET:
        if color in text:
            return color
    return text


def fuzzy_score(a: Any, b: Any) -> int:
    """``thefuzz.fuzz.token_set_ratio`` as of thefuzz 0.20 (an int in 0..100).

    >>> fuzzy_score("Black", "black"), fuzzy_score("gluten free", "free gluten")
    (100, 100)
    """
    a, b = _LATIN1.sub("", str(a)), _LATIN1.sub("", str(b))
    return int(round(fuzz.token_set_ratio(a, b, processor=utils.default_process)))


def title_score(goal_nouns: Sequence[str], product_nouns: Iterable[str]) -> float:
    """Share of the goal title's nouns (duplicates counted) that the product title has; 0.2 if none."""
    if len(goal_nouns) == 0:
        return 0.2
    return len(set(product_nouns) & set(goal_nouns)) / len(goal_nouns)


def category_match(goal_category: str, product_category: str) -> bool:
    """Do the two ``A \u203a B \u203a C`` paths share at least two parts?"""
    goal_parts = {p.strip() for p in goal_category.split(_CATEGORY_SEP)}
    product_parts = {p.strip() for p in product_category.split(_CATEGORY_SEP)}
    return len(goal_parts & product_parts) >= 2


def type_reward(goal_query: str, goal_category: str, goal_nouns: Sequence[str], query: str, category: str,
                nouns: Iterable[str]) -> dict[str, Any]:
    """``r_type`` and its inputs. Later rules override earlier ones, as in the original."""
    query_match = query == goal_query
    cat_match = category_match(goal_category, category)
    score = title_score(goal_nouns, nouns)
    r_type = 1.0
    if not query_match and not cat_match and not score > 0.2:
        r_type = 0.5
    if score < 0.1:
        r_type = 0.1
    if score == 0.0:
        r_type = 0.0
    return {"r_type": r_type, "query_match": query_match, "category_match": cat_match, "title_score": score}


def attribute_matches(goal_attributes: Sequence[str], attributes: Sequence[str], title: str,
                      bullets: Sequence[str], description: str) -> int:
    """``N_att``: goal attributes found (fuzzily) among the product's attributes or verbatim in its text."""
    attributes = list(attributes) or ["DUMMY_ATTR"]
    title, bullet_text, description = title.lower(), " ".join(bullets).lower(), description.lower()
    count = 0
    for goal_attr in goal_attributes:
        if any(fuzzy_score(a, goal_attr) > FUZZY_THRESHOLD for a in attributes):
            count += 1
        elif goal_attr in title or goal_attr in bullet_text or goal_attr in description:
            count += 1
    return count


def option_matches(goal_options: Sequence[Any], purchased_options: Sequence[Any]) -> int:
    """``N_opt``: goal options matched by some purchased value (each goal option counts once).

    Values are strings (human goals) or ``(name, value)`` tuples (synthetic goals); colours are normalised first.
    """
    # ``normalize_color`` on a tuple tests exact membership (``"blue" in ("color", "blue")``), as in the original.
    goal = [normalize_color(o) for o in goal_options]
    bought = [normalize_color(o) for o in purchased_options]
    return sum(1 for g in goal if any(fuzzy_score(p, g) > FUZZY_THRESHOLD for p in bought))


def get_reward_from_parts(*, goal_attributes: Sequence[str], goal_options: Sequence[Any], price_upper: float,
                          goal_query: str, goal_category: str, goal_nouns: Sequence[str],
                          attributes: Sequence[str], title: str, bullets: Sequence[str], description: str,
                          purchased_options: Sequence[Any], price: float, query: str, category: str,
                          nouns: Iterable[str]) -> dict[str, Any]:
    """The reward and its breakdown (the original's ``verbose`` info) from plain values."""
    kind = type_reward(goal_query, goal_category, goal_nouns, query, category, nouns)
    n_att = attribute_matches(goal_attributes, attributes, title, bullets, description)
    n_opt = option_matches(goal_options, purchased_options)
    r_price = 1.0 if price <= price_upper else 0.0
    denominator = len(goal_attributes) + len(goal_options) + 1
    reward = kind["r_type"] * (n_att + n_opt + r_price) / denominator
    return {
        "reward": reward,
        "r_type": kind["r_type"],
        "r_att": n_att / len(goal_attributes) if goal_attributes else 0.0,
        "w_att": len(goal_attributes) / denominator,
        "r_option": n_opt / len(goal_options) if goal_options else None,
        "w_option": len(goal_options) / denominator,
        "r_price": r_price,
        "w_price": 1 / denominator,
        "query_match": kind["query_match"],
        "category_match": kind["category_match"],
        "title_score": kind["title_score"],
    }


def get_reward(product: Any, goal: Any, options: dict[str, str]) -> dict[str, Any]:
    """Reward for buying ``product`` with the chosen ``options`` (name -> value) against ``goal``.

    ``product`` is a :class:`~spa_gym.envs.webshop.catalogue.Product`; ``goal`` a
    :class:`~spa_gym.envs.webshop.goals.Goal`. Both carry their title nouns.
    """
    return get_reward_from_parts(
        goal_attributes=goal.attributes, goal_options=goal.goal_options, price_upper=goal.price_upper,
        goal_query=goal.query, goal_category=goal.product_category, goal_nouns=goal.nouns,
        attributes=product.attributes, title=product.title, bullets=product.bullets,
        description=product.description, purchased_options=list(options.values()), price=product.price,
        query=product.query, category=product.product_category, nouns=product.nouns or (),
    )
