"""Text encoders: strings to fixed-size float vectors, with no model and no download by default.

Two encoders share one tiny interface (``dim`` and ``encode(texts) -> float32 array (n, dim)``):

* :class:`HashedNgramEncoder`, the default: hashed word n-gram counts, numpy only, the same vector for the
  same text in every process (CRC-32 hashing, never Python's salted ``hash()``).
* :class:`SentenceEmbeddingEncoder`: a local sentence-embedding model folder, for users who have one.

They live in ``core`` because both the SB3 observation wrapper and the step-level progress estimator use them.
"""

from __future__ import annotations

import re
import zlib
from typing import Protocol, Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The lower-case words and numbers of ``text``, in order: what :class:`HashedNgramEncoder` hashes."""
    return _WORD.findall(text.lower())


class TextEncoder(Protocol):
    """What :class:`TextFeatureObservation` needs from an encoder."""

    #: Length of every vector ``encode`` returns.
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of shape ``(len(texts), dim)``, dtype float32, each entry in [-1, 1]."""
        ...


class _CachedEncoder:
    """Memoises vectors per string: commands and answers repeat a lot within and across episodes."""

    def __init__(self, cache_size: int) -> None:
        self.cache_size = cache_size
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > self.cache_size:
                self._cache.clear()  # crude but bounded; a full clear is rare and only costs re-encoding
            for text, vector in zip(missing, self._encode_uncached(missing)):
                self._cache[text] = vector
        out = np.zeros((len(texts), self.dim), dtype=np.float32)  # type: ignore[attr-defined]
        for i, text in enumerate(texts):
            out[i] = self._cache[text]
        return out

    def _encode_uncached(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class HashedNgramEncoder(_CachedEncoder):
    """Signed feature hashing of lower-cased word n-grams, L2-normalised.

    Each n-gram is hashed with CRC-32: the low bits pick one of ``dim`` buckets, the top bit a sign (so
    collisions cancel on average instead of piling up). Bigrams keep "cabinet 1" apart from "cabinet 2".

    Args:
        dim: vector length (a power of two keeps the buckets uniform).
        ngram_range: smallest and largest n-gram length, in words.
        cache_size: strings memoised before the cache is cleared (20,000 vectors of 256 floats: 20 MB).

    >>> enc = HashedNgramEncoder(dim=64)
    >>> a, b, c = enc.encode(["go to cabinet 1", "Go to cabinet 1.", "take mug 1 from desk 2"])
    >>> a.shape, a.dtype, bool((a == b).all()), round(float(np.linalg.norm(a)), 4)
    ((64,), dtype('float32'), True, 1.0)
    >>> bool(abs(a @ c) < a @ b)
    True
    >>> enc.encode([""])[0].any()   # no words, no features
    np.False_
    """

    def __init__(self, dim: int = 256, ngram_range: tuple[int, int] = (1, 2), cache_size: int = 20_000) -> None:
        if dim < 2:
            raise ValueError(f"dim must be >= 2, got {dim}")
        lo, hi = ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"ngram_range must satisfy 1 <= lo <= hi, got {ngram_range}")
        super().__init__(cache_size)
        self.dim = int(dim)
        self.ngram_range = (int(lo), int(hi))

    def _encode_uncached(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        lo, hi = self.ngram_range
        for row, text in enumerate(texts):
            tokens = words(text)
            for n in range(lo, hi + 1):
                for start in range(len(tokens) - n + 1):
                    h = zlib.crc32(" ".join(tokens[start:start + n]).encode())
                    out[row, h % self.dim] += 1.0 if h & 0x8000_0000 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


class SentenceEmbeddingEncoder(_CachedEncoder):
    """Sentence embeddings from a local model folder (no download), L2-normalised.

    Uses the ``sentence-transformers`` package when it is installed; otherwise loads the folder with
    ``transformers`` (``AutoTokenizer`` + ``AutoModel``) and mean-pools the last hidden states over the
    real tokens, which is what most sentence-transformers models do.

    Args:
        model_path: a local folder (a sentence-transformers or Hugging Face encoder model).
        device: torch device.
        batch_size: texts per forward pass.
        max_length: tokens kept per text.
        cache_size: strings memoised before the cache is cleared.
    """

    def __init__(self, model_path: str, *, device: str = "cpu", batch_size: int = 32, max_length: int = 256,
                 cache_size: int = 20_000) -> None:
        import os

        if not os.path.isdir(model_path):
            raise FileNotFoundError(f"no model folder at {model_path!r} (SentenceEmbeddingEncoder never downloads)")
        super().__init__(cache_size)
        self.model_path, self.device, self.batch_size, self.max_length = model_path, device, batch_size, max_length
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            SentenceTransformer = None
        if SentenceTransformer is not None and os.path.exists(os.path.join(model_path, "modules.json")):
            self._st = SentenceTransformer(model_path, device=device, local_files_only=True)
            self.dim = int(self._st.get_sentence_embedding_dimension())
        else:
            from transformers import AutoModel, AutoTokenizer

            self._st = None
            self._tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
            self._model = AutoModel.from_pretrained(model_path, local_files_only=True).to(device).eval()
            self.dim = int(self._model.config.hidden_size)

    def _encode_uncached(self, texts: list[str]) -> np.ndarray:
        import torch

        if self._st is not None:
            vectors = self._st.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                      normalize_embeddings=True, show_progress_bar=False)
            return np.asarray(vectors, dtype=np.float32)
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self._tokenizer(texts[start:start + self.batch_size], padding=True, truncation=True,
                                        max_length=self.max_length, return_tensors="pt").to(self.device)
                hidden = self._model(**batch).last_hidden_state
                weights = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                chunks.append(torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy())
        return np.concatenate(chunks, axis=0)


__all__ = ["HashedNgramEncoder", "SentenceEmbeddingEncoder", "TextEncoder", "words"]
