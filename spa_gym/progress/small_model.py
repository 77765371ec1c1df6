"""The small default backbone: a Llama-architecture causal LM of a few million parameters, random init,
with a byte-level BPE tokenizer trained on the environments' own text.

It is saved as an ordinary Hugging Face model folder (``config.json``, ``model.safetensors``,
``tokenizer.json``, ``tokenizer_config.json``), so the estimator and the agent load it with
``AutoModelForCausalLM`` / ``AutoTokenizer`` through exactly the code path a real model takes.

The tokenizer ships in the package (``assets/tokenizer.json``); :func:`rebuild_tokenizer_asset`
regenerates it from expert and random rollouts of the registered environments::

    python -m spa_gym.progress --rebuild-tokenizer

>>> import tempfile
>>> from transformers import AutoModelForCausalLM, AutoTokenizer
>>> d = build_small_model(tempfile.mkdtemp(), size="tiny", seed=0)
>>> tok = AutoTokenizer.from_pretrained(d)
>>> model = AutoModelForCausalLM.from_pretrained(d)
>>> 100_000 < model.num_parameters() < 1_000_000
True
>>> tok.apply_chat_template([{"role": "user", "content": "go to desk 1"}], tokenize=False)
'<|bos|><|user|>\\ngo to desk 1<|end|>\\n'
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spa_gym.core.files import atomic_folder, atomic_path, default_cache_dir
from spa_gym.core.hf_quiet import quiet_transformers

ASSETS = Path(__file__).parent / "assets"
#: The shipped BPE tokenizer (Hugging Face ``tokenizers`` JSON).
TOKENIZER_ASSET = ASSETS / "tokenizer.json"

SPECIAL_TOKENS = {"pad_token": "<|pad|>", "bos_token": "<|bos|>", "eos_token": "<|eos|>",
                  "unk_token": "<|unk|>"}
#: Turn markers of our chat template; each is one token.
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>")

# Our chat template: `<|bos|>` once, then `<|role|>\ncontent<|end|>\n` per message. Each rendered turn is
# a prefix-stable piece, which the estimator relies on for incremental scoring.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

#: Model sizes. "tiny" is for tests (~0.3M parameters), "small" the offline demo default (~4M).
SIZES: dict[str, dict[str, int]] = {
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=4),
    "small": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=4),
}
#: Context length of the small models (RoPE, so longer works but was never trained).
MAX_POSITIONS = 2048


# ---------------------------------------------------------------------------------------- tokenizer
def train_tokenizer(texts: Iterable[str], vocab_size: int = 3000) -> Any:
    """Train a byte-level BPE ``tokenizers.Tokenizer`` on ``texts`` (any string encodes: no unknowns)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = list(SPECIAL_TOKENS.values()) + list(ROLE_TOKENS)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def load_tokenizer(path: str | os.PathLike = TOKENIZER_ASSET) -> Any:
    """The shipped tokenizer as a ``PreTrainedTokenizerFast`` with our special tokens and chat template."""
    from transformers import PreTrainedTokenizerFast

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"tokenizer file not found: {path} (rebuild it: "
                                "python -m spa_gym.progress --rebuild-tokenizer)")
    tok = PreTrainedTokenizerFast(tokenizer_file=str(path), **SPECIAL_TOKENS,
                                  additional_special_tokens=list(ROLE_TOKENS))
    tok.chat_template = CHAT_TEMPLATE
    tok.model_max_length = MAX_POSITIONS
    return tok


def env_text_corpus(episodes_per_env: int = 30, seed: int = 0, env_ids: Iterable[str] | None = None,
                    progress: bool = True) -> Iterator[str]:
    """Text of expert and random rollouts of every registered env that can be made (others are skipped).

    Yields tasks, observations, actions and admissible commands: the vocabulary the models will see.
    """
    import gymnasium as gym

    import spa_gym
    from spa_gym.progress.episodes import NoisyExpertPolicy, RandomPolicy, collect_episodes
    from spa_gym.progress.toy import CountingEnv

    yield from (ESTIMATOR_SYSTEM_PROMPT, "Task: ", "Progress so far:")
    envs: list[tuple[str, Any]] = [("toy", CountingEnv(expert=True))]
    for env_id in env_ids if env_ids is not None else spa_gym.ENV_IDS:
        try:
            envs.append((env_id, gym.make(env_id, expert=True)))
        except Exception as err:  # an env family still being written must not stop the others
            print(f"skipping {env_id}: {type(err).__name__}: {err}")
    for name, env in envs:
        for policy in (NoisyExpertPolicy(0.0), NoisyExpertPolicy(0.5), RandomPolicy(invalid_prob=0.05)):
            for ep in collect_episodes(env, policy, episodes_per_env, seed, progress=progress):
                yield ep.task
                yield ep.observation
                for step in ep.steps:
                    yield step.action
                    yield step.observation
        # Admissible commands of a fresh episode, so every verb the env knows is in the corpus.
        _, info = env.reset(seed=seed)
        yield "\n".join(info.get("admissible_commands", []))


