"""Title nouns: the shipped table reproduces spaCy's tagging (WebShop's goal.py) without spaCy at run time."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from spa_gym.envs.webshop.catalogue import draw_product, generate_product
from spa_gym.envs.webshop.goals import GOAL_POOL, load_manifest
from spa_gym.envs.webshop.title_nouns import TOKEN, load_table, rule_nouns, title_nouns, token_features


def test_products_carry_the_table_nouns_and_title_case_adjectives_count():
    table = load_table()
    assert table["source"]["products"] == GOAL_POOL and table["source"]["catalogue_seed"] == 0
    for i in range(0, 3000, 7):
        p = generate_product(0, i)
        assert p.nouns == title_nouns(p.title) and set(p.nouns) <= {t.lower() for t in TOKEN.findall(p.title)}
    # spaCy tags capitalised attribute and adjective words as nouns in Title Case titles, not punctuation
    assert rule_nouns("Northfield Deluxe Long Lasting Body Lotion, 3 Pack", table["weights"]) == (
        "northfield", "deluxe", "long", "lasting", "body", "lotion", "pack")
    title, nouns = next(iter(table["exceptions"].items()))
    assert title_nouns(title) == tuple(nouns.split()) != rule_nouns(title, table["weights"])
    assert load_manifest()["title_nouns"] == table["source"]["tagger"]  # a new table must re-pin the goals


#: Held-out titles (seed 0, products 900,000+) with spaCy's nouns: the same word is a noun or not by context.
CONTEXT_CASES = [
    ("Sungate Kosher Mixed Nuts, 6 Pack", ("kosher", "mixed", "nuts", "pack")),
    ("Northmoor Ultra Mixed Nuts, 2 Pack", ("northmoor", "ultra", "nuts", "pack")),
    ("Zephyrmont Original Yoga Pants", ("zephyrmont", "original", "yoga", "pants")),
    ("Quillwick Original Hooded Sweatshirt", ("quillwick", "hooded", "sweatshirt")),
    ("Aldergate Low Fat Beef Jerky, Hickory Smoked", ("aldergate", "low", "fat", "beef", "jerky", "hickory", "smoked")),
]
BRANDS = {"Northfield": ("North", "field"), "Oakline": ("Oak", "line")}


def test_token_features_see_two_neighbours_each_side_with_brands_as_a_class():
    assert token_features(["Northfield", "Original", "Mixed", "Nuts"], 1, BRANDS) == [
        "b", "w|Original", "cap", "-1:B", "1:Mixed", "-2:^", "2:Nuts", "-1|Original|B", "1|Original|Mixed",
        "-2|Original|^", "2|Original|Nuts", "t|B|Original|Mixed", "r|Original|Mixed|Nuts", "l|^|B|Original"]
    assert token_features(["Oakline", ",", "3"], 0, BRANDS)[-5:] == [
        "h:Oak", "t:line", "h1:Oak|,", "t1:line|,", "B|,|3"]
    assert token_features(["Oakline", "and", "Northfield"], 1, BRANDS)[:7] == [
        "b", "w|and", "low", "-1:B", "1:B", "-2:^", "2:$"]


def test_rule_sums_the_weights_of_a_tokens_features():
    # a word counts when its features' weights sum to more than zero; absent features weigh nothing
    weights = {"cap": 2, "w|Original": -3, "1|Original|Mixed": 4, "-1:B": -1, "w|,": -9}
    assert rule_nouns("Northfield Original Nuts, Salted", weights, BRANDS) == ("northfield", "nuts", "salted")
    assert rule_nouns("Northfield Original Mixed Nuts", weights, BRANDS) == ("northfield", "original", "mixed", "nuts")
    assert rule_nouns("Oakline Nuts", weights, BRANDS) == ("oakline", "nuts")
    assert rule_nouns("Oakline Nuts", {**weights, "-1:B": -2}, BRANDS) == ("oakline",)
    assert rule_nouns("", weights, BRANDS) == ()


def test_shipped_rule_reads_context_beyond_the_tagged_range():
    # titles outside the first 10,000 products; the expected nouns are spaCy's (en_core_web_sm 3.8.0)
    weights = load_table()["weights"]
    for title, nouns in CONTEXT_CASES:
        assert title not in load_table()["exceptions"]
        assert title_nouns(title) == rule_nouns(title, weights) == nouns, title
    # the memoised per-window path of title_nouns decides as rule_nouns does
    titles = [draw_product(7, i).title for i in range(300)]
    assert [title_nouns(t) for t in titles if t not in load_table()["exceptions"]] == [
        rule_nouns(t, weights) for t in titles if t not in load_table()["exceptions"]]


def test_no_spacy_at_run_time():
    code = ("import sys, tempfile; from spa_gym.envs.webshop import WebShopEnv; "
            "env = WebShopEnv(num_products=300, expert=True, cache_dir=tempfile.mkdtemp()); "
            "obs, info = env.reset(seed=0)\n"
            "while not info['won']: obs, r, te, tr, info = env.step(info['expert_action'])\n"
            "print('spacy' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


@pytest.fixture(scope="module")
def nlp():
    pytest.importorskip("spacy", reason="optional check: needs spaCy 3.8 and en_core_web_sm (build-time tools)")
    from spa_gym.envs.webshop import build_title_nouns

    try:
        return build_title_nouns.load_model()
    except OSError:
        pytest.skip("optional check: no en_core_web_sm model installed")


def test_table_matches_spacy_on_a_sample_of_generated_titles(nlp):
    from spa_gym.envs.webshop.build_title_nouns import model_name, nouns_of, tag

    if model_name(nlp) != load_table()["source"]["tagger"]:
        pytest.skip(f"table made with {load_table()['source']['tagger']}, installed: {model_name(nlp)}")
    rng = random.Random(0)
    inside = [draw_product(0, i).title for i in rng.sample(range(GOAL_POOL), 300)]
    assert [title_nouns(t) for t in inside] == [nouns_of(tokens) for tokens in tag(nlp, inside)]
    # beyond the table (other products, another seed) the context rule agrees on most titles (96% when built)
    others = rng.sample(range(GOAL_POOL, 10**6), 300)
    beyond = [draw_product(seed, i).title for seed, i in zip([0] * 150 + [7] * 150, others)]
    agree = sum(title_nouns(t) == nouns_of(tokens) for t, tokens in zip(beyond, tag(nlp, beyond)))
    assert agree >= 0.93 * len(beyond)
