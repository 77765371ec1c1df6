"""Lucene's English analysis, as the original's search index runs it, in pure Python.

The original indexes and queries through pyserini 0.17 (Lucene 8.11) with Anserini's
``DefaultEnglishAnalyzer``: ``StandardTokenizer`` (Unicode UAX#29 word breaks), ``EnglishPossessiveFilter``,
``LowerCaseFilter``, a ``StopFilter`` with Lucene's 33 English stop words and ``PorterStemFilter``. Each
stage is reproduced here:

- **Tokenizer.** Letters join letters, digits join digits, and letters and digits join each other
  (``oz3``, ``3oz``). Between two letters one of ``: . '`` (and ``’``) keeps the word whole (``l'eau``,
  ``running:shoes``, ``u.s``); between two digits one of ``, ; . '`` does (``1,000``, ``6.76``); underscores join
  anything and may lead or trail a token (``a_b``, ``_x_``). Anything else breaks, so ``oz.3`` and ``a.1`` are two
  tokens each. Non-ASCII letters are letters; combining marks and format characters stay with the character
  before them; each Han ideograph, Hiragana character and emoji is a token of its own; runs of Katakana and of
  Thai/Lao/Khmer/Myanmar script are one token each. A token longer than 255 characters is cut there and
  scanning resumes after the cut (Lucene's ``maxTokenLength``).
- **Possessives.** A trailing ``'s`` / ``’s`` / ``＇s`` (either case) is removed.
- **Lower case** per character, as Java's ``Character.toLowerCase`` does it (no final-sigma rule; ``İ`` -> ``i``).
- **Stop words**: :data:`STOP_WORDS`.
- **Porter stemming** with Lucene's ``PorterStemmer`` (Martin Porter's own implementation, which departs
  from the 1980 paper in two rules: ``-bli`` -> ``-ble`` and ``-logi`` -> ``-log``). Words of one or two
  characters are left as they are, so no term is ever empty.

What is approximated: UAX#29's Hebrew-letter quote rules (WB7a-c) are not applied, emoji sequences
(ZWJ, keycaps, flags) are split per character, and character properties come from Python's Unicode
database rather than the Unicode version Lucene 8.11 was built with. None of these touch ASCII text.

>>> analyze("The Kid's 6.76 fl oz l'eau, Running Shoes!")
['kid', '6.76', 'fl', 'oz', "l'eau", 'run', 'shoe']
>>> analyze("1,000 count a_b running:shoes oz.3 a.1 men\u2019s s")
['1,000', 'count', 'a_b', 'running:sho', 'oz', '3', '1', 'men', 's']
"""

from __future__ import annotations

import re
import threading
import unicodedata

#: Lucene's ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`` (33 words).
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
assert len(STOP_WORDS) == 33

#: ``StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH``.
MAX_TOKEN_LENGTH = 255


# ---------------------------------------------------------------------------------------------- tokenizer
def _word_pattern(letter: str, digit: str, under: str, mid_letter: str, mid_num: str, extend: str = "",
                  katakana: str = "", singles: str = "") -> re.Pattern[str]:
    """The StandardTokenizer's token rule over character classes (each class a regex fragment)."""
    def x(c: str) -> str:  # WB4: format and extend characters stay with the character before them
        return f"(?:{c}{extend}*)" if extend else c

    a, n, u, ml, mn = x(letter), x(digit), x(under), x(mid_letter), x(mid_num)
    letters = f"{a}(?:{u}*{a}|{ml}{a})*"          # WB5-7, WB13a/b
    numbers = f"{n}(?:{u}*{n}|{mn}{n})*"          # WB8, WB11/12, WB13a/b
    core = f"(?:{letters}|{numbers})+"            # WB9/10: letters and digits join directly
    if katakana:                                  # WB13: Katakana joins Katakana (and underscores), nothing else
        k = x(katakana)
        core = f"(?:{k}(?:{u}*{k})*|{core})"
    word = f"{u}*{core}(?:{u}+{core})*{u}*"
    return re.compile(word + singles)


# ASCII text (every generated document) is matched directly; other text through a string of class codes.
_ASCII_WORD = _word_pattern("[A-Za-z]", "[0-9]", "_", "[:.']", "[,;.']")
# Codes: a letter, 0 digit, _ ExtendNumLet, : MidLetter, . MidNumLet or quote, , MidNum, ~ Extend/Format,
# k Katakana, t South-East Asian run, i one-character token (Han, Hiragana, emoji), space: anything else.
_CLASS_WORD = _word_pattern("a", "0", "_", "[:.]", "[,.]", extend="~", katakana="k", singles="|t[t~]*|i~*")

_MID_LETTER = frozenset("\u00b7\u0387\u055f\u05f4\u2027\ufe13\ufe55\uff1a:")
_MID_NUM_LET = frozenset("\u2018\u2019\u2024\ufe52\uff07\uff0e.'")
_MID_NUM = frozenset("\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b,;")
_SOUTH_EAST_ASIAN = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x1950, 0x19DF), (0x1A20, 0x1AAF),
                     (0xA9E0, 0xA9FF), (0xAA60, 0xAADF))
