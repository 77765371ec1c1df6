"""Regenerate ``lucene_chars.json``: the character tables of the original's analyzer (a build-time tool).

    pip install --no-deps pyserini==0.17.0 pyjnius     # the Anserini 0.14.3 fat jar (Lucene 8.11.0); Java 11+
    python -m spa_gym.envs.webshop.build_lucene_chars

Two tables, both read from the real engine so that our analyzer does not depend on the Unicode version of the
Python that runs it:

- **word-break classes**: the character classes of Lucene 8.11's ``StandardTokenizer`` (UAX#29 word-break,
  script and emoji properties of Unicode 9.0 / emoji 11.0, as its JFlex scanner groups them). They are read from
  the class-map string constant of ``StandardTokenizerImpl.class`` in the jar (no JVM needed for this part) and
  written as runs of code points, each named by one of our class codes (:data:`CLASS_CODES`);
- **lower case**: ``java.lang.Character.toLowerCase(int)`` for every code point (``LowerCaseFilter``), asked of
  the JVM through pyjnius, written as runs ``[first, last, step, delta]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import struct
import zipfile
from pathlib import Path

from spa_gym.envs.webshop.analysis import CHARS_PATH

JAR_NAME = "anserini-0.14.3-fatjar.jar"
SCANNER_CLASS = "org/apache/lucene/analysis/standard/StandardTokenizerImpl.class"

#: Our code for each scanner class, named by one code point of the class (the scanner's own class numbers are
#: an artefact of its generator; a representative code point pins each class whatever its number).
CLASS_CODES = {
    " ": (0x0020, "none of the classes below (never part of a token)"),
    "a": (0x0041, "ALetter (not Hangul, not Hebrew)"),
    "e": (0x2139, "ALetter that is also an emoji character"),
    "h": (0xAC00, "Hangul ALetter"),
    "H": (0x05D0, "Hebrew_Letter"),
    "9": (0x0030, "ASCII digit: Numeric and an emoji keycap base"),
    "0": (0x0660, "Numeric (other digits, full-width digits)"),
    "k": (0x30A2, "Katakana"),
    "i": (0x4E00, "Han (one token each)"),
    "j": (0x3041, "Hiragana (one token each)"),
    "s": (0x0E01, "Line_Break Complex_Context (Thai, Lao, Myanmar, Khmer ...)"),
    "x": (0x0E31, "Complex_Context that is also Extend"),
    ":": (0x003A, "MidLetter"),
    ",": (0x002C, "MidNum"),
    ".": (0x002E, "MidNumLet"),
    "'": (0x0027, "Single_Quote"),
    '"': (0x0022, "Double_Quote"),
    "_": (0x005F, "ExtendNumLet"),
    "~": (0x0300, "Extend or Format (not one of the emoji joiners below)"),
    "z": (0x200D, "ZWJ"),
    "v": (0xFE0E, "text presentation selector"),
    "V": (0xFE0F, "emoji presentation selector"),
    "K": (0x20E3, "combining enclosing keycap"),
    "#": (0x0023, "keycap base that is not a digit (# and *)"),
    "R": (0x1F1E6, "Regional_Indicator"),
    "E": (0x00A9, "emoji character (Extended_Pictographic, or Emoji that is no keycap base, RI or modifier)"),
    "B": (0x261D, "Emoji_Modifier_Base"),
    "M": (0x1F3FB, "Emoji_Modifier"),
    "t": (0xE0020, "tag spec"),
    "T": (0xE007F, "tag term"),
}


def find_jar(jar: str | None = None) -> Path:
    """The Anserini fat jar: ``jar``, else the one inside the installed pyserini wheel (without importing it)."""
    if jar:
        return Path(jar)
    spec = importlib.util.find_spec("pyserini")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pyserini is not installed (pip install --no-deps pyserini==0.17.0), or pass --jar")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "jars" / JAR_NAME
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def _utf8_constants(class_file: bytes) -> list[list[int]]:
    """The CONSTANT_Utf8 entries of a class file, decoded from Java's modified UTF-8 to UTF-16 units."""
    count = struct.unpack(">H", class_file[8:10])[0]
    pos, index, out = 10, 1, []
    sizes = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}
    while index < count:
        tag = class_file[pos]
        if tag == 1:
            length = struct.unpack(">H", class_file[pos + 1:pos + 3])[0]
            raw, pos = class_file[pos + 3:pos + 3 + length], pos + 3 + length
            units, i = [], 0
            while i < len(raw):
                b = raw[i]
                if b < 0x80:
                    units.append(b)
                    i += 1
                elif b >> 5 == 0b110:
                    units.append(((b & 0x1F) << 6) | (raw[i + 1] & 0x3F))
                    i += 2
                else:
                    units.append(((b & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F))
                    i += 3
            out.append(units)
        else:
            pos += 1 + sizes[tag]
        index += 2 if tag in (5, 6) else 1
    return out


def scanner_class_map(jar: Path) -> list[int]:
    """The scanner's class number of every code point: the (count, value) packed string that covers 0x110000."""
    class_file = zipfile.ZipFile(jar).read(SCANNER_CLASS)
    for units in _utf8_constants(class_file):
        if len(units) % 2 == 0 and sum(units[0::2]) == 0x110000:
            cmap: list[int] = []
            for n, value in zip(units[0::2], units[1::2]):
                cmap.extend([value] * n)
            return cmap
    raise ValueError(f"no character map found in {SCANNER_CLASS}")


def word_break_runs(cmap: list[int]) -> list[list[str]]:
    """``[first code point (hex), our class code]`` wherever the class changes."""
    code_of = {}
    for code, (point, _) in CLASS_CODES.items():
        code_of.setdefault(cmap[point], code)
    if len(code_of) != len(CLASS_CODES) or len(set(cmap)) != len(CLASS_CODES):
        raise ValueError(f"the scanner has {len(set(cmap))} classes, {len(CLASS_CODES)} are named here: "
                         "a different Lucene version needs its grammar re-checked")
    runs, previous = [], None
    for point, value in enumerate(cmap):
        if value != previous:
            runs.append([f"{point:04X}", code_of[value]])
            previous = value
    return runs


def java_lower_runs() -> tuple[list[list[int]], str]:
    """``Character.toLowerCase(int)`` wherever it changes the code point, as ``[first, last, step, delta]`` runs."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java"):
        os.environ["JAVA_HOME"] = str(Path(os.path.realpath(shutil.which("java"))).parents[1])
    from pyserini.pyclass import autoclass  # starts the JVM with the jar on the class path
    from jnius import JavaStaticMethod, MetaJavaClass

    class CharacterInt(metaclass=MetaJavaClass):  # the int overload (autoclass may pick the char one)
        __javaclass__ = "java/lang/Character"
        toLowerCase = JavaStaticMethod("(I)I")

    version = autoclass("java.lang.System").getProperty("java.version")
    changed = [(cp, CharacterInt.toLowerCase(cp) - cp) for cp in range(0x110000)
               if not 0xD800 <= cp <= 0xDFFF and CharacterInt.toLowerCase(cp) != cp]
    runs: list[list[int]] = []
    for cp, delta in changed:
        if runs:
            first, last, step, d = runs[-1]
            if d == delta and cp - last == step:
                runs[-1][1] = cp
                continue
            if d == delta and first == last and cp - last in (1, 2):
                runs[-1][1], runs[-1][2] = cp, cp - last
                continue
        runs.append([cp, cp, 1, delta])
    return runs, version


def format_table(table: dict) -> str:
    """JSON with a few runs per line (diffable, and small)."""
    def rows(items: list, per_line: int) -> str:
        chunks = [", ".join(json.dumps(x, ensure_ascii=False) for x in items[i:i + per_line])
                  for i in range(0, len(items), per_line)]
        return "[\n  " + ",\n  ".join(chunks) + "\n ]"

    classes = ",\n  ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in table["classes"].items())
    return (f'{{\n "source": {json.dumps(table["source"])},\n "classes": {{\n  {classes}\n }},\n'
            f' "word_break": {rows(table["word_break"], 8)},\n "lower": {rows(table["lower"], 6)}\n}}\n')


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Regenerate lucene_chars.json from the Anserini fat jar.")
    p.add_argument("--jar", help=f"path to {JAR_NAME} (default: the installed pyserini's)")
    p.add_argument("--out", type=Path, default=CHARS_PATH)
    args = p.parse_args(argv)
    jar = find_jar(args.jar)
    runs = word_break_runs(scanner_class_map(jar))
    lower, java = java_lower_runs()
    table = {
        "source": f"{jar.name} (Lucene 8.11.0 StandardTokenizer classes, Unicode 9.0); "
                  f"java.lang.Character.toLowerCase(int) of Java {java}",
        "classes": {code: doc for code, (_, doc) in CLASS_CODES.items()},
        "word_break": runs,
        "lower": lower,
    }
    args.out.write_text(format_table(table))
    print(f"wrote {args.out}: {len(runs)} class runs, {len(lower)} lower-case runs (Java {java})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