def rebuild_tokenizer_asset(path: str | os.PathLike = TOKENIZER_ASSET, vocab_size: int = 3000,
                            episodes_per_env: int = 30, seed: int = 0, env_ids: Iterable[str] | None = None,
                            progress: bool = True) -> Path:
    """Retrain the shipped tokenizer from the registered environments' text (or ``env_ids``) into ``path``."""
    tok = train_tokenizer(env_text_corpus(episodes_per_env, seed, env_ids, progress), vocab_size=vocab_size)
    with atomic_path(path) as tmp:
        tok.save(str(tmp))
    return Path(path)


#: The system turn the estimator puts before every trajectory (see ``estimator.py``).
ESTIMATOR_SYSTEM_PROMPT = ("You judge an agent acting in a text world. After each step, rate how much "
                           "that step moved the agent toward finishing its task.")


# ---------------------------------------------------------------------------------------- model
def small_model_config(size: str = "small", vocab_size: int | None = None) -> Any:
    """The ``LlamaConfig`` of a small model (``size`` in :data:`SIZES`)."""
    from transformers import LlamaConfig

    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    tok = load_tokenizer()
    return LlamaConfig(vocab_size=vocab_size or len(tok), max_position_embeddings=MAX_POSITIONS,
                       tie_word_embeddings=True, rms_norm_eps=1e-5, rope_theta=10000.0,
                       pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                       eos_token_id=tok.eos_token_id, **SIZES[size])


def build_small_model(out_dir: str | os.PathLike, *, size: str = "tiny", seed: int = 0) -> Path:
    """Write a randomly initialised small causal LM (seeded) and its tokenizer to ``out_dir``.

    The folder is complete once this returns: it is written next to ``out_dir`` and renamed into
    place, so an interrupted build never leaves a half-written model behind.
    """
    import torch
    from transformers import LlamaForCausalLM

    config = small_model_config(size)
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as staging:
        # torch's global RNG is what HF init uses; fork it so the caller's stream is untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = LlamaForCausalLM(config)
        with quiet_transformers():
            model.save_pretrained(staging, safe_serialization=True)
            load_tokenizer().save_pretrained(staging)
    return out_dir


def cached_small_model(size: str = "small", seed: int = 0, cache_dir: str | os.PathLike | None = None) -> Path:
    """Path of the small model ``(size, seed)``, building it once into the cache.

    The cache key includes a hash of the shipped tokenizer, so rebuilding the tokenizer rebuilds models.
    """
    import hashlib

    digest = hashlib.blake2b(TOKENIZER_ASSET.read_bytes(), digest_size=4).hexdigest()
    path = Path(cache_dir or default_cache_dir()) / f"small-model-{size}-seed{seed}-{digest}"
    if not (path / "config.json").is_file():
        build_small_model(path, size=size, seed=seed)
    return path


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m spa_gym.progress", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild-tokenizer", action="store_true", help="retrain assets/tokenizer.json")
    parser.add_argument("--vocab-size", type=int, default=3000)
    parser.add_argument("--episodes-per-env", type=int, default=30)
    parser.add_argument("--build", metavar="DIR", help="write a small model folder to DIR")
    parser.add_argument("--size", default="small", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.rebuild_tokenizer:
        path = rebuild_tokenizer_asset(vocab_size=args.vocab_size, episodes_per_env=args.episodes_per_env,
                                       seed=args.seed)
        print(f"wrote {path} ({len(load_tokenizer(path))} tokens)")
    if args.build:
        print(f"wrote {build_small_model(args.build, size=args.size, seed=args.seed)}")


if __name__ == "__main__":
    _main()
