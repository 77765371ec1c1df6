"""Lucene's English analysis, as the original's search index runs it, in pure Python.

The original indexes and queries through pyserini 0.17 (Lucene 8.11) with Anserini's
``DefaultEnglishAnalyzer``: ``StandardTokenizer`` (Unicode UAX#29 word breaks), ``EnglishPossessiveFilter``,
``LowerCaseFilter``, a ``StopFilter`` with Lucene's 33 English stop words and ``PorterStemFilter``. Each
stage is reproduced here:

- **Tokenizer.** Lucene's ``StandardTokenizer`` grammar (UAX#29 word breaks plus emoji sequences), matched
  the way its JFlex scanner does: the longest match of any rule at each position, one character skipped where
  none matches. Letters join letters, digits join digits, and letters and digits join each other (``oz3``,
  ``3oz``). Between two letters one of ``: . '`` (and ``’``) keeps the word whole (``l'eau``, ``running:shoes``,
  ``u.s``); between two digits one of ``, ; . '`` does (``1,000``, ``6.76``); underscores join anything and may
  lead or trail a token (``a_b``, ``_x_``). Anything else breaks, so ``oz.3`` and ``a.1`` are two tokens each. A
  Hebrew letter keeps a following ``'`` and joins ``"`` to another Hebrew letter (``צה"ל``). Combining marks,
  format characters and ZWJ stay with the character before them. Each Han ideograph and Hiragana character is a
  token; runs of Katakana, of Hangul and of Thai/Lao/Khmer/Myanmar script are one token each. An emoji is a token
  with its presentation selector, skin-tone modifier, ZWJ sequence or tag sequence (``👍🏽``, ``👨‍👩‍👧``, 🏴 tags),
  and so are keycaps (``#️⃣``) and flag pairs; ``©``, ``®`` and ``™`` are emoji to Lucene. The character classes
  are Lucene's own (Unicode 9.0), read from its jar into ``lucene_chars.json``, so they do not follow the Unicode
  version of the running Python. A token longer than 255 UTF-16 units is the longest match within 255 (Lucene's
  scanner buffer), and scanning resumes after it.
- **Possessives.** A trailing ``'s`` / ``’s`` / ``＇s`` (either case) is removed.
- **Lower case** per code point with Java's ``Character.toLowerCase(int)`` (a table from the JVM; no final-sigma
  rule, ``İ`` -> ``i``).
- **Stop words**: :data:`STOP_WORDS`.
- **Porter stemming** with Lucene's ``PorterStemmer`` (Martin Porter's own implementation, which departs
  from the 1980 paper in two rules: ``-bli`` -> ``-ble`` and ``-logi`` -> ``-log``), on UTF-16 units as Java
  sees the word. Words of one or two units are left as they are, so no term is ever empty.

ASCII text (every generated document) takes a fast path with the same result. Checked against the real engine
(Anserini 0.14.3 / Lucene 8.11.0 on Java 17) by ``benchmarks/webshop_pyserini_parity.py``.

>>> analyze("The Kid's 6.76 fl oz l'eau, Running Shoes!")
['kid', '6.76', 'fl', 'oz', "l'eau", 'run', 'shoe']
>>> analyze("1,000 count a_b running:shoes oz.3 a.1 men\u2019s s")
['1,000', 'count', 'a_b', 'running:sho', 'oz', '3', '1', 'men', 's']
>>> analyze("\U0001f44d\U0001f3fd\u00a9 #\ufe0f\u20e3") == ["\U0001f44d\U0001f3fd", "\u00a9", "#\ufe0f\u20e3"]
True
"""

from __future__ import annotations

import bisect
import json
import re
import struct
import threading
from pathlib import Path

#: Lucene's ``EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`` (33 words).
STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
assert len(STOP_WORDS) == 33

#: ``StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH``.
MAX_TOKEN_LENGTH = 255


# ---------------------------------------------------------------------------------------------- tokenizer
#: Lucene's character tables: StandardTokenizer's word-break classes and Java's lower case per code point,
#: read from the real engine by :mod:`spa_gym.envs.webshop.build_lucene_chars`.
CHARS_PATH = Path(__file__).with_name("lucene_chars.json")


