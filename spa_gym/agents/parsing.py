"""Turn a model's reply into the command sent to the environment.

The rule is deliberately forgiving and never fails: the command is the text after the first
``Action:`` (any case), cut at the end of its line; without an ``Action:`` marker it is the first
non-empty line of the reply (a ``Thought:`` line alone gives an empty command). Chat models dress a
command up as a list item or a quotation; a leading bullet (``-``, ``*``) and quotes or backticks around the
whole command are taken off. Whatever comes out
is sent to the env as is — an unparsable reply is not "fixed" here, it gets the env's own answer
(``Nothing happens.``), which is exactly the grounding signal SPA rewards.

>>> parse_action("Thought: the apple may be in the fridge.\\nAction: go to fridge 1")
'go to fridge 1'
>>> parse_action("  open drawer 2  \\n")
'open drawer 2'
>>> parse_action("action: take mug 1 from desk 1. Then heat it.")
'take mug 1 from desk 1. Then heat it.'
>>> parse_action('- "go to desk 1"')
'go to desk 1'
>>> parse_action("")
''
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_ACTION = re.compile(r"action\s*:", re.IGNORECASE)
_THOUGHT = re.compile(r"^\s*thought\s*:", re.IGNORECASE)
_BULLET = re.compile(r"^[-*\u2022]\s+")
_QUOTES = ('"', "'", "`")


def _undress(command: str) -> str:
    command = _BULLET.sub("", command).strip()
    while len(command) >= 2 and command[0] in _QUOTES and command[-1] == command[0]:
        command = command[1:-1].strip()
    return command


def parse_action(reply: str) -> str:
    """The command in ``reply`` (see the module docstring for the rule). Never raises."""
    if not isinstance(reply, str):
        reply = str(reply)
    match = _ACTION.search(reply)
    if match:
        rest = reply[match.end():].strip()
        return _undress(rest.splitlines()[0].strip()) if rest else ""
    for line in reply.splitlines():
        if line.strip():
            # A reply that only thinks has no command; sending the thought would only pollute the env log.
            return "" if _THOUGHT.match(line) else _undress(line.strip())
    return ""


def snap_to_admissible(command: str, admissible: Sequence[str] | None, min_similarity: float) -> str:
    """The admissible command closest to ``command`` when it is at least ``min_similarity`` (0-100) alike.

    An opt-in bridge for small models that write almost-right commands: a command that is already
    admissible, or that no admissible command resembles enough (e.g. WebShop's free-text ``search[...]``,
    which is never listed), is returned unchanged. ``min_similarity <= 0`` turns snapping off.

    >>> snap_to_admissible("go to countertop 11", ["go to countertop 1", "go to fridge 1", "look"], 80)
    'go to countertop 1'
    >>> snap_to_admissible("search[red shoes]", ["click[back to search]"], 80)
    'search[red shoes]'
    >>> snap_to_admissible("click[B0OAN5KMAX]", ["click[back to search]", "click[b0oan5kmae]"], 80)
    'click[b0oan5kmae]'
    >>> snap_to_admissible("go to fridge 2", ["go to fridge 1"], 0)
    'go to fridge 2'
    """
    if min_similarity <= 0 or not admissible or command in admissible:
        return command
    from rapidfuzz import fuzz, process

    # Case-blind: WebShop lists its commands in lower case ("click[buy now]", "click[b0oan5kmae]") while its
    # expert, and so a model trained on it, writes "click[Buy Now]" and upper-case item ids.
    best = process.extractOne(command, list(admissible), scorer=fuzz.ratio, processor=str.lower,
                              score_cutoff=min_similarity)
    return best[0] if best else command


def format_reply(action: str, thought: str | None = None) -> str:
    """The reply the agent is trained to write: ``Thought: ...\\nAction: ...`` or the bare action.

    >>> format_reply("go to sinkbasin 1", thought="I need to clean the mug.")
    'Thought: I need to clean the mug.\\nAction: go to sinkbasin 1'
    >>> parse_action(format_reply("look"))
    'look'
    """
    if thought is None:
        return action
    return f"Thought: {thought}\nAction: {action}"


def expert_reply(action: str, reply_style: str = "action") -> str:
    """The reply an agent learns for an expert's ``action`` (the SFT target): the bare command for
    ``reply_style="action"``, else ``Action: ...`` (the expert has no thought to write).

    >>> expert_reply("look"), expert_reply("look", "thought")
    ('look', 'Action: look')
    """
    return format_reply(action) if reply_style == "action" else f"Action: {action}"


__all__ = ["expert_reply", "format_reply", "parse_action", "snap_to_admissible"]
