"""Search: the original's Lucene BM25 ranking, reproduced in numpy, without Java.

The original indexes one document per product (title, description, first bullet and option text,
lower-cased) with pyserini 0.17 (Lucene 8.11) and ranks a query with ``BM25Similarity(k1=0.9, b=0.4)``,
returning the top 50. This module gives the same result pages:

- **analysis**: Lucene's English analysis chain (:mod:`spa_gym.envs.webshop.analysis`);
- **query**: a bag of words: one clause per distinct analysed term, boosted by how often the query has it;
- **document length**: Lucene's one-byte ``SmallFloat.intToByte4`` norm, so nearby long lengths score alike;
- **arithmetic**: each term's score in float32 exactly as Lucene computes it
  (``w - w / (1 + tf * normInverse)`` with ``w = boost * idf``), the clauses summed in double and the sum
  rounded to float32;
- **order**: score descending, ties broken by the document id (the ASIN) ascending, as pyserini sorts.

An index is built once per catalogue and cached on disk (``$SPA_GYM_CACHE`` or ``~/.cache/spa_gym``)
under the catalogue's key; later loads memory-map it, and every env of a process shares one loaded index.

>>> index = SearchIndex.build([("B2", "red shoes"), ("B1", "red shoes"), ("B3", "blue hat")], 3)
>>> index.search("Red shoes!")     # equal scores: the smaller ASIN first
[1, 0]
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import threading
import weakref
from array import array
from pathlib import Path
from typing import Iterable

import numpy as np

from spa_gym.core.files import default_cache_dir
from spa_gym.envs.webshop.analysis import STOP_WORDS, analyze  # noqa: F401  (re-exported)

#: Bump when the analyzer or scoring changes (part of the on-disk cache path).
INDEX_VERSION = "lucene-bm25-v5"
#: Results per search (``SEARCH_RETURN_N``) and per page (``PRODUCT_WINDOW``), as in the original.
SEARCH_RETURN_N = 50
PRODUCT_WINDOW = 10
#: Lucene's BM25 parameters as pyserini sets them (Java floats).
BM25_K1, BM25_B = np.float32(0.9), np.float32(0.4)


def length_to_norm(length: np.ndarray) -> np.ndarray:
    """``SmallFloat.intToByte4``: lengths below 24 exactly, longer ones to 4 significant bits (rounded down)."""
    length = np.asarray(length, dtype=np.int64)
    free = 24  # 255 - intToByte4(Integer.MAX_VALUE): byte values kept for the exact small lengths
    rest = np.maximum(length - free, 0)
    bits = np.zeros_like(rest)
    nz = rest > 0
    bits[nz] = np.frexp(rest[nz].astype(np.float64))[1]  # bit length (exact for any int below 2**53)
    shift = np.maximum(bits - 4, 0)
    encoded = np.where(bits < 4, rest, ((rest >> shift) & 0x07) | ((shift + 1) << 3))
    return np.where(length < free, length, free + encoded).astype(np.uint8)


def norm_to_length(norm: np.ndarray) -> np.ndarray:
    """``SmallFloat.byte4ToInt``: the document length a norm byte stands for."""
    norm = np.asarray(norm, dtype=np.int64)
    free = 24
    i = np.maximum(norm - free, 0)
    bits, shift = i & 0x07, (i >> 3) - 1
    decoded = np.where(shift < 0, bits, (bits | 0x08) << np.maximum(shift, 0))
    return np.where(norm < free, norm, free + decoded)


#: ``BM25Similarity.LENGTH_TABLE``: the length each of the 256 norm bytes decodes to, as a float.
LENGTH_TABLE = norm_to_length(np.arange(256)).astype(np.float32)


def norm_inverse_table(avgdl: np.float32) -> np.ndarray:
    """``1 / (k1 * ((1 - b) + b * length / avgdl))`` per norm byte, in float32 step by step as Java does."""
    one = np.float32(1)
    return one / (BM25_K1 * ((one - BM25_B) + BM25_B * LENGTH_TABLE / avgdl))


def idf(doc_freq: int, doc_count: int) -> np.float32:
    """Lucene's BM25 idf: ``log(1 + (N - df + 0.5) / (df + 0.5))`` in double, then float."""
    return np.float32(math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5)))


