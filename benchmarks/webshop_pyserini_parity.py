"""WebShop search against the real engine: our pure-Python Lucene emulation vs pyserini 0.17.0 (Anserini 0.14.3,
Lucene 8.11.0), run the way the original WebShop runs it.

Build-time / optional: needs Java (11 or later) and ``pyserini==0.17.0`` with ``pyjnius``, neither of which the
package uses. Install them without pyserini's heavy dependencies (only ``pyserini.pyclass`` is imported, which
needs nothing but pyjnius and the bundled Anserini fat jar)::

    pip install --no-deps pyserini==0.17.0 pyjnius
    python benchmarks/webshop_pyserini_parity.py --queries 3000 --json /tmp/parity.json

What it does:

1. writes the catalogue's documents as the original's ``convert_product_file_format.py`` does (one JsonCollection
   record per product: ``id`` = ASIN, ``contents`` = the lower-cased title, description, first bullet and option
   text) and indexes them with Anserini's ``IndexCollection`` as ``run_indexing.sh`` does (JsonCollection,
   DefaultLuceneDocumentGenerator, 1 thread, positions, doc vectors and raw documents stored);
2. searches every query with Anserini's ``SimpleSearcher.search(query, 50)`` (what ``LuceneSearcher.search`` calls:
   DefaultEnglishAnalyzer, bag of words, BM25 k1=0.9 b=0.4, ties by docid) and with our ``SearchIndex.search``,
   and compares the first result, the whole 50-result list (every page) and the total;
3. runs fuzzed strings through Lucene's analyzer (``AnalyzerUtils.analyze`` with
   ``DefaultEnglishAnalyzer.newDefaultInstance()``) and through ours, and compares the token lists.

Query sets: ``agent`` (goal instructions, the expert's queries, product titles and word subsets of
instructions, raw and lower-cased as the env sends them) and ``adversarial`` (catalogue words glued with
numbers, commas, dots, underscores, colons, straight and curly quotes, hyphens, non-ASCII letters, emoji and
Hebrew letters with quotes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable

from spa_gym.envs.webshop.analysis import analyze
from spa_gym.envs.webshop.catalogue import Catalogue
from spa_gym.envs.webshop.goals import GoalSet
from spa_gym.envs.webshop.search import SEARCH_RETURN_N, SearchIndex


# ---------------------------------------------------------------------------------------------- the real engine
def missing_reason() -> str | None:
    """Why the real engine cannot run here, or None when it can."""
    import importlib.util

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (the real engine needs Java 11 or later)"
    for module in ("jnius", "pyserini"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install --no-deps pyserini==0.17.0 pyjnius)"
    return None


def _java_home() -> None:
    """pyjnius finds the JVM through JAVA_HOME; derive it from the ``java`` on PATH when unset."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java"):
        os.environ["JAVA_HOME"] = str(Path(os.path.realpath(shutil.which("java"))).parents[1])


