"""The cache keyword reaches transformers under the name the installed version takes, through peft too."""

from __future__ import annotations

import warnings

import pytest
import torch

from spa_gym.core.lm_cache import cache_argument, cache_kwargs, output_cache

transformers = pytest.importorskip("transformers")


def _tiny_llama():
    config = transformers.LlamaConfig(vocab_size=40, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=2)
    torch.manual_seed(0)
    return transformers.LlamaForCausalLM(config).eval()


def _expected() -> str:
    import inspect

    return "cache" if "cache" in inspect.signature(transformers.LlamaModel.forward).parameters else "past_key_values"


def _two_steps(model) -> torch.Tensor:
    ids = torch.tensor([[1, 2, 3, 4]])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*past_key_values.*")
        first = model(input_ids=ids[:, :3], use_cache=True, **cache_kwargs(model, None))
        second = model(input_ids=ids[:, 3:], use_cache=True, **cache_kwargs(model, output_cache(first)))
    return second.logits[0, -1]


def test_plain_model_takes_the_current_name_and_the_cache_is_used():
    model = _tiny_llama()
    assert cache_argument(model) == cache_argument(model.model) == _expected()
    with torch.no_grad():
        full = model(input_ids=torch.tensor([[1, 2, 3, 4]])).logits[0, -1]
        torch.testing.assert_close(_two_steps(model), full)


def test_peft_wrapper_passes_the_inner_models_name():
    peft = pytest.importorskip("peft")
    wrapped = peft.get_peft_model(_tiny_llama(), peft.LoraConfig(r=2, target_modules=["q_proj"]))
    assert cache_argument(wrapped) == cache_argument(wrapped.base_model) == _expected()
    with torch.no_grad():
        _two_steps(wrapped)  # no deprecation warning on the way in


def test_old_style_and_unknown_forward():
    class OldModel(torch.nn.Module):
        def forward(self, input_ids=None, past_key_values=None, use_cache=None):
            return input_ids

    class Opaque(torch.nn.Module):
        def forward(self, *args, **kwargs):
            return None

    assert cache_kwargs(OldModel(), "c") == {"past_key_values": "c"}
    assert cache_argument(Opaque()) == "past_key_values"  # 4.x's name: nothing says otherwise
