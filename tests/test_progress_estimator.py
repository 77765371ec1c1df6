"""The small model, the progress estimator and its incremental scorer (equal to full re-encoding)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from spa_gym.progress.episodes import Episode, RandomPolicy, Step, collect_episodes
from spa_gym.progress.estimator import ProgressEstimator, window_starts
from spa_gym.progress.incremental import IncrementalScorer
from spa_gym.progress.small_model import (ROLE_TOKENS, build_small_model, load_tokenizer, rebuild_tokenizer_asset,
                                          train_tokenizer)
from spa_gym.progress.toy import CountingEnv

ATOL = 1e-5


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def estimator(cache_dir):
    return ProgressEstimator.default(size="tiny", seed=0, device="cpu", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def episodes():
    # Different lengths, invalid steps included: padding and masks get exercised.
    return collect_episodes(CountingEnv(expert=True, max_steps=25), RandomPolicy(invalid_prob=0.3), 6, seed=1,
                            progress=False)


def _incremental(scorer: IncrementalScorer, episodes: list[Episode], offsets: list[int]) -> list[np.ndarray]:
    """Feed episodes step by step, episode i starting at tick offsets[i] (so batches mix old and new)."""
    out: list[list[float]] = [[] for _ in episodes]
    for tick in range(max(o + len(ep) for o, ep in zip(offsets, episodes)) + 1):
        for i, (o, ep) in enumerate(zip(offsets, episodes)):
            if tick == o:
                scorer.start(i, ep.task, ep.observation)
        items = [(i, ep.steps[tick - o - 1].action, ep.steps[tick - o - 1].observation)
                 for i, (o, ep) in enumerate(zip(offsets, episodes)) if 0 < tick - o <= len(ep)]
        for (i, _, _), v in zip(items, scorer.add_steps(items)):
            out[i].append(float(v))
    return [np.array(x) for x in out]


# ---------------------------------------------------------------------------------------- small model
def test_small_model_is_a_standard_hf_folder(tmp_path):
    path = build_small_model(tmp_path / "m", size="tiny", seed=3)
    model = AutoModelForCausalLM.from_pretrained(path)
    tok = AutoTokenizer.from_pretrained(path)
    assert 100_000 < model.num_parameters() < 1_000_000
    assert model.config.model_type == "llama" and len(tok) == model.config.vocab_size
    text = "go to countertop 1\nOn the countertop 1, you see a mug 2. caf\u00e9 {x}"
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text  # byte-level: lossless
    for role in ROLE_TOKENS:
        assert len(tok(role, add_special_tokens=False)["input_ids"]) == 1
    again = AutoModelForCausalLM.from_pretrained(build_small_model(tmp_path / "m2", size="tiny", seed=3))
    other = AutoModelForCausalLM.from_pretrained(build_small_model(tmp_path / "m3", size="tiny", seed=4))
    w = model.model.embed_tokens.weight
    assert torch.equal(w, again.model.embed_tokens.weight) and not torch.equal(w, other.model.embed_tokens.weight)


def test_shipped_tokenizer_and_retraining():
    tok = load_tokenizer()
    assert 256 < len(tok) <= 4096
    trained = train_tokenizer(["open the drawer 1", "take the mug 2 from the drawer 1"] * 20, vocab_size=300)
    assert trained.decode(trained.encode("open the drawer 1").ids) == "open the drawer 1"


def test_tokenizer_asset_regenerates_from_env_text(tmp_path):
    path = rebuild_tokenizer_asset(tmp_path / "tok.json", vocab_size=600, episodes_per_env=3,
                                   env_ids=["SPA-VirtualHome-v0"], progress=False)
    tok = load_tokenizer(path)
    assert len(tok) <= 600 and tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert len(tok.tokenize("walk to living room")) < len("walk to living room") // 2  # merges learned


def test_unknown_size(tmp_path):
    with pytest.raises(ValueError, match="unknown size"):
        build_small_model(tmp_path / "m", size="huge")


# ---------------------------------------------------------------------------------------- estimator
def test_format_uses_the_chat_template(estimator):
    fmt = estimator.format
    assert fmt.uses_chat_template
    assert fmt.step("go up", "You stand at 1.") == "<|assistant|>\ngo up<|end|>\n<|user|>\nYou stand at 1.<|end|>\n"
    assert "Task: reach 3\n" in fmt.header("reach 3", "You stand at 0.")


def test_plain_format_without_chat_template(estimator):
    tok = load_tokenizer()
    tok.chat_template = None
    est = ProgressEstimator(estimator.backbone, tok)
    assert not est.format.uses_chat_template
    ep = Episode("reach 3", "start", [Step("go up", "at 1", True)], 0.0)
    assert est.score_steps(ep).shape == (1,)


def test_batched_scoring_matches_one_by_one(estimator, episodes):
    batched = estimator.score_episodes(episodes, batch_size=4)
    for ep, scores in zip(episodes, batched):
        assert scores.shape == (len(ep),) and np.isfinite(scores).all()
        np.testing.assert_allclose(estimator.score_steps(ep), scores, atol=ATOL)


def test_empty_episode_scores_empty(estimator):
    assert estimator.score_steps(Episode("t", "o", [], 0.0)).shape == (0,)


@pytest.mark.parametrize("max_context", [None, 120, 64])
def test_incremental_equals_full_reencoding(estimator, episodes, max_context):
    # 64 and 120 tokens force the sliding window (an episode here is several hundred tokens).
    full = estimator.score_episodes(episodes, batch_size=3, max_context=max_context)
    inc = _incremental(IncrementalScorer(estimator, max_context), episodes, offsets=[0, 0, 2, 5, 1, 7])
    for f, i in zip(full, inc):
        np.testing.assert_allclose(i, f, atol=ATOL)


def test_window_rule_keeps_every_window_in_context():
    rng = np.random.default_rng(0)
    for _ in range(200):
        cap = int(rng.integers(16, 400))
        header = int(rng.integers(1, cap // 4 + 1))
        lens = rng.integers(1, cap // 4 + 1, size=int(rng.integers(1, 40))).tolist()
        starts = window_starts(header, lens, cap)
        assert starts == sorted(starts)
        for t, s in enumerate(starts):
            assert s <= t and header + sum(lens[s:t + 1]) <= cap


def test_huge_observations_never_crash(estimator):
    ep = Episode("reach 3", "word " * 5000, [Step("go up", "x " * 5000, True), Step("look", "y", True)], 1.0)
    full = estimator.score_steps(ep, max_context=128)
    inc = _incremental(IncrementalScorer(estimator, 128), [ep], [0])[0]
    assert full.shape == (2,) and np.isfinite(full).all()
    np.testing.assert_allclose(inc, full, atol=ATOL)


def test_scorer_errors_and_bookkeeping(estimator):
    scorer = IncrementalScorer(estimator)
    with pytest.raises(KeyError, match="start"):
        scorer.add_steps([("nope", "go up", "x")])
    scorer.start("a", "reach 3", "start")
    with pytest.raises(ValueError, match="twice"):
        scorer.add_steps([("a", "go up", "x"), ("a", "go up", "y")])
    assert "a" in scorer and len(scorer) == 1 and scorer.add_steps([]).shape == (0,)
    scorer.end("a")
    assert "a" not in scorer
    with pytest.raises(ValueError, match="max_context"):
        IncrementalScorer(estimator, max_context=4)


def test_save_load_round_trip(estimator, episodes, tmp_path):
    with torch.no_grad():
        estimator.head.bias.fill_(0.25)  # a head that is not the fresh init
    try:
        estimator.save(tmp_path / "est")
        loaded = ProgressEstimator.load(tmp_path / "est", device="cpu")
        assert loaded.max_context == estimator.max_context
        for a, b in zip(estimator.score_episodes(episodes), loaded.score_episodes(episodes)):
            np.testing.assert_allclose(a, b, atol=1e-6)
        assert sorted(p.name for p in (tmp_path / "est").iterdir()) == ["backbone", "estimator.json",
                                                                        "head.safetensors"]
    finally:
        with torch.no_grad():
            estimator.head.bias.zero_()


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="estimator.json"):
        ProgressEstimator.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="config.json"):
        ProgressEstimator.from_pretrained(tmp_path)
    (tmp_path / "estimator.json").write_text('{"format": "other", "version": 9}')
    with pytest.raises(ValueError, match="unsupported format"):
        ProgressEstimator.load(tmp_path)