class Lucene:
    """Anserini's searcher and analyzer, through pyjnius with pyserini's own class path (its fat jar)."""

    def __init__(self) -> None:
        _java_home()
        from pyserini.pyclass import autoclass  # sets the class path; imports nothing heavy

        self._autoclass = autoclass
        self._analyzer = autoclass("io.anserini.analysis.DefaultEnglishAnalyzer").newDefaultInstance()
        self._analyze = autoclass("io.anserini.analysis.AnalyzerUtils").analyze
        self._searcher = None

    def analyze(self, text: str) -> list[str]:
        return list(self._analyze(self._analyzer, text))

    def index(self, documents: Iterable[tuple[str, str]], index_dir: Path) -> float:
        """Index ``(asin, contents)`` documents as WebShop's ``run_indexing.sh`` does; returns seconds taken."""
        index_dir = Path(index_dir)
        with tempfile.TemporaryDirectory(prefix="webshop-docs-") as docs_dir:
            with open(Path(docs_dir) / "documents.jsonl", "w") as f:
                for asin, contents in documents:
                    f.write(json.dumps({"id": asin, "contents": contents}) + "\n")
            # A subprocess: IndexCollection.main may exit the JVM, and its logging is noisy.
            code = ("from pyserini.pyclass import autoclass; import sys; "
                    "autoclass('io.anserini.index.IndexCollection').main(sys.argv[1:])")
            args = ["-collection", "JsonCollection", "-input", docs_dir, "-index", str(index_dir),
                    "-generator", "DefaultLuceneDocumentGenerator", "-threads", "1",
                    "-storePositions", "-storeDocvectors", "-storeRaw"]
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
            if done.returncode != 0 or not any(index_dir.glob("segments_*")):
                raise RuntimeError(f"Anserini indexing failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            return time.perf_counter() - start

    def open(self, index_dir: Path) -> None:
        self._searcher = self._autoclass("io.anserini.search.SimpleSearcher")(str(index_dir))

    def search(self, query: str, k: int = SEARCH_RETURN_N) -> list[str]:
        """The ASINs pyserini returns for ``query`` (WebShop: ``LuceneSearcher.search(query, k=50)``)."""
        return [hit.docid for hit in self._searcher.search(query, k)]


# ---------------------------------------------------------------------------------------------- queries
def agent_queries(goals: GoalSet, n: int, rng: random.Random) -> list[str]:
    """Queries an agent would type: instructions, the expert's keywords, titles, subsets of instruction words."""
    per_split = {"test": 500, "valid": 500, "train": max(0, n)}
    queries: list[str] = []
    for split, size in per_split.items():
        for task in range(size):
            if len(queries) >= n:
                return queries
            goal = goals.goal(split, task)
            words = goal.instruction_text.split()
            kind = task % 5
            if kind == 0:
                queries.append(goal.instruction_text)
            elif kind == 1:
                queries.append(goal.search_query)
            elif kind == 2:
                queries.append(goal.name)                      # the expert's fallback (it sends it lower-cased)
            elif kind == 3:
                k = rng.randint(2, min(8, len(words)))
                queries.append(" ".join(sorted(rng.sample(words, k), key=words.index)))
            else:
                queries.append(f"{goal.search_query} {' '.join(goal.goal_options)}".strip())
    return queries


#: Pieces that exercise UAX#29 and the filters: (text, weight).
_ODD_PIECES = [
    "1,000", "1,000.50", "3.4", "6.76oz", "oz.3", "a.1", "1.a", "3,4,5", "1;2", "1.2.3", "u.s.a.", "1..2", "1,,2",
    "a_b", "_x_", "__", "x_1", "running:shoes", "a::b", "12:30", ":a", "b:",
    "men's", "men\u2019s", "men\u2018s", "women\uff07s", "kids'", "'s", "o'neil", "don't", "rock'n'roll", "'quoted'",
    "\u201cquoted\u201d", "\u201chi\u201d", "\"dq\"", "l'eau", "it's", "MEN'S", "Men'S",
    "t-shirt", "anti-aging", "-x-", "x\u2010y", "x\u2013y", "x\u2014y", "2-pack", "a/b", "a+b", "a&b", "#1", "$5",
    "5%", "x@y.com", "www.example.com", "http://a.b/c", "c++", "c#", ".net", "v1.2b", "3x4", "10\"", "5'11\"",
    "caf\u00e9", "na\u00efve", "Stra\u00dfe", "STRASSE", "\u0130stanbul", "\u03a3\u039f\u03a3", "\u03c3\u03bf\u03c2",
    "\u00c9T\u00c9", "e\u0301t\u00e9", "\u0434\u0440\u0443\u0433", "\u0645\u0631\u062d\u0628\u0627",
    "\u4e2d\u6587", "\u65e5\u672c\u8a9e", "\u3072\u3089\u304c\u306a", "\u30ab\u30bf\u30ab\u30ca",
    "\uff76\uff80\uff76\uff85",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35", "\ud55c\uad6d\uc5b4", "\uff21\uff22\uff23", "\uff11\uff12\uff13", "\u2460",
    "\u00bd", "x\u00b2", "\u2162", "\u0967\u0968",
    "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1f8",
    "1\ufe0f\u20e3", "#\ufe0f\u20e3", "\u00a9\ufe0f", "\u2764\ufe0f", "\u2764", "\u263a",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f600\U0001f600", "a\U0001f600b", "\u231a", "\U0001f9d1\u200d\U0001f4bb",
    "\u05e6\u05d4\"\u05dc", "\u05d2'\u05d9\u05e8\u05e4\u05d4", "\u05d0'", "\u05d0\"\u05d1", "\u05d0\"", "\"\u05d0",
    "\u05e9\u05dc\u05d5\u05dd", "\u05d0.\u05d1", "\u05d0:\u05d1", "\u05d0'\u05d1'",
    "a\u200db", "a\u200cb", "a\u00adb", "a\u200bb", "\ufeffa", "a\u0300", "\u0300a", "a\u2060b",
    "\u00b7", "a\u00b7b", "a\u2024b", "1\u20242", "1\u066c2", "a\u05f4b", "a\uff0eb", "1\uff0c2",
    "A", "I", "S", "s", "THE", "The", "an", "into", "x", "ab", "oz", "ii",
]


def adversarial_queries(words: list[str], n: int, rng: random.Random) -> list[str]:
    """Catalogue words mixed with odd pieces, glued by odd separators."""
    seps = [" ", " ", " ", "", "-", "_", ":", ".", ",", "'", "\u2019", "\"", "/", "  ", "\t", "\u00a0", "\u3000"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 7)):
            r = rng.random()
            if r < 0.45:
                parts.append(rng.choice(words))
            elif r < 0.9:
                parts.append(rng.choice(_ODD_PIECES))
            else:
                parts.append(rng.choice(words) + rng.choice(["'s", "\u2019s", "s", ".", ":", "_", "1", ",5"]))
        text = parts[0]
        for p in parts[1:]:
            text += rng.choice(seps) + p
        out.append(text if rng.random() < 0.7 else text.lower())
    return out


