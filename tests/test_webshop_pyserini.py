"""WebShop search against the real engine (pyserini 0.17.0 = Anserini 0.14.3 / Lucene 8.11.0), on a small index.

Optional: skipped unless Java and ``pip install --no-deps pyserini==0.17.0 pyjnius`` are present (the package
never needs them). The full measurement is ``benchmarks/webshop_pyserini_parity.py``; this file checks, in a
few seconds, that result pages, analysed terms and our copy of Lucene's character tables are the engine's.
"""

from __future__ import annotations

import json
import random

import pytest

from spa_gym.envs.webshop.analysis import CHARS_PATH
from spa_gym.envs.webshop.catalogue import Catalogue
from spa_gym.envs.webshop.goals import GoalSet
from spa_gym.envs.webshop.search import SearchIndex

#: Documents beyond the generated (ASCII) catalogue, so that indexing meets the non-ASCII rules too.
ODD_DOCUMENTS = [
    ("B0ODD00001", "caf\u00e9 cr\u00e8me\u2122 lotion 3.4 fl oz, 1,000 count \U0001f44d\U0001f3fd"),
    ("B0ODD00002", "\u05e6\u05d4\"\u05dc running:shoes men\u2019s \u00a9 a_b oz.3"),
    ("B0ODD00003", "\u4e2d\u6587 \u30ab\u30bf\u30ab\u30ca \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35 #\ufe0f\u20e3 "
                   "\U0001f1fa\U0001f1f8 lotion"),
    ("B0ODD00004", "\u0130stanbul \u03a3\u039f\u03a3 stra\u00dfe \U0001d400s " + "x" * 300),
]


@pytest.fixture(scope="module")
def parity(load_benchmark):
    module = load_benchmark("webshop_pyserini_parity")
    reason = module.missing_reason()
    if reason:
        pytest.skip(f"the real engine is not available: {reason}")
    return module


@pytest.fixture(scope="module")
def engines(parity, tmp_path_factory):
    catalogue = Catalogue(num_products=300, seed=0)
    documents = list(catalogue.documents()) + ODD_DOCUMENTS
    lucene = parity.Lucene()
    index_dir = tmp_path_factory.mktemp("lucene") / "index"
    lucene.index(documents, index_dir)
    lucene.open(index_dir)
    ours = SearchIndex.build(documents, len(documents))
    return lucene, ours, [a for a, _ in documents], catalogue


def test_result_pages_are_the_engines(parity, engines):
    lucene, ours, asins, catalogue = engines
    rng = random.Random(0)
    agent = parity.agent_queries(GoalSet(catalogue), 150, rng)
    words = sorted({w for _, text in ODD_DOCUMENTS + list(catalogue.documents())[:50] for w in text.split()})
    queries = agent + [q.lower() for q in agent] + parity.adversarial_queries(words, 200, rng)
    report = parity.compare_search(ours, asins, lucene, queries)
    assert report["full_pages"] == 1.0, report["differences"][:3]
    assert report["total_results"] == 1.0 and report["first_result"] == 1.0


def test_analysed_terms_are_the_engines(parity, engines):
    lucene = engines[0]
    report = parity.compare_analyzer(lucene, parity.fuzz_strings(3000, random.Random(1)))
    assert report["differ"] == 0, report["differences"][:3]


def test_character_table_is_the_jars(parity, engines):
    from spa_gym.envs.webshop import build_lucene_chars as build

    table = json.loads(CHARS_PATH.read_text(encoding="utf-8"))
    assert build.word_break_runs(build.scanner_class_map(build.find_jar())) == table["word_break"]
    assert build.java_lower_runs()[0] == table["lower"]
