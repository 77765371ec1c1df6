"""Official WebShop data: load-time derivations, goal order and split, the shared sqlite store, the env on it.

The real files are a Google Drive download, so these tests write small files in the original format.
"""

from __future__ import annotations

import json
import random
import sqlite3

import pytest
from gymnasium.utils.env_checker import check_env

from spa_gym.envs.webshop import WebShopEnv, official
from spa_gym.envs.webshop.official import OfficialData, iter_json, parse_pricing

COLORS = ["Black", "Navy/Blue", "Red"]
SIZES = ["Small", "Medium", "Large"]


def raw_product(i: int) -> dict:
    return {
        "asin": f"B00TEST{i:03d}", "name": f"Acme Cotton Shirt Model {i}", "full_description": f"Shirt number {i}.",
        "small_description": ["Soft cotton", "Machine wash"] if i % 2 else "Soft cotton\nMachine wash",
        "pricing": "$12.50" if i % 3 else "$10.00 - $19.99", "images": ["img"], "category": "fashion",
        "query": " Cotton Shirt ", "product_category": "Clothing \u203a Men \u203a Shirts",
        "customization_options": {"Color": [{"value": c, "image": None} for c in COLORS],
                                  "Size": [{"value": f" {s} ", "image": None} for s in SIZES], "Fit": None},
        "brand": "Acme", "product_information": {}, "list_price": "x",
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("webshop-data")
    products = [raw_product(i) for i in range(40)]
    products.insert(5, dict(raw_product(99), asin="nan"))
    products.insert(6, dict(raw_product(98), asin="B00TOOLONG99"))
    products.insert(7, dict(raw_product(3), name="duplicate: dropped"))
    products[8]["pricing"] = ""
    (d / "items_shuffle_1000.json").write_text(json.dumps(products, indent=1))
    attrs = {f"B00TEST{i:03d}": {"attributes": ["machine wash", "cotton"], "instruction": None,
                                 "instruction_attributes": []} for i in range(0, 40, 2)}
    (d / "items_ins_v2_1000.json").write_text(json.dumps(attrs))
    human = {}
    for i in range(40):
        human[f"B00TEST{i:03d}"] = [
            {"instruction": f"i want a navy cotton shirt number {i} in small.", "instruction_attributes": ["cotton"],
             "instruction_options": ["navy | blue", "small"]},
            {"instruction": "skipped: no attributes", "instruction_attributes": [], "instruction_options": []},
        ]
    (d / "items_human_ins.json").write_text(json.dumps(human))
    return d


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    return OfficialData.open(data_dir, cache_dir=tmp_path_factory.mktemp("official-cache"))


def test_streaming_reader_matches_json_load(tmp_path):
    doc = [{"a": [1, 2.5e3, "x\u00e9"], "b": None}, 12345678901234567890, "s", [], {}]
    (tmp_path / "a.json").write_text(json.dumps(doc))
    assert list(iter_json(tmp_path / "a.json", chunk_size=3)) == doc
    obj = {"k1": {"x": [1, 2]}, "k2": 3.25}
    (tmp_path / "o.json").write_text(json.dumps(obj, indent=2))
    assert dict(iter_json(tmp_path / "o.json", chunk_size=2)) == obj


def test_pricing_parse_follows_the_original():
    assert parse_pricing("$24.49 - $39.99") == [24.49, 39.99]
    assert parse_pricing("$1,299.00") == [1299.0]
    assert parse_pricing("$1 - $2 - $3") == [1.0, 2.0]
    assert parse_pricing("") == [100.0] and parse_pricing(None) == [100.0] and parse_pricing("free") == [100.0]


def test_products_are_filtered_and_derived_like_the_original(store):
    assert store.num_products == 40  # 'nan', an 11-character ASIN and a duplicate are skipped
    p = store.product(1)
    assert p.asin == "B00TEST001" and p.title == "Acme Cotton Shirt Model 1" and p.query == "cotton shirt"
    assert p.options == {"color": ("black", "navy | blue", "red"), "size": ("small", "medium", "large")}
    assert p.bullets == ("Soft cotton", "Machine wash") and store.product(2).bullets == ("Soft cotton", "Machine wash")
    assert p.attributes == ("DUMMY_ATTR",) and store.product(2).attributes == ("machine wash", "cotton")
    assert p.pricing == (12.5,) and p.price == 12.5 and p.price_text == "$12.5"
    ranged = store.product(3)
    assert ranged.pricing == (10.0, 19.99) and 10.0 <= ranged.price <= 19.99 and ranged.price_text == "$10.0 to $19.99"
    assert store.product(5).pricing == (100.0,)  # empty pricing string
    assert store.index_of("b00test007") == 7 and store.index_of("B0NOPE") is None
    assert "cotton" in p.nouns and "shirt" in p.nouns
    with pytest.raises(IndexError):
        store.product(40)


def test_goals_follow_the_original_order_and_split(store):
    # The original: one goal per (product, instruction with attributes), then random.seed(233); shuffle.
    asins = [f"B00TEST{i:03d}" for i in range(40)]
    random.seed(233)
    random.shuffle(asins)
    assert [store.goal("test", i).asin for i in range(40)] == asins
    assert store.task_set.sizes == {"train": 0, "valid": 0, "test": 40}
    g = store.goal("test", 0)
    number = int(g.asin[-3:])
    assert g.instruction_text.startswith(f"i want a navy cotton shirt number {number} in small, and price lower than ")
    assert g.instruction_text.endswith(" dollars") and g.price_upper in (20.0, 30.0, 40.0, 50.0)
    assert g.attributes == ("cotton",) and g.goal_options == ("navy | blue", "small")


def test_store_is_shared_and_converted_once(data_dir, store, monkeypatch):
    def boom(*args):
        raise AssertionError("converted twice")
    monkeypatch.setattr(official, "convert", boom)
    assert OfficialData.open(data_dir, cache_dir=store.db_path.parent.parent) is store
    fresh = OfficialData(store.db_path)  # a new process would do this: connect, no conversion
    assert fresh.goal("test", 3) == store.goal("test", 3)


def test_env_on_official_data(data_dir, store):
    env = WebShopEnv(data_dir=data_dir, split="test", expert=True, cache_dir=store.db_path.parent.parent)
    assert env.source is store
    won = 0
    for task_id in range(10):
        obs, info = env.reset(options={"task_id": task_id})
        assert info["task"] == store.goal("test", task_id).instruction_text and info["task"] in obs
        while info["expert_action"] and not info["won"]:
            obs, reward, terminated, truncated, info = env.step(info["expert_action"])
        won += info["won"]
    assert won == 10
    obs, info = env.reset(options={"task_id": 0})
    obs, *_ = env.step("search[acme cotton shirt]")
    assert "Page 1 (Total results: 40)" in obs


def test_missing_files_are_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="items_shuffle"):
        OfficialData.open(tmp_path, cache_dir=tmp_path)


