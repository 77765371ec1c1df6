"""Prompts of the bundled agent: our own instruction, an optional one-shot example, and the history.

A prompt is a list of chat messages::

    system     the instruction (and, optionally, a one-shot example played by our expert)
    user       the first observation (it names the task), plus a note when earlier steps are cut
               (the system turn is left out with ``instruction=False``)
    assistant  reply 1          ┐
    user       observation 1    │ the last ``history_turns`` exchanges, verbatim
    ...                         ┘
    user       the newest observation (and the admissible commands, when asked for)

**Truncation policy.** The first observation is always kept, because it describes the room and the
goal; after it only the last ``history_turns`` (reply, observation) exchanges are kept and the
cut is said out loud (``(4 earlier steps are not shown.)``), so the model knows the history is
partial. Each later observation is cut to ``max_observation_chars`` characters (the first one to
``max_first_observation_chars``; the goal sentence is re-added if the cut lost it). Prompts therefore grow
to a bound instead of with the episode, which keeps generation and PPO updates cheap.

>>> cfg = PromptConfig(history_turns=1)
>>> msgs = build_messages("reach 4", "You stand at 0.", [("go up", "You stand at 1."),
...                       ("go up", "You stand at 2.")], cfg)
>>> [m["role"] for m in msgs]
['system', 'user', 'assistant', 'user']
>>> msgs[1]["content"]
'Your task is to: reach 4.\\nYou stand at 0.\\n(1 earlier step is not shown.)'
>>> print(render_plain(msgs).splitlines()[-1])
Agent:
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: The agent's instruction (our words). ``{reply_rule}`` is filled per reply style.
INSTRUCTION = (
    "You are an agent acting in a text world to finish a household or shopping task. "
    "Each turn you read what just happened and answer with a single command for the world. "
    "{reply_rule} A command the world cannot execute does nothing, so use the exact names you have seen."
)

#: The system prompt of ``style="instruct"`` (our words), for chat-tuned models such as SmolLM2-Instruct.
#: With the plain instruction they answer as an assistant ("I'm sorry, as an AI I cannot access the internet")
#: or echo the observation; they need to be told that they are playing, what a command looks like, and that
#: the reply is the command and nothing else.
INSTRUCT_INSTRUCTION = (
    "You are playing a text game: you are the player, not an assistant. Each turn you read an observation "
    "and type exactly one command for the game. Commands are short, like: go to desk 1 / open drawer 2 / "
    "take mug 1 from desk 1 / put mug 1 in/on shelf 1 / search[red running shoes] / click[buy now] / "
    "walk to kitchen / grab cup. Use the exact names the game shows. {reply_rule} Do not explain, do not "
    "apologise, do not repeat the observation."
)

REPLY_RULES = {
    "action": "Reply with the command only.",
    "thought": "Reply with one line 'Thought: <your short reasoning>' and then one line 'Action: <command>'.",
}


@dataclass(frozen=True)
class PromptConfig:
    """How the agent's prompt is built (see the module docstring for the truncation policy)."""

    reply_style: str = "action"  # "action": the reply is the command; "thought": "Thought: ...\nAction: ..."
    # "plain": our instruction and bare observations (the from-scratch model, trained on them); "instruct": a
    # system prompt for chat-tuned models, and every newest turn labelled and closed with a request for a command.
    style: str = "plain"
    history_turns: int = 3  # most recent (reply, observation) exchanges kept verbatim
    max_observation_chars: int = 400  # later observations longer than this are cut, with " ..." at the cut
    max_first_observation_chars: int = 1500  # the first one (room and goal) gets a larger budget
    show_admissible: bool = False  # list the admissible commands under the newest observation
    one_shot: str = ""  # an example episode (see one_shot_example) appended to the instruction
    instruction: bool = True  # False drops the system turn (a model trained from scratch gains nothing from it)
    # Replies -> commands: with a value in (0, 100], a command that is not admissible is replaced by the most
    # similar admissible one when they are at least this alike (rapidfuzz ratio); 0 sends replies as written.
    snap_to_admissible: float = 0.0

    def __post_init__(self) -> None:
        if self.reply_style not in REPLY_RULES:
            raise ValueError(f"reply_style must be one of {sorted(REPLY_RULES)}, got {self.reply_style!r}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {sorted(STYLES)}, got {self.style!r}")
        if self.history_turns < 0 or min(self.max_observation_chars, self.max_first_observation_chars) < 20:
            raise ValueError("history_turns must be >= 0 and the observation limits >= 20 characters")


#: Prompt styles (:attr:`PromptConfig.style`).
STYLES = ("plain", "instruct")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 4].rstrip() + " ..."