def _random_char(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    if r < 0.55:
        return rng.choice(" .,;:'\"_-/\u2019\u2018\u201c\u201d\uff07\u00b7\u2024\u066c\u05f4\u200d\u200c\ufe0f\u20e3")
    if r < 0.8:
        return rng.choice(rng.choice(_ODD_PIECES))
    if r < 0.95:
        return chr(rng.randint(0xA0, 0x2FFF))
    code = rng.choice([rng.randint(0x3000, 0xFFFD), rng.randint(0x10000, 0x1FAFF), rng.randint(0x1F000, 0x1FAFF)])
    return chr(code) if not 0xD800 <= code <= 0xDFFF else "x"


def _any_char(rng: random.Random) -> str:
    code = rng.randint(0, 0x10FFFF)
    return chr(code) if not 0xD800 <= code <= 0xDFFF else "y"


def fuzz_strings(n: int, rng: random.Random) -> list[str]:
    """Random strings weighted towards word-break edge cases (no surrogates; may contain any other character):
    mixed characters, odd pieces, printable ASCII only, any code point, and tokens around the 255-unit limit."""
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            out.append("".join(_random_char(rng) for _ in range(rng.randint(1, 24))))
        elif r < 0.7:
            out.append(" ".join(rng.choice(_ODD_PIECES) + rng.choice(["", "", _random_char(rng)])
                                for _ in range(rng.randint(1, 5))))
        elif r < 0.85:
            out.append("".join(rng.choice("aAzZ09_:.,;'\"-s ") if rng.random() < 0.8 else chr(rng.randint(32, 126))
                               for _ in range(rng.randint(1, 30))))
        elif r < 0.95:
            out.append("".join(_any_char(rng) for _ in range(rng.randint(1, 12))))
        else:  # a long run: letters, digits, joiners, marks and wide characters around the 255-unit cut
            alphabet = rng.choice(["ab", "a1", "a.b", "1,2", "a_", "\U0001d400b", "a\u0301", "\U0001f600\u200d",
                                   "\u05d0\"", "\u30a2_", "\u0e01\u0e31", "\U0001f1e6"])
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(240, 300)))
                       + rng.choice(["", " tail", ".x", "\U0001f600"]))
    return out