def test_back_door_lookups_on_official_data(store):
    products = [store.product(i) for i in range(len(store))]
    for field in ("category", "query"):
        value = getattr(products[0], field)
        assert store.indices_where(field, value) == tuple(i for i, p in enumerate(products)
                                                          if getattr(p, field) == value)
    assert store.indices_where("query", "no such query") == ()


def test_non_ascii_text_comes_through_unchanged_and_is_in_the_spaces(tmp_path):
    title = "Caf\u00e9 Cr\u00e8me Br\u00fbl\u00e9e Lotion \u2013 8 fl oz\u2122, \u65e5\u672c Edition \U0001F375"
    path = "Beauty & Personal Care \u203a Skin Care \u203a Lotions"
    raw = dict(raw_product(0), name=title, product_category=path, full_description="It\u2019s r\u00e9ally soft.",
               customization_options={"Scent": [{"value": "Ros\u00e9", "image": None}, {"value": "Plain", "image": None}]})
    (tmp_path / "items_shuffle_1000.json").write_text(json.dumps([raw, raw_product(1)]))
    (tmp_path / "items_ins_v2_1000.json").write_text(json.dumps({}))
    (tmp_path / "items_human_ins.json").write_text(json.dumps({raw["asin"]: [
        {"instruction": "i want a cr\u00e8me lotion, ros\u00e9", "instruction_attributes": ["lotion"],
         "instruction_options": ["ros\u00e9"]}]}))
    env = WebShopEnv(data_dir=tmp_path, split="test", cache_dir=tmp_path / "cache", show_attrs=True, expert=True)
    for ch in title + path + "\u2019\u00e9":
        assert ch in env.observation_space.character_set and ch in env.action_space.character_set
    assert not {"\u2603", "\u4e2d"} & env.observation_space.character_set  # only what the data holds
    check_env(env, skip_render_check=True)
    obs, info = env.reset(options={"task_id": 0})
    assert "i want a cr\u00e8me lotion, ros\u00e9" in obs and env.observation_space.contains(obs)
    pages = [env.step("search[creme lotion]")[0]]
    pages += [env.step(f"click[{raw['asin'].lower()}]")[0]]
    pages += [env.step("click[attributes]")[0], env.step("click[< prev]")[0], env.step("click[description]")[0]]
    assert title in pages[0] and title in pages[1] and "ros\u00e9" in pages[1]
    assert path in pages[2] and "It\u2019s r\u00e9ally soft." in pages[4]
    assert all(env.observation_space.contains(p) for p in pages)
    assert env.action_space.contains("click[ros\u00e9]")
    # a store converted before the characters were recorded is scanned once and gets them
    store = env.source
    with sqlite3.connect(store.db_path) as con:
        con.execute("DELETE FROM meta WHERE key = 'characters'")
    assert OfficialData(store.db_path).characters() == store.characters()
    assert dict(sqlite3.connect(store.db_path).execute("SELECT key, value FROM meta"))["characters"] == store.characters()
