"""Search: Lucene-style BM25 over the original's product documents, without Java.

The original indexes one document per product (title, description, first bullet and option text,
lower-cased) with pyserini's English analyzer and ranks with BM25 (k1=0.9, b=0.4), returning the
top 50. We analyse text the same way (a StandardTokenizer-like split that keeps ``6.76`` and
``l'eau`` whole, the possessive ``'s`` removed, Lucene's 33 English stop words, Porter stemming via
PyStemmer) and score with ``bm25s`` in its Lucene mode. Ties are broken by document order, so a
query gives the same list in every process.

An index is built once per catalogue and cached on disk (``$SPA_GYM_CACHE`` or
``~/.cache/spa_gym``) under the catalogue's key; later loads memory-map it, and every env of a
process shares one loaded index.

>>> analyze("The Kid's 6.76 fl oz l'eau, Running Shoes!")
['kid', '6.76', 'fl', 'oz', "l'eau", 'run', 'shoe']
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Iterable

import numpy as np
import Stemmer

from spa_gym.core.files import default_cache_dir

#: Bump when the analyzer or scoring changes (part of the on-disk cache path).
INDEX_VERSION = "lucene-bm25-v3"
#: Results per search (``SEARCH_RETURN_N``) and per page (``PRODUCT_WINDOW``), as in the original.
SEARCH_RETURN_N = 50
PRODUCT_WINDOW = 10
#: Lucene's BM25 parameters as pyserini sets them.
BM25_K1, BM25_B = 0.9, 0.4

#: Lucene's ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`` (33 words).
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
assert len(STOP_WORDS) == 33

# Runs of letters/digits, joined across '.' and "'" when both sides are alphanumeric (3.4, l'eau).
_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")

_STEMMER = Stemmer.Stemmer("porter")
_STEMMER_LOCK = threading.Lock()  # a PyStemmer object must not be used by two threads at once
_STEMS: dict[str, str] = {}


def _stem(token: str) -> str:
    stem = _STEMS.get(token)
    if stem is None:
        with _STEMMER_LOCK:
            stem = _STEMMER.stemWord(token)
        if len(_STEMS) < 2_000_000:  # memo of a pure function, bounded so odd queries cannot grow it forever
            _STEMS[token] = stem
    return stem


def analyze(text: str) -> list[str]:
    """Lucene English analysis: tokenize, drop possessives and stop words, Porter-stem."""
    out = []
    for token in _TOKEN.findall(text.lower()):
        if token.endswith("'s"):
            token = token[:-2]
        if token and token not in STOP_WORDS:
            # Lucene's PorterStemFilter leaves words of one or two letters alone (the stemmer would turn "s" into "")
            out.append(token if len(token) <= 2 else (_stem(token) or token))
    return out


class SearchIndex:
    """A BM25 index over a fixed list of documents; ``search`` returns document numbers, best first.

    ``bm25s`` computes the per-(document, term) Lucene BM25 weights once, at build time; they are kept as
    a term-major sparse matrix (``data``/``indices``/``indptr``, the layout ``bm25s`` uses). Scoring a query
    only sums matrix columns, which plain numpy does on memory-mapped arrays, so loading an index imports
    neither ``bm25s`` nor scipy (that import alone takes about a second).
    """

    _ARRAYS = ("data", "indices", "indptr")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocab: dict[str, int],
                 num_docs: int) -> None:
        self.data, self.indices, self.indptr = data, indices, indptr
        self._vocab = vocab
        self.num_docs = num_docs

    # ------------------------------------------------------------------ building and loading
    @classmethod
    def build(cls, documents: Iterable[str], num_docs: int, progress: bool = False) -> "SearchIndex":
        """Index ``documents`` (an iterable of ``num_docs`` strings) in memory."""
        import bm25s
        from tqdm.auto import tqdm

        vocab: dict[str, int] = {}
        ids: list[list[int]] = []
        for text in tqdm(documents, total=num_docs, desc="webshop index", disable=not progress, unit="doc"):
            # setdefault returns the dict's own int object, so the lists share ints instead of copying them
            ids.append([vocab.setdefault(t, len(vocab)) for t in analyze(text)])
        if len(ids) != num_docs:
            raise ValueError(f"expected {num_docs} documents, got {len(ids)}")
        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
        retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        del ids
        scores = retriever.scores
        return cls(scores["data"], scores["indices"], scores["indptr"], dict(retriever.vocab_dict), num_docs)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically (a concurrent builder's copy is kept if it wins)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=path.name + ".tmp-", dir=path.parent))
        try:
            for name in self._ARRAYS:
                np.save(tmp / f"{name}.npy", getattr(self, name))
            (tmp / "vocab.json").write_text(json.dumps(self._vocab))
            (tmp / "spa_gym.json").write_text(json.dumps({"num_docs": self.num_docs, "version": INDEX_VERSION}))
            try:
                os.rename(tmp, path)
            except OSError:  # another process saved the same index first
                pass
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, path: Path) -> "SearchIndex":
        """Memory-map a saved index (pages are shared with every process that maps it)."""
        path = Path(path)
        meta = json.loads((path / "spa_gym.json").read_text())
        arrays = [np.load(path / f"{name}.npy", mmap_mode="r") for name in cls._ARRAYS]
        return cls(*arrays, json.loads((path / "vocab.json").read_text()), int(meta["num_docs"]))

    # ------------------------------------------------------------------ querying
    def scores(self, term_ids: list[int]) -> np.ndarray:
        """BM25 score of every document for the query terms (repeated terms count again, as in bm25s)."""
        scores = np.zeros(self.num_docs, dtype=np.float32)
        for t in term_ids:
            start, end = self.indptr[t], self.indptr[t + 1]
            scores[self.indices[start:end]] += self.data[start:end]  # a column lists each document once
        return scores

    def search(self, query: str, k: int = SEARCH_RETURN_N) -> list[int]:
        """Document numbers of the top ``k`` matches (score > 0), ties broken by document order."""
        term_ids = [self._vocab[t] for t in analyze(query) if t in self._vocab]
        if not term_ids:
            return []
        scores = self.scores(term_ids)
        matching = np.flatnonzero(scores > 0)
        if len(matching) > k:
            # k-th best score; keep all above it and the earliest documents that tie with it
            kth = np.partition(scores[matching], len(matching) - k)[len(matching) - k]
            above = matching[scores[matching] > kth]
            ties = matching[scores[matching] == kth][: k - len(above)]
            matching = np.concatenate([above, ties])
        order = np.lexsort((matching, -scores[matching]))
        return [int(i) for i in matching[order]]


# One loaded index per cache path per process: envs share it, and it is freed when the last env goes.
_LOADED: "weakref.WeakValueDictionary[str, SearchIndex]" = weakref.WeakValueDictionary()
_LOAD_LOCK = threading.Lock()


def get_index(key: str, documents: Iterable[str], num_docs: int, cache_dir: str | os.PathLike | None = None,
              progress: bool | None = None) -> SearchIndex:
    """The index of catalogue ``key``: shared in-process, else loaded from disk, else built and saved."""
    path = Path(cache_dir or default_cache_dir()) / "webshop" / f"{key}-{INDEX_VERSION}"
    with _LOAD_LOCK:
        index = _LOADED.get(str(path))
        if index is not None:
            return index
        if not (path / "spa_gym.json").exists():
            show = num_docs >= 50_000 if progress is None else progress
            SearchIndex.build(documents, num_docs, progress=show).save(path)
        index = SearchIndex.load(path)
        _LOADED[str(path)] = index
        return index