# ---------------------------------------------------------------------------------------------- comparison
def compare_search(ours: SearchIndex, asins: list[str], lucene: Lucene, queries: list[str]) -> dict:
    """Agreement of first results, whole result lists and totals; the differing queries (first 20)."""
    first = full = total = 0
    diffs = []
    for q in queries:
        mine = [asins[i] for i in ours.search(q)]
        theirs = lucene.search(q)
        first += (mine[:1] == theirs[:1])
        full += (mine == theirs)
        total += (len(mine) == len(theirs))
        if mine != theirs and len(diffs) < 20:
            at = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
            diffs.append({"query": q, "first_difference_at": at, "ours": mine[at:at + 3], "lucene": theirs[at:at + 3],
                          "total_ours": len(mine), "total_lucene": len(theirs)})
    n = max(len(queries), 1)
    return {"queries": len(queries), "first_result": first / n, "full_pages": full / n, "total_results": total / n,
            "differences": diffs}


def compare_analyzer(lucene: Lucene, texts: list[str]) -> dict:
    differ = []
    count = 0
    for t in texts:
        mine, theirs = analyze(t), lucene.analyze(t)
        if mine != theirs:
            count += 1
            if len(differ) < 30:
                differ.append({"text": t, "ours": mine, "lucene": theirs})
    return {"strings": len(texts), "differ": count, "diff_rate": count / max(len(texts), 1), "differences": differ}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--queries", type=int, default=3000,
                   help="agent-like queries, each also sent lower-cased (and as many adversarial ones)")
    p.add_argument("--fuzz", type=int, default=20000, help="fuzzed strings for the analyzer diff")
    p.add_argument("--products", type=int, default=10_000, help="catalogue size (default: the env's)")
    p.add_argument("--seed", type=int, default=0, help="catalogue seed (default: the env's)")
    p.add_argument("--query-seed", type=int, default=0, help="seed of the query and fuzz generators")
    p.add_argument("--json", type=Path, help="write the measured figures (and the first differences) here")
    p.add_argument("--keep-index", type=Path,
                   help="build the Lucene index here and keep it (reused if present: same --products and --seed only)")
    args = p.parse_args(argv)

    reason = missing_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    rng = random.Random(args.query_seed)
    catalogue = Catalogue(num_products=args.products, seed=args.seed)
    documents = list(catalogue.documents())
    asins = [a for a, _ in documents]
    lucene = Lucene()
    tmp = None
    index_dir = args.keep_index
    if index_dir is None:
        tmp = tempfile.mkdtemp(prefix="webshop-lucene-")
        index_dir = Path(tmp) / "index"
    index_seconds = None
    if not any(Path(index_dir).glob("segments_*")):
        index_seconds = lucene.index(documents, Path(index_dir))
    lucene.open(Path(index_dir))
    start = time.perf_counter()
    ours = SearchIndex.build(documents, len(documents))
    build_seconds = time.perf_counter() - start

    goals = GoalSet(catalogue)
    agent = agent_queries(goals, args.queries, rng)
    agent = agent + [q.lower() for q in agent]  # as the env sends them (it lower-cases the action argument)
    words = sorted({w for _, text in documents[:2000] for w in text.split()})
    adversarial = adversarial_queries(words, args.queries, rng)

    report = {"catalogue": {"products": args.products, "seed": args.seed}, "lucene_index_seconds": index_seconds,
              "our_index_seconds": build_seconds, "query_seed": args.query_seed}
    report["agent"] = compare_search(ours, asins, lucene, agent)
    report["adversarial"] = compare_search(ours, asins, lucene, adversarial)
    fuzz = fuzz_strings(args.fuzz, rng) + adversarial
    report["analyzer"] = compare_analyzer(lucene, fuzz)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)

    for name in ("agent", "adversarial"):
        r = report[name]
        print(f"{name:12s} {r['queries']:6d} queries: first result {r['first_result']:.2%}, full pages (50 ASINs) "
              f"{r['full_pages']:.2%}, total results {r['total_results']:.2%}")
    a = report["analyzer"]
    print(f"analyzer     {a['strings']:6d} strings: token lists differ on {a['differ']} ({a['diff_rate']:.3%})")
    for name in ("agent", "adversarial"):
        for d in report[name]["differences"][:5]:
            print(f"  {name} differs: {d}")
    for d in report["analyzer"]["differences"][:10]:
        print(f"  analyzer differs: {d}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
