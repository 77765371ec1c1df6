"""Envs stepped from threads: 8 threads, each with its own env, give the transcripts of sequential runs, and
the shared WebShop index and official-data store answer concurrent lookups exactly as sequential ones.

Threads switch far more often than by default here (``sys.setswitchinterval``), and the process-wide task
caches are emptied before the threaded run, so the threads also generate tasks and fill memos at once.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import spa_gym
from spa_gym.envs.alfworld import env as alfworld_env
from spa_gym.envs.alfworld import generator as alfworld_generator
from spa_gym.envs.virtualhome import scenes as vh_scenes
from spa_gym.envs.virtualhome import tasks as vh_tasks
from spa_gym.envs.webshop import analysis
from spa_gym.envs.webshop.env import WebShopEnv

IDS = list(spa_gym.ENV_IDS)
THREADS = 8
STEPS = 14


@pytest.fixture
def busy_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over every few bytecodes: races show up if there are any
    yield
    sys.setswitchinterval(old)


def empty_process_caches() -> None:
    for cached in (alfworld_env._compiled, alfworld_generator._generate, vh_tasks._load_task_cached,
                   vh_scenes._build_scene_cached):
        cached.cache_clear()
    analysis._STEMS.clear()
    analysis._TABLES = analysis._DFA = None  # the tokenizer's tables are built again, on first use


def transcript(make, env_id: str, worker: int, start: threading.Barrier | None = None) -> list:
    """Worker ``worker``'s episode: test task ``worker``, the expert's commands mixed with seeded random and
    invalid ones; every step's observation, reward, flags and info (as JSON)."""
    env = make(env_id, expert=True)
    if start is not None:
        start.wait()
    rng = random.Random(worker)
    obs, info = env.reset(seed=worker, options={"split": "test", "task_id": worker})
    out = [obs, json.dumps(info, sort_keys=True)]
    for k in range(STEPS):
        if k % 3 == 2:
            command = rng.choice(info["admissible_commands"] + ["fly to the moon", "search[red shoes]"])
        else:
            command = info["expert_action"] or "look"
        obs, reward, terminated, truncated, info = env.step(command)
        out += [command, obs, reward, terminated, truncated, json.dumps(info, sort_keys=True)]
        if terminated or truncated:
            obs, info = env.reset(seed=worker + 100, options={"split": "test", "task_id": worker + 8})
            out += [obs, json.dumps(info, sort_keys=True)]
    return out


@pytest.mark.parametrize("env_id", IDS)
def test_threads_give_the_sequential_transcripts(make, env_id, busy_switching):
    sequential = [transcript(make, env_id, w) for w in range(THREADS)]
    empty_process_caches()
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        threaded = list(pool.map(lambda w: transcript(make, env_id, w, start), range(THREADS)))
    for w in range(THREADS):
        assert threaded[w] == sequential[w], f"worker {w} differs"
    assert len({t[1] for t in sequential}) == THREADS  # the workers really played different tasks


def test_webshop_envs_made_at_once_share_one_index(tmp_path, busy_switching):
    """Eight envs made at the same moment over a cold cache: one index is built and all of them share it."""
    start = threading.Barrier(THREADS)

    def build(_: int) -> WebShopEnv:
        start.wait()
        return WebShopEnv(num_products=300, cache_dir=tmp_path)

    with ThreadPoolExecutor(THREADS) as pool:
        envs = list(pool.map(build, range(THREADS)))
    assert all(e.index is envs[0].index for e in envs)
    assert len(list((tmp_path / "webshop").iterdir())) == 1


def queries(env: WebShopEnv) -> list[str]:
    texts: list[str] = []
    for i in range(40):
        env.reset(seed=0, options={"split": "test", "task_id": i})
        texts += [env.goal.instruction_text, env.goal.search_query, env.goal.name]
    texts += ["caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", "\u4e2d\u6587 \u30c6\u30b9\u30c8", "men\u2019s shoes", "s",
              "x" * 300, "", "red red red shoes shoes"]
    return texts


def test_shared_webshop_index_answers_concurrent_searches_exactly(make, busy_switching):
    env = make("SPA-WebShop-v0").unwrapped
    index = env.index
    texts = queries(env)
    expected = [index.search(q) for q in texts]
    assert sum(bool(r) for r in expected) > len(texts) // 2
    analysis._STEMS.clear()
    analysis._TABLES = analysis._DFA = None  # the tokenizer's tables are built again, on first use
    start = threading.Barrier(THREADS)

    def run(worker: int) -> list[list[int]]:
        order = list(range(len(texts)))
        random.Random(worker).shuffle(order)
        start.wait()
        got = [None] * len(texts)
        for i in order:
            got[i] = index.search(texts[i])
        return got

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    assert all(r == expected for r in results)


def test_official_store_answers_concurrent_reads_exactly(tmp_path, busy_switching):
    """The official data's one sqlite connection is shared by every env of the process (behind a lock)."""
    from test_webshop_official import raw_product  # the small files in the original format

    from spa_gym.envs.webshop.official import OfficialData

    data = tmp_path / "data"
    data.mkdir()
    products = [raw_product(i) for i in range(40)]
    (data / "items_shuffle_1000.json").write_text(json.dumps(products))
    (data / "items_ins_v2_1000.json").write_text(json.dumps({}))
    human = {p["asin"]: [{"instruction": f"i want shirt {i}", "instruction_attributes": ["cotton"],
                          "instruction_options": ["small"]}] for i, p in enumerate(products)}
    (data / "items_human_ins.json").write_text(json.dumps(human))
    store = OfficialData.open(data, cache_dir=tmp_path / "cache")
    expected = [repr(store.product(i)) for i in range(len(store))]
    store._products.clear()
    start = threading.Barrier(THREADS)

    def run(worker: int) -> list[str]:
        local = OfficialData.open(data, cache_dir=tmp_path / "cache")
        start.wait()
        order = list(range(len(store)))
        random.Random(worker).shuffle(order)
        got = [""] * len(store)
        for i in order:
            got[i] = repr(local.product(i))
            assert local.index_of(local.product(i).asin) == i
        return got

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS)))
    assert all(r == expected for r in results) and len(expected) == 40


def test_spa_rewarded_envs_sharing_one_estimator(make, busy_switching):
    """SPAReward envs in threads, all scoring with one shared estimator: the dense rewards of sequential runs."""
    from spa_gym.progress import ProgressEstimator
    from spa_gym.wrappers import SPAReward

    estimator = ProgressEstimator.default(device="cpu")

    def rewards(worker: int, start: threading.Barrier | None = None) -> list:
        env = SPAReward(make("SPA-ALFWorld-v0", expert=True), estimator)
        if start is not None:
            start.wait()
        _, info = env.reset(seed=worker, options={"split": "test", "task_id": worker})
        out = []
        for _ in range(STEPS):
            _, reward, terminated, truncated, info = env.step(info["expert_action"] or "look")
            out.append((reward, json.dumps(info["spa"], sort_keys=True)))
            if terminated or truncated:
                break
        return out

    sequential = [rewards(w) for w in range(THREADS)]
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        threaded = list(pool.map(lambda w: rewards(w, start), range(THREADS)))
    assert threaded == sequential
    assert len({r for run in sequential for r, _ in run}) > THREADS  # the rewards really vary
