"""SPA-RL's text interface to VirtualHome: command templates -> script lines, and graph -> observation text.

Parsing follows the spec exactly: the text after ``Action:`` (if any), lower-cased, after the last ``:``
is matched against 42 templates; exactly one match with the right number of fields gives the script
line, otherwise a fallback splits the original-case words (so ``walk kitchen`` still works and
``walk to kitchen.`` looks for a class called ``kitchen.``).

>>> parse_command("walk to kitchen counter")
ScriptLine(action='WALK', names=('kitchen_counter',))
>>> parse_command("Action: put cup on table")
ScriptLine(action='PUTBACK', names=('cup', 'table'))
>>> parse_command("put pot on stove in kitchen")  # two templates match: the fallback keeps the words
ScriptLine(action='PUT', names=('pot_on_stove_in_kitchen',))
>>> parse_command("release")
ScriptLine(action='RELEASE', names=())
>>> str(parse_command("switch on television"))
'[SWITCHON] <television> (1)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spa_gym.envs.virtualhome.executor import ARITY, held_objects, holding, room_of
from spa_gym.envs.virtualhome.graph import EnvGraph

#: Literal answers of SPA-RL's VirtualHome env.
NOTHING_HAPPENS = "Observation: Nothing happens."
ERROR_INPUT = "Observation: Error Input. Your input must contains 'Action: '"

#: Actions SPA-RL's text interface passes to the executor (its action enum): every executor action but the
#: LOOKAT_SHORT / _MEDIUM / _LONG variants, which it comments out. Any other script line is refused.
SPA_ACTIONS = frozenset(a for a in ARITY if not a.startswith("LOOKAT_"))

#: (template, action). ``{}`` is one field; templates are matched against the whole command.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("close {}", "CLOSE"), ("drink {}", "DRINK"), ("find {}", "FIND"), ("walk to {}", "WALK"),
    ("run to {}", "RUN"), ("grab {}", "GRAB"), ("look at {}", "LOOKAT"), ("open {}", "OPEN"),
    ("point at {}", "POINTAT"), ("put {} on {}", "PUTBACK"), ("put {} in {}", "PUTIN"),
    ("put back {}", "PUTOBJBACK"), ("sit on {}", "SIT"), ("stand up", "STANDUP"), ("switch on {}", "SWITCHON"),
    ("switch off {}", "SWITCHOFF"), ("touch {}", "TOUCH"), ("turn to {}", "TURNTO"), ("watch {}", "WATCH"),
    ("wipe {}", "WIPE"), ("put on {}", "PUTON"), ("take off {}", "PUTOFF"), ("greet {}", "GREET"),
    ("drop {}", "DROP"), ("read {}", "READ"), ("lie on {}", "LIE"), ("pour {} into {}", "POUR"),
    ("type on {}", "TYPE"), ("push {}", "PUSH"), ("pull {}", "PULL"), ("move {}", "MOVE"), ("wash {}", "WASH"),
    ("rinse {}", "RINSE"), ("scrub {}", "SCRUB"), ("squeeze {}", "SQUEEZE"), ("plug in {}", "PLUGIN"),
    ("plug out {}", "PLUGOUT"), ("cut {}", "CUT"), ("eat {}", "EAT"), ("sleep", "SLEEP"), ("wake up", "WAKEUP"),
    ("release", "RELEASE"),
)
_COMPILED = tuple((re.compile("^" + re.escape(t).replace(r"\{\}", "(.+?)") + "$", re.S), t.count("{}"), a)
                  for t, a in TEMPLATES)
#: The template each action is written with (first one listed), for building commands.
COMMAND_FORMAT: dict[str, str] = {}
for _t, _a in TEMPLATES:
    COMMAND_FORMAT.setdefault(_a, _t)


@dataclass(frozen=True)
class ScriptLine:
    """One parsed command: the script action and its object names (not yet resolved to ids)."""

    action: str
    names: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join([f"[{self.action}]"] + [f"<{n}> (1)" for n in self.names])


class MissingActionPrefix(ValueError):
    """The text has no ``Action:`` (only raised when ``require_prefix=True``)."""


def extract_command(text: str, require_prefix: bool = False) -> str:
    """The command part of an agent's message: after the first ``Action:`` (one optional space skipped)."""
    i = text.find("Action:")
    if i < 0:
        if require_prefix:
            raise MissingActionPrefix("no 'Action:' in the text")
        return text
    rest = text[i + len("Action:"):]
    return rest[1:] if rest.startswith(" ") else rest


