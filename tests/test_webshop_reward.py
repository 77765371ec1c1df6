"""WebShop reward: every branch of the original formula, on hand-made values."""

from __future__ import annotations

import pytest

from spa_gym.envs.webshop.reward import (COLOR_SET, attribute_matches, fuzzy_score, get_reward_from_parts,
                                         normalize_color, option_matches, title_score, type_reward)

CAT = "Beauty & Personal Care \u203a Skin Care \u203a Body \u203a Lotions"


def reward(**overrides):
    """A purchase that matches its goal perfectly, with ``overrides`` applied."""
    parts = dict(goal_attributes=["long lasting", "paraben free"], goal_options=["8 fl oz", "lavender"],
                 price_upper=30.0, goal_query="body lotion", goal_category=CAT, goal_nouns=["brand", "body", "lotion"],
                 attributes=["long lasting", "paraben free"], title="Brand Body Lotion", bullets=["soft"],
                 description="a lotion", purchased_options=["8 fl oz", "lavender"], price=12.5,
                 query="body lotion", category=CAT, nouns=["brand", "body", "lotion"])
    parts.update(overrides)
    return get_reward_from_parts(**parts)


def test_perfect_purchase_scores_one_with_full_breakdown():
    r = reward()
    assert r["reward"] == 1.0 and r["r_type"] == 1.0 and r["r_att"] == 1.0 and r["r_option"] == 1.0
    assert r["r_price"] == 1.0 and r["w_att"] == pytest.approx(2 / 5) and r["w_price"] == pytest.approx(1 / 5)


def test_partial_match_four_of_seven_and_type_mismatch_halves_it():
    # The original's anchor values: 4 of 7 matched parts give 0.5714; with r_type 0.5, 0.2857.
    parts = dict(goal_attributes=["a1", "a2", "a3"], goal_options=["red", "large", "cotton"], price_upper=10.0,
                 attributes=["a1", "a2"], purchased_options=["red", "small"], price=5.0, title="t", bullets=[],
                 description="")
    assert round(reward(**parts)["reward"], 4) == 0.5714
    mismatch = reward(**parts, query="x", category="x \u203a y", nouns=["brand"], goal_nouns=["brand"] + ["n"] * 4)
    assert mismatch["r_type"] == 0.5 and round(mismatch["reward"], 4) == 0.2857
    assert reward(**{**parts, "price": 10.5})["reward"] == pytest.approx(3 / 7)


def test_empty_goal_options_give_none_and_empty_purchase_gives_zero():
    assert reward(goal_options=[])["r_option"] is None
    assert reward(purchased_options=[])["r_option"] == 0.0


@pytest.mark.parametrize("query,category,goal_nouns,nouns,expected", [
    ("body lotion", CAT, ["body", "lotion"], ["body", "lotion"], 1.0),          # query match
    ("hand cream", CAT, ["body", "lotion"], ["lotion"], 1.0),                   # category match only (+ nouns)
    ("hand cream", "Other \u203a Things", ["body", "lotion"], ["lotion"], 1.0),  # title score 0.5 > 0.2 only
    ("hand cream", "Other \u203a Things", list("abcde"), ["a"], 0.5),           # nothing holds, score 0.2
    ("hand cream", "Other \u203a Things", [], ["a"], 0.5),                      # no goal nouns: score 0.2
    ("body lotion", CAT, list("abcdefghijk"), ["a"], 0.1),                      # 1/11 < 0.1 even with query match
    ("body lotion", CAT, ["body", "lotion"], ["cabinet", "knob"], 0.0),          # no shared noun: 0 wins
])
def test_type_score_branches(query, category, goal_nouns, nouns, expected):
    r = type_reward("body lotion", CAT, goal_nouns, query, category, nouns)
    assert r["r_type"] == expected


def test_title_score_counts_goal_duplicates_and_category_needs_two_parts():
    assert title_score(["lotion", "lotion", "body"], ["lotion"]) == pytest.approx(1 / 3)
    assert title_score([], ["x"]) == 0.2
    one_part = type_reward("q", "Beauty & Personal Care \u203a X", ["n"], "other", CAT, [])
    assert not one_part["category_match"]
    two_parts = type_reward("q", "Beauty & Personal Care \u203a  Skin Care ", ["n"], "other", CAT, [])
    assert two_parts["category_match"]  # parts are stripped


def test_colour_normalisation_uses_the_first_listed_colour():
    assert len(COLOR_SET) == 102 and COLOR_SET[:3] == ("alabaster", "apricot", "aqua")
    assert normalize_color("dark blue") == "blue"     # 'blue' is listed before 'dark'
    assert normalize_color("light grey") == "grey"
    assert normalize_color("rose gold") == "gold"
    assert normalize_color("x-large") == "x-large"
    assert option_matches(["dark blue"], ["navy blue"]) == 1    # both become 'blue'
    assert option_matches(["dark blue"], ["dark green"]) == 0   # 'blue' vs 'green'
    assert option_matches(["light grey", "large"], ["grey", "large"]) == 2


def test_synthetic_tuple_options_use_membership_then_string_fuzz():
    # normalize_color on a tuple tests exact membership: ("color", "blue") -> "blue"
    assert normalize_color(("color", "blue")) == "blue"
    assert normalize_color(("color", "dark blue")) == ("color", "dark blue")
    assert option_matches([("color", "dark blue")], [("color", "blue")]) == 1  # "blue" is in str(tuple)
    assert option_matches([("size", "large")], [("size", "small")]) == 0


def test_fuzzy_threshold_is_strictly_greater_than_85():
    assert fuzzy_score("abcdefghijklmnopqrst", "abcdefghijklmnopqXYZ") == 85
    assert option_matches(["abcdefghijklmnopqrst"], ["abcdefghijklmnopqXYZ"]) == 0
    assert fuzzy_score("1 count", "2 count") == 86
    assert option_matches(["1 count"], ["2 count"]) == 1  # a known leniency of the original
    assert fuzzy_score("Black", "black") == 100           # default_process lower-cases
    assert fuzzy_score("caf\u00e9", "caf") == 100          # U+0080-U+00FF are deleted first
    assert isinstance(fuzzy_score(1, "1"), int)


def test_attribute_matches_fuzzily_or_verbatim_in_text():
    assert attribute_matches(["long lasting"], ["long-lasting"], "", [], "") == 1
    assert attribute_matches(["gluten free"], [], "Chips Gluten Free", [], "") == 1       # title, lower-cased
    assert attribute_matches(["gluten free"], [], "", ["Tasty", "GLUTEN FREE"], "") == 1  # bullets
    assert attribute_matches(["gluten free"], [], "", [], "It is Gluten free.") == 1     # description
    assert attribute_matches(["gluten free"], [], "", [], "") == 0                       # DUMMY_ATTR
    assert attribute_matches(["Gluten Free"], [], "gluten free", [], "") == 0            # raw goal attr, no fuzz


@pytest.mark.parametrize("price,upper,expected", [(30.0, 30.0, 1.0), (30.01, 30.0, 0.0), (0.5, 1e6, 1.0)])
def test_price_bound_is_inclusive(price, upper, expected):
    assert reward(price=price, price_upper=upper)["r_price"] == expected
