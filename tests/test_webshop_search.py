"""WebShop search = pyserini 0.17 / Lucene 8.11 BM25, rule by rule, on small hand-made documents.

Each expected ranking below is worked out from Lucene's formulas (``BM25Similarity`` with k1=0.9, b=0.4,
``SmallFloat`` norms, ``DefaultEnglishAnalyzer``) in the comment next to it, not by running our code.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from spa_gym.envs.webshop.analysis import STOP_WORDS, analyze, porter_stem, tokenize
from spa_gym.envs.webshop.search import (LENGTH_TABLE, SearchIndex, idf, length_to_norm, norm_inverse_table,
                                         norm_to_length)

f32 = np.float32


def index_of(*docs: tuple[str, str]) -> SearchIndex:
    return SearchIndex.build(list(docs), len(docs))


def fillers(prefix: str, n: int) -> str:
    """``n`` distinct words that match nothing else (``qa0 qa1 ...`` are not stop words and stem to themselves)."""
    return " ".join(f"{prefix}{i}" for i in range(n))


# ---------------------------------------------------------------------------------------------- tokenizer
@pytest.mark.parametrize("text,tokens", [
    ("1,000 count", ["1,000", "count"]),              # WB11/12: a comma between digits keeps the number
    ("6.76 fl oz", ["6.76", "fl", "oz"]),
    ("a_b _x_ 1_a", ["a_b", "_x_", "1_a"]),           # WB13a/b: underscores join anything, lead and trail
    ("running:shoes", ["running:shoes"]),              # WB6/7: a colon is MidLetter
    ("oz.3 a.1 1.a", ["oz", "3", "a", "1", "1", "a"]),  # '.' joins letter-letter or digit-digit only
    ("l'eau u.s.a. don't", ["l'eau", "u.s.a", "don't"]),
    ("oz3 3oz a1.2", ["oz3", "3oz", "a1.2"]),          # WB9/10: letters and digits join directly
    ("1,,000 a::b", ["1", "000", "a", "b"]),           # one middle character only
    ("caf\u00e9 na\u00efve Stra\u00dfe", ["caf\u00e9", "na\u00efve", "Stra\u00dfe"]),  # non-ASCII letters
    ("e\u0301t\u00e9", ["e\u0301t\u00e9"]),            # a combining accent stays with its letter
    ("\u4e2d\u6587 \u30ab\u30bfabc", ["\u4e2d", "\u6587", "\u30ab\u30bf", "abc"]),  # Han one by one, Katakana runs
    ("men\u2019s 2\u20193", ["men\u2019s", "2\u20193"]),  # U+2019 is MidNumLet, like "'"
    ("hello-world/foo+bar (x)", ["hello", "world", "foo", "bar", "x"]),
])
def test_standard_tokenizer_word_breaks(text, tokens):
    assert tokenize(text) == tokens


def test_tokens_longer_than_255_are_cut_and_scanning_goes_on():
    assert [len(t) for t in tokenize("x" * 600 + " y")] == [255, 255, 90, 1]


# What the real engine printed: Anserini 0.14.3's DefaultEnglishAnalyzer (Lucene 8.11.0, Java 17) through
# AnalyzerUtils.analyze, for strings on which our analyzer used to differ (benchmarks/webshop_pyserini_parity.py
# finds such strings; tests/test_webshop_pyserini.py re-checks against Lucene where it is installed).
@pytest.mark.parametrize("text,terms", [
    ("\U0001f44d\U0001f3fd", ["\U0001f44d\U0001f3fd"]),                                   # skin-tone modifier
    ("\U0001f468\u200d\U0001f469\u200d\U0001f467", ["\U0001f468\u200d\U0001f469\u200d\U0001f467"]),  # ZWJ sequence
    ("\U0001f3f3\ufe0f\u200d\U0001f308", ["\U0001f3f3\ufe0f\u200d\U0001f308"]),
    ("#\ufe0f\u20e3 1\ufe0f\u20e3 *\u20e3", ["#\ufe0f\u20e3", "1\ufe0f\u20e3", "*\u20e3"]),     # keycaps
    ("\U0001f1fa\U0001f1f8\U0001f1ec\U0001f1e7\U0001f1eb", ["\U0001f1fa\U0001f1f8", "\U0001f1ec\U0001f1e7"]),  # flags
    ("men's\u00a9 \u00ae \u2122", ["men", "\u00a9", "\u00ae", "\u2122"]),                  # (c) (R) TM are emoji
    ("a\U0001f3fd", ["\U0001f3fd"]),                                   # a modifier alone; "a" is a stop word
    ("\u2139\ufe0f \u231a \U0001f890", ["\u2139\ufe0f", "\u231a"]),    # U+1F890 is no emoji to Lucene
    ("\u05e6\u05d4\"\u05dc \u05d0'\u05d1' \u05d0\" \u05d0' \u05e6\u05d4\"\u05dcb \u05d0\"b",  # Hebrew quotes, WB7a-c
     ["\u05e6\u05d4\"\u05dc", "\u05d0'\u05d1'", "\u05d0", "\u05d0'", "\u05e6\u05d4\"\u05dcb", "\u05d0", "b"]),
    ("\u05e6\u05d4\"\u05dc\U0001f132", ["\u05e6\u05d4\"\u05dc\U0001f132"]),  # a squared Latin letter is a letter
    ("\u2ec6 \u2f07x", ["\u2ec6", "\u2f07", "x"]),                     # CJK and Kangxi radicals are Han
    ("S\u1ca4 \u10a0", ["s", "\u2d00"]),                               # Georgian Mtavruli is not in Unicode 9
    ("\U0001d400s \U0001d400\U0001d401s", ["\U0001d400", "\U0001d400\U0001d401"]),  # stemmed as UTF-16 units
    ("\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",   # tag sequence
     ["\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"]),
    ("a\u200db a\u200d\U0001f600 \u200d\U0001f600", ["a\u200db", "a\u200d", "\U0001f600", "\u200d\U0001f600"]),
    ("x\u0e31\u0e01 \u0e01\u0e31\u0e01 \u0e31\u0e01", ["x\u0e31", "\u0e01", "\u0e01\u0e31\u0e01", "\u0e31\u0e01"]),
    ("\u30a2_\u30a2 \u30a2a \uac00a \uac00\u30a2", ["\u30a2_\u30a2", "\u30a2", "\uac00a", "\uac00", "\u30a2"]),
    ("\uff11\uff12,\uff13 \u0661\u066b\u0662", ["\uff11\uff12,\uff13", "\u0661\u066b\u0662"]),  # U+066B is Numeric
    ("a\ufe0e\u00a9\ufe0e", ["a\ufe0e", "\u00a9"]),
])
def test_analysis_as_lucene_printed_it(text, terms):
    assert analyze(text) == terms


def test_long_tokens_end_at_the_longest_match_within_255_units():
    # Lucene printed token lengths [254, 10]: the cut is before the '.', where the longest match within the
    # scanner's 255-unit buffer ends, not at 255.
    assert [len(t) for t in analyze("a" * 254 + ".b" + "b" * 9)] == [254, 10]
    # 130 characters beyond the BMP are 260 UTF-16 units: 127 characters (254 units) fit, then 3.
    assert [len(t) for t in analyze("\U0001d400" * 130)] == [127, 3]


def test_the_character_table_is_lucenes_not_pythons():
    from spa_gym.envs.webshop.analysis import CHARS_PATH

    table = json.loads(CHARS_PATH.read_text(encoding="utf-8"))
    starts = [int(p, 16) for p, _ in table["word_break"]]
    assert starts[0] == 0 and starts == sorted(starts) and len(set(starts)) == len(starts)
    assert {code for _, code in table["word_break"]} == set(table["classes"]) and len(table["classes"]) == 30
    assert all(first <= last and step in (1, 2) for first, last, step, _ in table["lower"])


def test_the_full_grammar_and_the_fast_path_agree_on_letters_and_digits():
    from spa_gym.envs.webshop.analysis import _scan_dfa, _tables

    rng = random.Random(0)
    classes = _tables()[0]
    for _ in range(3000):
        text = "".join(rng.choice("aZ09_:.,;'\"-s \u00e9\u0301") for _ in range(rng.randint(1, 20)))
        tokens: list[str] = []
        _scan_dfa(text, text.translate(classes), 0, len(text), tokens)
        assert tokens == tokenize(text), text


def test_possessive_lower_case_and_stop_words():
    assert analyze("KID'S Men\u2019s women\uff07s") == ["kid", "men", "women"]
    assert analyze("The Of AND a an") == [] and len(STOP_WORDS) == 33
    assert analyze("\u0130stanbul \u03a3\u039f\u03a3") == ["istanbul", "\u03c3\u03bf\u03c3"]  # Java's per-char lower case
    assert analyze("caf\u00e9") == ["caf\u00e9"]


@pytest.mark.parametrize("word,stem", [
    ("caresses", "caress"), ("ponies", "poni"), ("agreed", "agre"), ("matting", "mat"), ("mating", "mate"),
    ("meetings", "meet"), ("relational", "relat"), ("hopeful", "hope"), ("happy", "happi"), ("sky", "sky"),
    ("terribly", "terribl"), ("apology", "apolog"),   # Lucene's departures from the paper: -bli, -logi
    ("s", "s"), ("is", "is"), ("ss", "ss"), ("ies", "i"),  # one or two letters: unchanged
])
def test_lucene_porter_stemmer(word, stem):
    assert porter_stem(word) == stem


# ---------------------------------------------------------------------------------------------- norms
@pytest.mark.parametrize("length,decoded", [
    (0, 0), (1, 1), (23, 23), (24, 24), (39, 39),    # below 24 stored as is; 24..39 still exact
    (40, 40), (41, 40), (55, 54),                    # then 4 significant bits of (length - 24): steps of 2,
    (56, 56), (59, 56), (87, 84),                    # of 4,
    (88, 88), (95, 88), (151, 144), (152, 152),      # of 8, ...
])
def test_smallfloat_length_norms(length, decoded):
    assert norm_to_length(length_to_norm(np.array([length])))[0] == decoded


def test_smallfloat_table_ends():
    assert length_to_norm(np.array([2**31 - 1]))[0] == 255
    assert LENGTH_TABLE[255] == f32(24 + (15 << 27))  # byte4ToInt(255) = 24 + int4ToLong(231)
    assert np.all(np.diff(LENGTH_TABLE) > 0)


def test_lengths_in_one_norm_bucket_score_alike_and_the_asin_breaks_the_tie():
    # "shoe" once in each; lengths 41 and 40 share the norm byte (both decode to 40), so the scores are equal
    # and the smaller ASIN goes first, although with exact lengths the 40-term document would win.
    idx = index_of(("B1", "shoe " + fillers("qa", 40)), ("B2", "shoe " + fillers("qb", 39)), ("B3", "hat"))
    scores = idx.scores(idx.query_terms("shoe"))
    assert scores[0] == scores[1] and idx.search("shoe") == [0, 1]
    # lengths 39 and 40 are both exact: the shorter wins whatever its ASIN
    idx = index_of(("B1", "shoe " + fillers("qa", 39)), ("B2", "shoe " + fillers("qb", 38)), ("B3", "hat"))
    assert idx.search("shoe") == [1, 0]


# ---------------------------------------------------------------------------------------------- scoring
def test_score_is_lucene_float_arithmetic():
    # Two documents of two terms each: N = 2, avgdl = 2, df(red) = 1, so
    #   idf = (float) ln(1 + (2 - 1 + 0.5) / (1 + 0.5)) = (float) ln 2
    #   normInverse = 1f / (0.9f * ((1 - 0.4f) + 0.4f * 2f / 2f))           (every step rounded to float)
    #   score = w - w / (1f + 1f * normInverse), w = 1f * idf                 ~ ln 2 / 1.9 = 0.364814
    idx = index_of(("B1", "red shoe"), ("B2", "blue hat"))
    one, k1, b = f32(1), f32(0.9), f32(0.4)
    w = f32(math.log(2))
    norm_inverse = one / (k1 * ((one - b) + b * f32(2) / f32(2)))
    expected = w - w / (one + one * norm_inverse)
    scores = idx.scores(idx.query_terms("red"))
    assert scores[0] == expected and scores[1] == 0 and abs(float(expected) - math.log(2) / 1.9) < 1e-6
    assert idf(1, 2) == w and norm_inverse_table(f32(2))[2] == norm_inverse


def test_query_terms_are_boosted_by_their_count():
    # df(red) = 2, df(shoe) = 1 of N = 4, all lengths 2 (so one tf-part t for all):
    #   idf(red) = ln(1 + 2.5/2.5) = 0.693, idf(shoe) = ln(1 + 3.5/1.5) = 1.204
    #   "red shoe":     shoe-doc 1.204 t  >  red-docs 0.693 t
    #   "red red shoe": red-docs 2 * 0.693 t = 1.386 t  >  shoe-doc 1.204 t
    idx = index_of(("B1", "red x1"), ("B2", "red x2"), ("B3", "shoe x3"), ("B4", "hat x4"))
    assert idx.search("red shoe") == [2, 0, 1]
    assert idx.search("red red shoe") == [0, 1, 2]
    assert idx.query_terms("red red shoe") == [(idx._vocab["red"], 2), (idx._vocab["shoe"], 1)]
    # the boost multiplies the weight once, in float: w = 3f * idf (not idf + idf + idf); avgdl = 8 / 4 = 2
    w3 = f32(3) * idf(2, 4)
    denom = f32(1) + f32(1) * norm_inverse_table(f32(2))[2]
    assert idx.scores(idx.query_terms("red red red"))[0] == w3 - w3 / denom


def test_clauses_are_summed_in_double_then_rounded_to_float():
    idx = index_of(("B1", "red shoe lace"), ("B2", "red hat"), ("B3", "shoe box"), ("B4", "lace"))
    terms = idx.query_terms("red shoe lace")
    parts = [idx.scores([t]) for t in terms]
    expected = np.float32(sum(p[0].astype(np.float64) for p in parts))
    assert idx.scores(terms)[0] == expected


def test_ties_are_broken_by_asin_not_by_document_order():
    idx = index_of(("B0C", "red shoes"), ("B0A", "red shoes"), ("B0B", "red shoes"), ("B0D", "blue hat"))
    assert idx.search("red shoes") == [1, 2, 0]
    assert idx.search("red shoes", k=2) == [1, 2]  # the cut at k keeps the smallest ASINs of a tie


def test_documents_without_terms_do_not_count_in_doc_count():
    # Lucene's docCount only counts documents that have the field: N = 2 here, not 3, so idf(red) = ln 2
    idx = index_of(("B1", "the of and"), ("B2", "red shoe"), ("B3", "blue hat"))
    assert idx.doc_count == 2
    one, k1, b = f32(1), f32(0.9), f32(0.4)
    w = f32(math.log(2))
    norm_inverse = one / (k1 * ((one - b) + b * f32(2) / f32(2)))
    assert idx.scores(idx.query_terms("red"))[1] == w - w / (one + norm_inverse)


def test_tokenizer_rules_decide_what_matches():
    idx = index_of(("B1", "1,000 thread count sheets"), ("B2", "1000 towels"), ("B3", "size oz.3 pack"),
                   ("B4", "caf\u00e9 latte"), ("B5", "men's running:shoes"))
    assert idx.search("1,000") == [0] and idx.search("1000") == [1] and idx.search("000") == []
    assert idx.search("3") == [2] and idx.search("oz") == [2]
    assert idx.search("caf\u00e9") == [3] and idx.search("caf") == []
    assert idx.search("men\u2019s") == [4] and idx.search("running:shoes") == [4] and idx.search("shoes") == []


def test_odd_queries_never_raise():
    idx = index_of(("B1", "red shoe"), ("B2", "blue hat"))
    words = " ".join(f"w{i}" for i in range(3000)) + " red"  # over Lucene's 1024-clause limit: still answered
    assert idx.search(words) == [0]
    for q in ("", "s", "'s", "\u2019s", "_", "\x00", "\U0001F600", "x" * 10_000, "search[red]"):
        assert isinstance(idx.search(q), list)


def test_empty_index_and_wrong_document_count():
    assert index_of(("B1", "the")).search("the red") == []
    with pytest.raises(ValueError, match="expected 3 documents"):
        SearchIndex.build([("B1", "x")], 3)