_IDEOGRAPHIC = ((0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B), (0x3400, 0x4DBF),
                (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def _char_class(ch: str) -> str:
    if ch in _MID_LETTER:
        return ":"
    if ch in _MID_NUM_LET:
        return "."
    if ch in _MID_NUM:
        return ","
    code, cat = ord(ch), unicodedata.category(ch)
    if cat == "Pc" or code == 0x202F:
        return "_"
    if cat == "Nd":
        return "0"
    if _in(code, _SOUTH_EAST_ASIAN) and (cat[0] in "LM"):
        return "t"
    if cat in ("Mn", "Me", "Mc") or (cat == "Cf" and code != 0x200B) or 0xFF9E <= code <= 0xFF9F:
        return "~"
    if 0x3040 <= code <= 0x309F or (_in(code, _IDEOGRAPHIC) and cat[0] in "LN"):
        return "i"
    if (0x30A0 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0x32D0 <= code <= 0x3357
            or 0xFF66 <= code <= 0xFF9D):
        return "k"
    if ch.isalpha() or cat == "Nl":
        return "a"
    if cat == "So" and (code >= 0x1F000 or 0x2600 <= code <= 0x27BF):
        return "i"
    return " "


class _Classes(dict):
    """Code point -> class code, filled on first sight (a ``str.translate`` table)."""

    def __missing__(self, code: int) -> str:
        cls = _char_class(chr(code))
        if len(self) < 200_000:
            self[code] = cls
        return cls


_CLASSES = _Classes()


def tokenize(text: str) -> list[str]:
    """StandardTokenizer's tokens of ``text`` (case kept)."""
    if text.isascii():
        pattern, classes = _ASCII_WORD, text
        tokens = pattern.findall(text)
    else:
        pattern, classes = _CLASS_WORD, text.translate(_CLASSES)
        tokens = [text[m.start():m.end()] for m in pattern.finditer(classes)]
    if tokens and max(map(len, tokens)) > MAX_TOKEN_LENGTH:
        return _tokenize_cut(text, pattern, classes)
    return tokens


def _tokenize_cut(text: str, pattern: re.Pattern[str], classes: str) -> list[str]:
    """Tokens when one is too long: Lucene cuts it at the limit and scans on from the cut."""
    tokens: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        m = pattern.search(classes, pos)
        if m is None:
            break
        start = m.start()
        stop = min(m.end(), start + MAX_TOKEN_LENGTH)
        tokens.append(text[start:stop])
        pos = stop
    return tokens


# ---------------------------------------------------------------------------------------------- filters
_POSSESSIVE_QUOTES = ("'", "\u2019", "\uff07")


def _lower(token: str) -> str:
    if token.isascii():
        return token.lower()
    if "\u03a3" not in token and "\u0130" not in token:
        return token.lower()
    return "".join(c.lower()[0] for c in token)  # per character: no final sigma, and U+0130 -> "i"


def porter_stem(word: str) -> str:
    """Lucene's ``PorterStemmer`` (words of one or two characters come back unchanged)."""
    if len(word) <= 2:
        return word
    return _Porter(word).stem()


class _Porter:
    """One run of the Porter algorithm in the form Lucene ships: ``b[0..k]`` is the word, ``j`` a cut point."""

    __slots__ = ("b", "k", "j")

    def __init__(self, word: str) -> None:
        self.b = list(word)
        self.k = len(word) - 1
        self.j = 0

    def cons(self, i: int) -> bool:
        c = self.b[i]
        if c in "aeiou":
            return False
        if c == "y":
            return True if i == 0 else not self.cons(i - 1)
        return True

    def m(self) -> int:
        """Number of vowel-consonant sequences in ``b[0..j]``."""
        n, i, j = 0, 0, self.j
        while True:
            if i > j:
                return n
            if not self.cons(i):
                break
            i += 1
        i += 1
        while True:
            while True:
                if i > j:
                    return n
                if self.cons(i):
                    break
                i += 1
            i += 1
            n += 1
            while True:
                if i > j:
                    return n
                if not self.cons(i):
                    break
                i += 1
            i += 1

    def vowel_in_stem(self) -> bool:
        return any(not self.cons(i) for i in range(self.j + 1))

    def double_c(self, j: int) -> bool:
        return j >= 1 and self.b[j] == self.b[j - 1] and self.cons(j)

    def cvc(self, i: int) -> bool:
        if i < 2 or not self.cons(i) or self.cons(i - 1) or not self.cons(i - 2):
            return False
        return self.b[i] not in "wxy"

    def ends(self, s: str) -> bool:
        o = self.k - len(s) + 1
        if o < 0 or "".join(self.b[o:self.k + 1]) != s:
            return False
        self.j = self.k - len(s)
        return True

    def set_to(self, s: str) -> None:
        del self.b[self.j + 1:]
        self.b.extend(s)
        self.k = self.j + len(s)

    def r(self, s: str) -> None:
        if self.m() > 0:
            self.set_to(s)

    def _first(self, rules: tuple[tuple[str, str], ...]) -> None:
        """The first rule whose suffix matches applies (if m() > 0); later rules are not tried."""
        for suffix, replacement in rules:
            if self.ends(suffix):
                self.r(replacement)
                return

    def step1(self) -> None:  # plurals, -ed, -ing
        b = self.b
        if b[self.k] == "s":
            if self.ends("sses"):
                self.k -= 2
            elif self.ends("ies"):
                self.set_to("i")
            elif b[self.k - 1] != "s":
                self.k -= 1
        if self.ends("eed"):
            if self.m() > 0:
                self.k -= 1
        elif (self.ends("ed") or self.ends("ing")) and self.vowel_in_stem():
            self.k = self.j
            if self.ends("at"):
                self.set_to("ate")
            elif self.ends("bl"):
                self.set_to("ble")
            elif self.ends("iz"):
                self.set_to("ize")
            elif self.double_c(self.k):
                if self.b[self.k] not in "lsz":
                    self.k -= 1
            elif self.m() == 1 and self.cvc(self.k):
                self.set_to("e")

    def step2(self) -> None:  # terminal y -> i when the stem has a vowel
        if self.ends("y") and self.vowel_in_stem():
            self.b[self.k] = "i"

    _STEP3 = {
        "a": (("ational", "ate"), ("tional", "tion")),
        "c": (("enci", "ence"), ("anci", "ance")),
        "e": (("izer", "ize"),),
        "l": (("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")),
        "o": (("ization", "ize"), ("ation", "ate"), ("ator", "ate")),
        "s": (("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")),
        "t": (("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")),
        "g": (("logi", "log"),),
    }
    _STEP4 = {
        "e": (("icate", "ic"), ("ative", ""), ("alize", "al")),
        "i": (("iciti", "ic"),),
        "l": (("ical", "ic"), ("ful", "")),
        "s": (("ness", ""),),
    }
    _STEP5 = {
        "a": ("al",), "c": ("ance", "ence"), "e": ("er",), "i": ("ic",), "l": ("able", "ible"),
        "n": ("ant", "ement", "ment", "ent"), "s": ("ism",), "t": ("ate", "iti"), "u": ("ous",), "v": ("ive",),
        "z": ("ize",),
    }

    def step3(self) -> None:  # double suffixes to single ones
        if self.k == 0:
            return
        self._first(self._STEP3.get(self.b[self.k - 1], ()))

    def step4(self) -> None:  # -ic-, -full, -ness ...
        self._first(self._STEP4.get(self.b[self.k], ()))

    def step5(self) -> None:  # -ant, -ence ... in <c>vcvc<v>
        if self.k == 0:
            return
        c = self.b[self.k - 1]
        if c == "o":
            if not ((self.ends("ion") and self.j >= 0 and self.b[self.j] in "st") or self.ends("ou")):
                return
        elif not any(self.ends(s) for s in self._STEP5.get(c, ())):
            return
        if self.m() > 1:
            self.k = self.j

    def step6(self) -> None:  # a final -e, and -ll
        self.j = self.k
        if self.b[self.k] == "e":
            a = self.m()
            if a > 1 or (a == 1 and not self.cvc(self.k - 1)):
                self.k -= 1
        if self.b[self.k] == "l" and self.double_c(self.k) and self.m() > 1:
            self.k -= 1

    def stem(self) -> str:
        self.step1()
        self.step2()
        self.step3()
        self.step4()
        self.step5()
        self.step6()
        return "".join(self.b[:self.k + 1])


_STEMS: dict[str, str] = {}
_STEMS_LOCK = threading.Lock()


def _stem(token: str) -> str:
    stem = _STEMS.get(token)
    if stem is None:
        stem = porter_stem(token)
        if len(_STEMS) < 2_000_000:  # a memo of a pure function, bounded so odd queries cannot grow it forever
            with _STEMS_LOCK:
                _STEMS[token] = stem
    return stem


def analyze(text: str) -> list[str]:
    """The analysed terms of ``text``, in order: what Lucene indexes for a document or searches for a query."""
    out = []
    if text.isascii():
        # ASCII: lower-casing first changes no token boundary, and the possessive test then needs one case
        for token in tokenize(text.lower()):
            if token.endswith("'s"):
                token = token[:-2]
            if token not in STOP_WORDS:
                out.append(_STEMS.get(token) or _stem(token))
        return out
    for token in tokenize(text):
        if len(token) >= 2 and token[-2] in _POSSESSIVE_QUOTES and token[-1] in "sS":
            token = token[:-2]
        token = _lower(token)
        if token not in STOP_WORDS:
            out.append(_stem(token))
    return out