def _word_pattern(letter: str, digit: str, under: str, mid_letter: str, mid_num: str,
                  attach: str = "") -> re.Pattern[str]:
    """The StandardTokenizer's rule for letters, digits and their joiners (each argument a character class).

    On text of letters (no Hebrew), digits, their joiners and marks only, this is the whole grammar (a number is
    also a word, and no emoji, Hebrew, Katakana, Han or South-East Asian rule can match), and its greedy match is
    Lucene's longest one. ``attach``: characters that stay with the one before them (WB4).
    """
    def x(c: str) -> str:
        return f"(?:{c}{attach}*)" if attach else c

    a, n, u = x(letter), x(digit), x(under)
    letters = f"{a}(?:{u}*{a}|{x(mid_letter)}{a})*"   # WB5-7, WB13a/b
    numbers = f"{n}(?:{u}*{n}|{x(mid_num)}{n})*"      # WB8, WB11/12, WB13a/b
    core = f"(?:{letters}|{numbers})+"                # WB9/10: letters and digits join directly
    return re.compile(f"{u}*{core}(?:{u}+{core})*{u}*")


_ASCII_WORD = _word_pattern("[A-Za-z]", "[0-9]", "_", "[:.']", "[,;.']")


class _Grammar:
    """A small regular-expression builder over class codes (Thompson fragments), compiled to a DFA.

    Lucene's scanner takes the longest match of all its rules at each position; a DFA gives that directly,
    where a backtracking regex would give the first alternative that matches (and can take exponential time).
    Fragments are ``(start, end)`` state pairs and each is used once.
    """

    def __init__(self) -> None:
        self.edges: list[list[tuple[str, int]]] = []
        self.eps: list[list[int]] = []

    def _state(self) -> int:
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1

    def sym(self, codes: str) -> tuple[int, int]:
        s, e = self._state(), self._state()
        self.edges[s].append((codes, e))
        return s, e

    def seq(self, *parts: tuple[int, int]) -> tuple[int, int]:
        for (_, end), (start, _) in zip(parts, parts[1:]):
            self.eps[end].append(start)
        return parts[0][0], parts[-1][1]

    def alt(self, *parts: tuple[int, int]) -> tuple[int, int]:
        s, e = self._state(), self._state()
        for start, end in parts:
            self.eps[s].append(start)
            self.eps[end].append(e)
        return s, e

    def star(self, part: tuple[int, int], least: int = 0) -> tuple[int, int]:
        """``part*`` (or ``part+`` with ``least=1``)."""
        s, e = self._state(), self._state()
        start, end = part
        self.eps[s].append(start)
        if not least:
            self.eps[s].append(e)
        self.eps[end] += [start, e]
        return s, e

    def opt(self, part: tuple[int, int]) -> tuple[int, int]:
        s, e = self._state(), self._state()
        self.eps[s] += [part[0], e]
        self.eps[part[1]].append(e)
        return s, e

    def compile(self, rule: tuple[int, int], alphabet: str) -> tuple[list[dict[str, int]], list[bool]]:
        """Subset construction: ``(transitions per DFA state, whether it accepts)``; state 0 starts."""
        def closure(states: set[int]) -> frozenset[int]:
            stack, seen = list(states), set(states)
            while stack:
                for t in self.eps[stack.pop()]:
                    if t not in seen:
                        seen.add(t)
                        stack.append(t)
            return frozenset(seen)

        first = closure({rule[0]})
        ids, order = {first: 0}, [first]
        trans: list[dict[str, int]] = []
        for states in order:  # grows while we walk it
            row = {}
            for c in alphabet:
                targets = {t for s in states for codes, t in self.edges[s] if c in codes}
                if targets:
                    nxt = closure(targets)
                    if nxt not in ids:
                        ids[nxt] = len(order)
                        order.append(nxt)
                    row[c] = ids[nxt]
            trans.append(row)
        return trans, [rule[1] in states for states in order]


