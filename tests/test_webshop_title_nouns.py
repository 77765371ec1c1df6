"""Title nouns: the shipped table reproduces spaCy's tagging (WebShop's goal.py) without spaCy at run time."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from spa_gym.envs.webshop.catalogue import draw_product, generate_product
from spa_gym.envs.webshop.goals import GOAL_POOL, load_manifest
from spa_gym.envs.webshop.title_nouns import TOKEN, load_table, rule_nouns, title_nouns


def test_products_carry_the_table_nouns_and_title_case_adjectives_count():
    table = load_table()
    assert table["source"]["products"] == GOAL_POOL and table["source"]["catalogue_seed"] == 0
    for i in range(0, 3000, 7):
        p = generate_product(0, i)
        assert p.nouns == title_nouns(p.title) and set(p.nouns) <= {t.lower() for t in TOKEN.findall(p.title)}
    # spaCy tags capitalised attribute and adjective words as nouns in Title Case titles
    words = table["words"]
    assert words["Deluxe"] == words["Natural"] == words["Lasting"] == 1 and words[","] == words["("] == 0
    title, nouns = next(iter(table["exceptions"].items()))
    assert title_nouns(title) == tuple(nouns.split()) != rule_nouns(title, words)
    assert load_manifest()["title_nouns"] == table["source"]["tagger"]  # a new table must re-pin the goals


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
    # beyond the table (other products, another seed) the word rule agrees on most titles (90% when built)
    beyond = [draw_product(seed, i).title for seed, i in zip([0] * 150 + [7] * 150, rng.sample(range(GOAL_POOL, 10**6), 300))]
    agree = sum(title_nouns(t) == nouns_of(tokens) for t, tokens in zip(beyond, tag(nlp, beyond)))
    assert agree >= 0.85 * len(beyond)