def parse_command(text: str, require_prefix: bool = False) -> ScriptLine:
    """Turn a command into a :class:`ScriptLine` by the spec's templates and fallback. Never fails
    except for a missing ``Action:`` when ``require_prefix`` is set; unknown verbs come back as such."""
    original = extract_command(text, require_prefix).strip()
    if ":" in original:
        original = original.split(":", 1)[1]
    command = original.lower().strip()
    matches = []
    for pattern, n_fields, action in _COMPILED:
        m = pattern.match(command)
        if m is not None and n_fields == ARITY[action]:
            matches.append(ScriptLine(action, tuple(f.replace(" ", "_") for f in m.groups())))
            if len(matches) > 1:
                break
    if len(matches) == 1:
        return matches[0]
    words = original.split(" ")
    head = words[0].upper()
    if len(words) == 1:
        return ScriptLine(head, ())
    if len(words) <= 3:
        return ScriptLine(head, tuple(words[1:]))
    return ScriptLine(head, ("_".join(words[1:]),))


def format_command(action: str, *names: str) -> str:
    """The command text for a script action; class names are written with spaces, as people write them.

    >>> format_command("PUTIN", "cup", "kitchen_cabinet"), format_command("STANDUP")
    ('put cup in kitchen cabinet', 'stand up')
    """
    return COMMAND_FORMAT[action].format(*(n.replace("_", " ") for n in names))


# ---------------------------------------------------------------------- observations
_HIDDEN_RELATIONS = frozenset({"CLOSE", "FACING", "INSIDE", "HOLDS_RH", "HOLDS_LH"})


def visible(g: EnvGraph, node_id: int, agent_room: int | None) -> bool:
    """Rooms, held objects, and nodes (transitively) INSIDE the agent's room not shut in a closed container."""
    if g.is_room(node_id) or holding(g, node_id):
        return True
    ins = g.targets(node_id, "INSIDE")
    for c in ins:
        if not g.is_room(c) and "OPEN" not in g.nodes[c].states:
            return False
    if agent_room is None:
        return False
    if agent_room in ins:
        return True
    return room_of(g, node_id) == agent_room


def _entry(class_name: str, states: list[str]) -> str:
    return f"{class_name} is {' and '.join(states)}" if states else class_name


def observe(g: EnvGraph) -> str:
    """The observation after a successful action (spec §5), in a deterministic order."""
    a = g.character_id
    room = room_of(g, a)
    close = [n for n in g.targets(a, "CLOSE") if visible(g, n, room)]
    classes = sorted({g.nodes[n].class_name for n in close})
    entries: set[str] = set()
    for c in classes:
        for i in g.by_class.get(c, ()):
            entries.add(_entry(c, g.nodes[i].sorted_states()))
    objs = ", ".join(sorted(e for e in entries if e))
    close_set = set(close)
    rels = set()
    for n in close:
        for rel, targets in g._out[n].items():
            if rel in _HIDDEN_RELATIONS:
                continue
            for t in targets:
                if t in close_set:
                    rels.add(f"{g.nodes[n].class_name} {rel} {g.nodes[t].class_name}")
    rel_text = ", ".join(sorted(rels))
    if objs and rel_text:
        text = objs + ", " + rel_text + ". "
    elif objs or rel_text:
        text = (objs or rel_text) + ". "
    else:
        text = ""
    held = held_objects(g)
    if held:
        text += "You have " + ", ".join(g.nodes[h].class_name for h in held) + ". "
    return "Observation: " + text


def task_observation(title: str, description: str) -> str:
    """The first observation: only the task (no space before the parenthesis, as SPA-RL writes it).

    >>> task_observation("Watch TV", "Turn on the TV and sit on the couch.")
    'The task is Watch TV(Turn on the TV and sit on the couch.).'
    """
    return f"The task is {title}({description})."