def _standard_tokenizer_dfa() -> tuple[list[dict[str, int]], list[bool]]:
    """Lucene 8.11's ``StandardTokenizerImpl`` rules (UAX#29 word breaks plus emoji sequences) over our codes.

    Codes (``lucene_chars.json`` names them): ``a`` ALetter, ``e`` ALetter that is an emoji, ``h`` Hangul, ``H``
    Hebrew_Letter, ``9`` ASCII digit, ``0`` other Numeric, ``k`` Katakana, ``i`` Han, ``j`` Hiragana, ``s``/``x``
    South-East Asian (``x`` also Extend), ``:`` MidLetter, ``,`` MidNum, ``.`` MidNumLet, ``'`` Single_Quote,
    ``"`` Double_Quote, ``_`` ExtendNumLet, ``~`` Extend/Format, ``z`` ZWJ, ``v``/``V`` text/emoji presentation
    selectors, ``K`` keycap, ``#`` other keycap bases, ``R`` regional indicator, ``E`` emoji, ``B`` emoji modifier
    base, ``M`` emoji modifier, ``t``/``T`` tag spec/term.
    """
    g = _Grammar()
    attached = "~vKVztTx"   # WB4: Extend | Format | ZWJ stay with the character before them
    emoji_attached = "~KztTx"  # ... except the presentation selectors, inside emoji sequences

    def ex(codes: str, tail: str = attached) -> tuple[int, int]:
        return g.seq(g.sym(codes), g.star(g.sym(tail)))

    def many(codes: str, least: int = 0) -> tuple[int, int]:
        return g.star(ex(codes), least)

    def emoji_element() -> tuple[int, int]:  # emoji (+ VS16), or [modifier base] modifier; ZWJs may lead
        char = g.seq(g.star(g.sym("z")), ex("BEe", emoji_attached), g.opt(g.sym("V")))
        modified = g.seq(g.opt(g.seq(g.star(g.sym("z")), ex("B", emoji_attached))), ex("M", emoji_attached))
        return g.alt(char, modified)

    emoji = g.alt(
        g.seq(emoji_element(), g.alt(g.star(g.seq(g.sym("z"), emoji_element())),
                                     g.seq(g.star(g.sym("t"), 1), g.sym("T")))),
        g.seq(ex("9#", emoji_attached), g.opt(g.sym("V")), ex("K", emoji_attached)),  # keycaps
        g.seq(ex("R"), ex("R")),                                                       # flags
    )

    def number() -> tuple[int, int]:  # WB8, WB11/12
        return g.seq(ex("90"), g.star(g.seq(g.alt(many("_"), ex(",.'")), ex("90"))))

    def letters() -> tuple[int, int]:  # WB5-7 (Hebrew letters are letters too)
        return g.seq(ex("aehH"), g.star(g.seq(g.alt(many("_"), ex(":.'")), ex("aehH"))))

    def hebrew_quotes() -> tuple[int, int]:  # WB7a-c: Hebrew + ', Hebrew " Hebrew
        return g.seq(ex("H"), g.alt(ex("'"), g.seq(ex('"'), ex("H"))))

    def group() -> tuple[int, int]:  # a Katakana run, or letters, numbers and Hebrew quotes joined directly
        katakana = g.seq(ex("k"), g.star(g.seq(many("_"), ex("k"))))
        return g.alt(katakana, g.star(g.alt(hebrew_quotes(), number(), letters()), 1))

    word = g.seq(many("_"), group(), g.star(g.seq(many("_", 1), group())), many("_"))  # WB13a/b
    numeric = g.seq(many("_"), number(), many("_"))
    rules = g.alt(emoji, numeric, many("h", 1), many("k", 1), word, many("sx", 1), ex("i"), ex("j"))
    return g.compile(rules, "aehH90kijsx:,.'\"_~zvVK#REBMtT")


_DFA: tuple[list[dict[str, int]], list[bool]] | None = None
# A run (between blanks) with an emoji, Hebrew, Katakana, Han, Hiragana, Hangul-only or South-East Asian
# character needs the whole grammar; everything else (most text) is letters, digits, joiners and marks, where
# one greedy pattern over the class codes gives the longest match.
_COMPLEX_RUN = re.compile("(?<![^ ])[^ ]*?[^ ah90_:,.'\"~zvV][^ ]*")
_SIMPLE_WORD = _word_pattern("[ah]", "[90]", "_", "[:.']", "[,.']", attach="[~zvV]")


class _Classes(dict):
    """Code point -> class code, looked up in Lucene's table on first sight (a ``str.translate`` table)."""

    def __init__(self, starts: list[int], codes: str) -> None:
        super().__init__()
        self._starts, self._codes = starts, codes

    def __missing__(self, point: int) -> str:
        code = self._codes[bisect.bisect_right(self._starts, point) - 1]
        if len(self) < 200_000:
            self[point] = code
        return code


