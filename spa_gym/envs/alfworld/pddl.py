"""A small, fast reader for ALFWorld PDDL problems (the ``pddl_problem`` of a ``game.tw-pddl`` file).

Only what ALFWorld problems use is supported: typed ``:objects``, ground ``:init`` atoms and a
``:goal`` built from ``and``/``or``/``not``/``exists``/``forall``/``=`` and atoms. Like Fast Downward,
which the original engine runs, every name is lower-cased.

>>> p = parse_problem('''(define (problem demo) (:domain alfred)
...   (:objects agent1 - agent Apple_bar_01 - object loc_bar_1 - location)
...   (:init (atLocation agent1 loc_bar_1))
...   (:goal (exists (?o - object) (holds agent1 ?o))))''')
>>> p.name, p.objects["apple_bar_01"], p.init[0]
('demo', 'object', ('atlocation', 'agent1', 'loc_bar_1'))
>>> p.goal
('exists', (('?o', 'object'),), ('holds', 'agent1', '?o'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_COMMENT = re.compile(r";[^\n]*")

#: Predicates of ALFWorld's domain (lower-case) with their arity; anything else in a problem is an error.
PREDICATES: dict[str, int] = {
    "atlocation": 2, "receptacleatlocation": 2, "objectatlocation": 2, "openable": 1, "opened": 1,
    "inreceptacle": 2, "isreceptacleobject": 1, "inreceptacleobject": 2, "isreceptacleobjectfull": 1,
    "wasinreceptacle": 2, "checked": 1, "examined": 1, "receptacletype": 2, "cancontain": 2,
    "objecttype": 2, "holds": 2, "holdsany": 1, "holdsanyreceptacleobject": 1, "full": 1, "isclean": 1,
    "cleanable": 1, "ishot": 1, "heatable": 1, "iscool": 1, "coolable": 1, "pickupable": 1, "moveable": 1,
    "toggleable": 1, "ison": 1, "istoggled": 1, "sliceable": 1, "issliced": 1,
}
TYPES = ("agent", "location", "receptacle", "object", "rtype", "otype")

Atom = tuple  # ("pred", "arg1", ...)


@dataclass(frozen=True)
class Problem:
    """A parsed PDDL problem. ``goal`` is a nested tuple formula (see :func:`parse_problem`)."""

    name: str
    objects: dict[str, str]  # id -> type
    init: tuple[Atom, ...]
    goal: tuple


def _tree(text: str, where: str) -> list:
    tokens = _TOKEN.findall(_COMMENT.sub("", text).lower())
    if not tokens:
        raise ValueError(f"{where}: empty PDDL problem")
    stack: list[list] = [[]]
    for tok in tokens:
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise ValueError(f"{where}: unbalanced ')' in PDDL problem")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise ValueError(f"{where}: unbalanced '(' in PDDL problem ({len(stack) - 1} left open)")
    if len(stack[0]) != 1 or not isinstance(stack[0][0], list):
        raise ValueError(f"{where}: expected exactly one (define ...) form")
    return stack[0][0]


def _typed_list(items: list, where: str, what: str) -> list[tuple[str, str]]:
    """``a b - t c - u`` -> [(a, t), (b, t), (c, u)]."""
    out: list[tuple[str, str]] = []
    pending: list[str] = []
    i = 0
    while i < len(items):
        tok = items[i]
        if not isinstance(tok, str):
            raise ValueError(f"{where}: unexpected list in {what}")
        if tok == "-":
            if i + 1 >= len(items) or not isinstance(items[i + 1], str):
                raise ValueError(f"{where}: '-' without a type in {what}")
            out.extend((name, items[i + 1]) for name in pending)
            pending = []
            i += 2
            continue
        pending.append(tok.rstrip(","))
        i += 1
    if pending:
        raise ValueError(f"{where}: {what} without a type: {' '.join(pending)}")
    return out


def _formula(node, where: str, objects: dict[str, str], variables: frozenset[str]) -> tuple:
    if not isinstance(node, list) or not node:
        raise ValueError(f"{where}: malformed goal formula {node!r}")
    head = node[0]
    if head == "and" or head == "or":
        return (head, *(_formula(n, where, objects, variables) for n in node[1:]))
    if head == "not":
        if len(node) != 2:
            raise ValueError(f"{where}: 'not' takes one formula")
        return ("not", _formula(node[1], where, objects, variables))
    if head in ("exists", "forall"):
        if len(node) != 3 or not isinstance(node[1], list):
            raise ValueError(f"{where}: malformed {head}")
        params = tuple(_typed_list(node[1], where, f"{head} parameters"))
        for name, type_ in params:
            if not name.startswith("?") or type_ not in TYPES:
                raise ValueError(f"{where}: bad {head} parameter {name} - {type_}")
        inner = variables | {name for name, _ in params}
        return (head, params, _formula(node[2], where, objects, inner))
    if head == "=":
        if len(node) != 3:
            raise ValueError(f"{where}: '=' takes two terms")
    elif head not in PREDICATES:
        raise ValueError(f"{where}: unsupported predicate or connective {head!r} in goal")
    elif len(node) - 1 != PREDICATES[head]:
        raise ValueError(f"{where}: {head} takes {PREDICATES[head]} arguments in goal")
    for arg in node[1:]:
        if not isinstance(arg, str):
            raise ValueError(f"{where}: nested term in goal atom {head}")
        if arg.startswith("?") and arg not in variables:
            raise ValueError(f"{where}: unbound variable {arg} in goal")
        if not arg.startswith("?") and arg not in objects:
            raise ValueError(f"{where}: unknown object {arg!r} in goal")
    return tuple(node)


def parse_problem(text: str, where: str = "PDDL problem") -> Problem:
    """Parse a PDDL problem; raise ``ValueError`` naming ``where`` and the problem when it is malformed."""
    if not isinstance(text, str):
        raise ValueError(f"{where}: PDDL problem must be a string, got {type(text).__name__}")
    tree = _tree(text, where)
    if not tree or tree[0] != "define":
        raise ValueError(f"{where}: PDDL problem must start with (define ...)")
    name = ""
    objects: dict[str, str] = {}
    init: list[Atom] = []
    goal_node = None
    for part in tree[1:]:
        if not isinstance(part, list) or not part:
            raise ValueError(f"{where}: unexpected token {part!r} in define")
        key = part[0]
        if key == "problem":
            name = part[1] if len(part) > 1 else ""
        elif key == ":domain":
            pass
        elif key == ":objects":
            for obj, type_ in _typed_list(part[1:], where, ":objects"):
                if type_ not in TYPES:
                    raise ValueError(f"{where}: unsupported type {type_!r} for object {obj}")
                objects[obj] = type_
        elif key == ":init":
            for atom in part[1:]:
                if not isinstance(atom, list) or not atom or any(not isinstance(a, str) for a in atom):
                    raise ValueError(f"{where}: malformed init fact {atom!r}")
                pred = atom[0]
                if pred == "=" or (pred in ("distance", "total-cost")):
                    continue
                if pred not in PREDICATES:
                    raise ValueError(f"{where}: unsupported predicate {pred!r} in :init")
                if len(atom) - 1 != PREDICATES[pred]:
                    raise ValueError(f"{where}: {pred} takes {PREDICATES[pred]} arguments, got {atom[1:]}")
                init.append(tuple(atom))
        elif key == ":goal":
            if len(part) != 2:
                raise ValueError(f"{where}: :goal must hold one formula")
            goal_node = part[1]
        elif key in (":metric", ":requirements"):
            pass
        else:
            raise ValueError(f"{where}: unsupported PDDL section {key!r}")
    if goal_node is None:
        raise ValueError(f"{where}: PDDL problem has no :goal")
    for atom in init:
        for arg in atom[1:]:
            if arg not in objects:
                raise ValueError(f"{where}: init fact {'(' + ' '.join(atom) + ')'} names undeclared object {arg!r}")
    return Problem(name, objects, tuple(init), _formula(goal_node, where, objects, frozenset()))