def build_messages(task: str, first_observation: str, history: Sequence[tuple[str, str]],
                   config: PromptConfig = PromptConfig(),
                   admissible: Sequence[str] | None = None) -> list[dict[str, str]]:
    """The chat messages asking for the next reply.

    Args:
        task: the goal sentence (``info["task"]``); added to the first observation unless it is already there.
        first_observation: what ``reset`` returned.
        history: ``(reply, observation)`` for each step so far, oldest first.
        config: the prompt options.
        admissible: the admissible commands, shown only with ``config.show_admissible``.
    """
    instruct = config.style == "instruct"
    system = (INSTRUCT_INSTRUCTION if instruct else INSTRUCTION).format(reply_rule=REPLY_RULES[config.reply_style])
    if config.one_shot and not instruct:
        system += "\n\nHere is an example of a finished task.\n" + config.one_shot
    first = _cut(first_observation.strip(), config.max_first_observation_chars)
    # Checked after the cut: the goal must survive it.
    if task and task.rstrip(".") not in first:
        first = f"Your task is to: {task.rstrip('.')}.\n{first}"
    kept = list(history[len(history) - config.history_turns:]) if config.history_turns else []
    omitted = len(history) - len(kept)
    if omitted:
        first += f"\n({omitted} earlier step{'s are' if omitted > 1 else ' is'} not shown.)"
    # An instruct model always gets its system turn: without it the chat template adds its own assistant persona.
    messages = [{"role": "system", "content": system}] if config.instruction or config.one_shot or instruct else []
    if instruct and config.one_shot:
        # A chat model copies the form of earlier turns best: the example is played as real turns.
        messages += _example_turns(config.one_shot, config)
        first = "(The example game is over. A new game starts.)\n" + first
    messages.append({"role": "user", "content": ("Observation: " if instruct else "") + first})
    for reply, observation in kept:
        messages.append({"role": "assistant", "content": reply})
        observation = _cut(observation.strip(), config.max_observation_chars)
        messages.append({"role": "user", "content": ("Observation: " if instruct else "") + observation})
    if config.show_admissible and admissible:
        sep = "\n- " if instruct else ", "
        messages[-1]["content"] += ("\nCommands you can use:" + sep if instruct else "\nAdmissible commands: ") \
            + sep.join(admissible)
    if instruct:
        # The goal again right before the reply (the first turn may be far up), and the request for one command.
        goal = f"Your task is to: {task.rstrip('.')}.\n" if task and kept else ""
        messages[-1]["content"] += f"\n\n{goal}Your next command:"
    return messages


def _example_turns(transcript: str, config: PromptConfig) -> list[dict[str, str]]:
    """A :func:`one_shot_example` transcript as user (observation) / assistant (command) turns.

    >>> [m["content"] for m in _example_turns("You stand at 0.\\n> go up\\nYou stand at 1.", PromptConfig())]
    ['Observation: You stand at 0.\\n\\nYour next command:', 'go up']
    """
    turns: list[dict[str, str]] = []
    observation: list[str] = []
    for line in transcript.splitlines():
        if line.startswith("> "):
            limit = config.max_observation_chars if turns else config.max_first_observation_chars
            text = _cut("\n".join(observation).strip(), limit)
            turns += [{"role": "user", "content": f"Observation: {text}\n\nYour next command:"},
                      {"role": "assistant", "content": line[2:].strip()}]
            observation = []
        else:
            observation.append(line)
    return turns  # the last observation (the win) is left out: the real game's first turn follows


_PLAIN_ROLES = {"system": "Instructions", "user": "World", "assistant": "Agent"}


def render_plain(messages: Sequence[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """A plain-text rendering for tokenizers without a chat template."""
    text = "".join(f"{_PLAIN_ROLES[m['role']]}:\n{m['content']}\n\n" for m in messages)
    return text + ("Agent:\n" if add_generation_prompt else "")


def render_prompt(tokenizer: Any, messages: Sequence[dict[str, str]]) -> str:
    """The prompt text the model continues: the tokenizer's chat template, or :func:`render_plain`."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
    return render_plain(messages)


def render_target(tokenizer: Any, messages: Sequence[dict[str, str]], reply: str) -> str:
    """The text that follows :func:`render_prompt` when the agent answers ``reply`` (end-of-turn included
    where the chat template adds one): the supervised target of SFT."""
    if getattr(tokenizer, "chat_template", None):
        prompt = render_prompt(tokenizer, messages)
        full = tokenizer.apply_chat_template(list(messages) + [{"role": "assistant", "content": reply}],
                                             tokenize=False)
        if full.startswith(prompt):
            return full[len(prompt):]
    return reply


def one_shot_example(env: Any, task_id: int = 0, split: str = "train", seed: int = 0,
                     max_steps: int = 60) -> str:
    """A transcript of our own expert solving one task (the env must be made with ``expert=True``).

    >>> from spa_gym.progress.toy import CountingEnv
    >>> print(one_shot_example(CountingEnv(expert=True), task_id=0).splitlines()[1])
    > go up
    """
    obs, info = env.reset(seed=seed, options={"split": split, "task_id": task_id})
    if "expert_action" not in info:
        raise ValueError("one_shot_example needs an env made with expert=True")
    lines = [obs.strip()]
    for _ in range(max_steps):
        action = info.get("expert_action")
        if action is None:
            break
        obs, _, terminated, truncated, info = env.step(action)
        lines += [f"> {action}", obs.strip()]
        if terminated or truncated:
            break
    return "\n".join(lines)


__all__ = ["INSTRUCTION", "INSTRUCT_INSTRUCTION", "STYLES", "PromptConfig", "build_messages", "one_shot_example", "render_plain",
           "render_prompt", "render_target"]