_TABLES: tuple[_Classes, dict[int, int]] | None = None
_TABLES_LOCK = threading.Lock()


def _tables() -> tuple[_Classes, dict[int, int]]:
    """The word-break class table and Java's lower-case map, loaded once (only non-ASCII text needs them)."""
    global _TABLES, _DFA
    if _TABLES is None:
        with _TABLES_LOCK:
            if _TABLES is None:
                table = json.loads(CHARS_PATH.read_text(encoding="utf-8"))
                starts = [int(point, 16) for point, _ in table["word_break"]]
                classes = _Classes(starts, "".join(code for _, code in table["word_break"]))
                lower = {cp: cp + delta for first, last, step, delta in table["lower"]
                         for cp in range(first, last + 1, step)}
                _DFA = _standard_tokenizer_dfa()
                _TABLES = classes, lower
    return _TABLES


def tokenize(text: str) -> list[str]:
    """StandardTokenizer's tokens of ``text`` (case kept)."""
    if text.isascii():
        tokens = _ASCII_WORD.findall(text)
        if not tokens or max(map(len, tokens)) <= MAX_TOKEN_LENGTH:
            return tokens
    return _scan(text, text.translate(_tables()[0]))


def _scan(text: str, classes: str) -> list[str]:
    """The longest match of Lucene's rules at each position (one character skipped where none matches).

    Lucene's scanner buffer holds ``MAX_TOKEN_LENGTH`` UTF-16 units, so a longer token is the longest match
    within that window, and scanning goes on from its end.
    """
    tokens: list[str] = []
    pos = 0
    for run in _COMPLEX_RUN.finditer(classes):
        _scan_simple(text, classes, pos, run.start(), tokens)
        _scan_dfa(text, classes, run.start(), run.end(), tokens)
        pos = run.end()
    _scan_simple(text, classes, pos, len(text), tokens)
    return tokens


def _scan_simple(text: str, classes: str, start: int, end: int, tokens: list[str]) -> None:
    found = [text[m.start():m.end()] for m in _SIMPLE_WORD.finditer(classes, start, end)]
    if any(len(t) > MAX_TOKEN_LENGTH // 2 and len(_utf16_units(t)) > MAX_TOKEN_LENGTH for t in found):
        _scan_dfa(text, classes, start, end, tokens)  # a token to cut at the buffer's end
    else:
        tokens += found


def _scan_dfa(text: str, classes: str, pos: int, end: int, tokens: list[str]) -> None:
    assert _DFA is not None
    trans, accepting = _DFA
    wide = max(text[pos:end], default="\0") > "\uffff"  # characters beyond the BMP take two UTF-16 units
    while pos < end:
        state, i, last, units = 0, pos, -1, 0
        while i < end:
            nxt = trans[state].get(classes[i])
            if nxt is None:
                break
            units += 2 if wide and text[i] > "\uffff" else 1
            if units > MAX_TOKEN_LENGTH:
                break
            state = nxt
            i += 1
            if accepting[state]:
                last = i
        if last < 0:
            pos += 1
        else:
            tokens.append(text[pos:last])
            pos = last


# ---------------------------------------------------------------------------------------------- filters
_POSSESSIVE_QUOTES = ("'", "\u2019", "\uff07")


def _utf16_units(word: str) -> str:
    """``word`` with each character beyond the BMP as its two surrogates (Java's view of a string)."""
    data = word.encode("utf-16-le", "surrogatepass")
    return "".join(chr(u) for u in struct.unpack(f"<{len(data) // 2}H", data))


def _from_utf16_units(units: str) -> str:
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


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
    lower = _tables()[1]
    for token in tokenize(text):
        if len(token) >= 2 and token[-2] in _POSSESSIVE_QUOTES and token[-1] in "sS":
            token = token[:-2]
        if token.isascii():
            token = token.lower()
        else:
            token = token.translate(lower)  # Java's Character.toLowerCase per code point (no final sigma)
            if max(token) > "\uffff":  # Lucene stems UTF-16 units
                out.append(_from_utf16_units(porter_stem(_utf16_units(token))))
                continue
        if token not in STOP_WORDS:
            out.append(_STEMS.get(token) or _stem(token))
    return out