class SearchIndex:
    """A Lucene-BM25 index over a fixed list of documents; ``search`` returns document numbers, best first.

    Postings are term-major (``indptr`` into ``indices``, the document numbers, ascending). For each posting
    ``data`` holds Lucene's float32 ``1 + tf * normInverse[norm(doc)]``, the part of the term score that does
    not depend on the query, so a query term costs one division and one subtraction per posting. ``asin_rank``
    is each document's place in ASIN order (Lucene's tie-break). Every array is memory-mapped on load.
    """

    _ARRAYS = ("data", "indices", "indptr", "asin_rank")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, asin_rank: np.ndarray,
                 vocab: dict[str, int], num_docs: int, doc_count: int) -> None:
        self.data, self.indices, self.indptr, self.asin_rank = data, indices, indptr, asin_rank
        self._vocab = vocab
        self.num_docs = num_docs
        self.doc_count = doc_count  # documents with at least one term (Lucene's docCount)

    # ------------------------------------------------------------------ building and loading
    @classmethod
    def build(cls, documents: Iterable[tuple[str, str]], num_docs: int, progress: bool = False) -> "SearchIndex":
        """Index ``documents``, an iterable of ``num_docs`` ``(asin, text)`` pairs in document order."""
        from tqdm.auto import tqdm

        vocab: dict[str, int] = {}
        terms, docs, freqs = array("i"), array("i"), array("i")
        lengths = np.zeros(num_docs, dtype=np.int64)
        asins: list[str] = []
        n = 0
        for n, (asin, text) in enumerate(tqdm(documents, total=num_docs, desc="webshop index",
                                              disable=not progress, unit="doc"), start=1):
            if n > num_docs:
                break
            counts: dict[int, int] = {}
            tokens = analyze(text)
            for t in tokens:
                tid = vocab.setdefault(t, len(vocab))
                counts[tid] = counts.get(tid, 0) + 1
            lengths[n - 1] = len(tokens)
            asins.append(asin)
            terms.extend(counts.keys())
            freqs.extend(counts.values())
            docs.extend([n - 1] * len(counts))
        if n != num_docs:
            raise ValueError(f"expected {num_docs} documents, got {n if n <= num_docs else 'more'}")

        term_arr = np.frombuffer(terms, dtype=np.int32)
        order = np.argsort(term_arr, kind="stable")  # term-major; documents stay ascending within a term
        indices = np.frombuffer(docs, dtype=np.int32)[order]
        tf = np.frombuffer(freqs, dtype=np.int32)[order].astype(np.float32)
        del docs, freqs
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_arr, minlength=len(vocab)), out=indptr[1:])
        del terms, term_arr, order

        doc_count = int(np.count_nonzero(lengths))
        avgdl = np.float32(int(lengths.sum()) / doc_count) if doc_count else np.float32(1)
        norm_inverse = norm_inverse_table(avgdl)
        data = np.float32(1) + tf * norm_inverse[length_to_norm(lengths)[indices]]
        rank = np.empty(num_docs, dtype=np.int32)
        rank[np.argsort(np.array(asins, dtype=str), kind="stable")] = np.arange(num_docs, dtype=np.int32)
        return cls(data, indices, indptr, rank, vocab, num_docs, doc_count)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically (a concurrent builder's copy is kept if it wins)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=path.name + ".tmp-", dir=path.parent))
        try:
            for name in self._ARRAYS:
                np.save(tmp / f"{name}.npy", getattr(self, name))
            (tmp / "vocab.json").write_text(json.dumps(self._vocab))
            (tmp / "spa_gym.json").write_text(json.dumps({"num_docs": self.num_docs, "doc_count": self.doc_count,
                                                          "version": INDEX_VERSION}))
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
        # plain ndarray views of the maps: slicing an np.memmap costs microseconds per slice, a query slices a lot
        arrays = [np.asarray(np.load(path / f"{name}.npy", mmap_mode="r")) for name in cls._ARRAYS]
        return cls(*arrays, json.loads((path / "vocab.json").read_text()), int(meta["num_docs"]),
                   int(meta["doc_count"]))

    # ------------------------------------------------------------------ querying
    def query_terms(self, query: str) -> list[tuple[int, int]]:
        """``(term id, boost)`` per distinct indexed term of the query: Anserini's bag-of-words query."""
        counts: dict[str, int] = {}
        for t in analyze(query):
            counts[t] = counts.get(t, 0) + 1
        return [(self._vocab[t], c) for t, c in counts.items() if t in self._vocab]

    def _term_scores(self, term: int, boost: int) -> tuple[np.ndarray, np.ndarray]:
        """The documents of one clause and their float32 scores: ``w - w / (1 + tf * normInverse)``."""
        start, end = int(self.indptr[term]), int(self.indptr[term + 1])
        weight = np.float32(boost) * idf(end - start, self.doc_count)
        return self.indices[start:end], weight - weight / self.data[start:end]

    def _hits(self, terms: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Matching documents (ascending) and their scores: the clauses summed in double, then rounded to float."""
        if len(terms) == 1:
            return self._term_scores(*terms[0])
        parts = [self._term_scores(t, boost) for t, boost in terms]
        total = np.bincount(np.concatenate([docs for docs, _ in parts]),
                            weights=np.concatenate([s for _, s in parts]), minlength=self.num_docs)
        matching = np.flatnonzero(total > 0)
        return matching, total[matching].astype(np.float32)

    def scores(self, terms: list[tuple[int, int]]) -> np.ndarray:
        """Every document's score (float32; 0 where nothing matches) for ``(term id, boost)`` clauses."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        if terms:
            docs, scores = self._hits(terms)
            out[docs] = scores
        return out

    def search(self, query: str, k: int = SEARCH_RETURN_N) -> list[int]:
        """Document numbers of the top ``k`` matches: score descending, then ASIN ascending."""
        terms = self.query_terms(query)
        if not terms or k <= 0:
            return []
        docs, scores = self._hits(terms)
        # One int64 key per hit orders both ways at once: a positive float's bits rise with it (high word), and
        # the complement of the ASIN rank puts the smaller ASIN first among equal scores (low word).
        key = (scores.view(np.uint32).astype(np.int64) << 32) | (0xFFFFFFFF - self.asin_rank[docs].astype(np.int64))
        if len(key) > k:
            keep = key >= np.partition(key, len(key) - k)[len(key) - k]  # keys are unique: exactly k kept
            docs, key = docs[keep], key[keep]
        return [int(i) for i in docs[np.argsort(key)[::-1]]]


# One loaded index per cache path per process: envs share it, and it is freed when the last env goes.
_LOADED: "weakref.WeakValueDictionary[str, SearchIndex]" = weakref.WeakValueDictionary()
_LOAD_LOCK = threading.Lock()


def get_index(key: str, documents: Iterable[tuple[str, str]], num_docs: int, cache_dir: str | os.PathLike | None = None,
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
