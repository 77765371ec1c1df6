"""VirtualHome's evolving-graph executor: preconditions and effects of every script action.

Each action has a ``check`` (returns an error message, or None when the action may run) and an ``apply``
(mutates the graph; only called after ``check`` passed), so a failed action never changes anything and
admissibility can be tested without copying the graph. Semantics follow VirtualHome HEAD, bugs included:
the posture is read on the episode's start graph (pass ``start_states``), FIND on something not close,
PUTOFF, LOOKAT_SHORT and LOOKAT_LONG raise :class:`ExecutorCrash`, PUTOBJBACK with a grab record never
fails, GRAB reads the grab record, walking to the agent or to worn clothes adds a CLOSE self-loop, and held
objects are filed in the room the agent left. ``strict=True`` keeps sane semantics for all of these (the
current posture, FIND walks, taking clothes off works, held objects follow the agent, standing up frees
the seat, ...).

>>> from spa_gym.envs.virtualhome.graph import EnvGraph, Node
>>> g = EnvGraph()
>>> for n in (Node(1, "kitchen", "Rooms"), Node(2, "character", "Characters"),
...           Node(3, "fridge", "Appliances", frozenset({"CAN_OPEN", "HAS_SWITCH"}), {"CLOSED", "ON"})):
...     g.add_node(n)
>>> g.add_edge(2, "INSIDE", 1); g.add_edge(3, "INSIDE", 1)
>>> execute(g, "OPEN", [3], {})
'fridge is not close to the agent'
>>> execute(g, "WALK", [3], {}) is None and close_to(g, 3)
True
>>> execute(g, "OPEN", [3], {}), g.nodes[3].sorted_states()
('fridge is ON', ['CLOSED', 'ON'])
"""

from __future__ import annotations

from typing import Callable

from spa_gym.envs.virtualhome.graph import EnvGraph

#: Grab records for PUTOBJBACK: object id -> (node it came from, relation it had).
GrabRecords = dict[int, tuple[int, str]]

#: How many agents may sit on / lie on one node (default 1).
SIT_CAPACITY = {"couch": 4, "bed": 4, "sofa": 4, "loveseat": 2, "pianobench": 2, "bench": 2}
LIE_CAPACITY = {"bed": 3, "couch": 2, "bathtub": 2, "loveseat": 2, "sofa": 2}
SQUEEZABLE = frozenset({"cleaning_solution", "tooth_paste", "shampoo", "food_peanut_butter", "dish_soap", "soap",
                        "towel", "rag", "paper", "sponge", "food_lemon", "check"})
HOLDS = ("HOLDS_RH", "HOLDS_LH")

#: Number of arguments of every action (LOOKAT has three aliases).
ARITY: dict[str, int] = {
    **{a: 1 for a in ("WALK", "RUN", "FIND", "GRAB", "OPEN", "CLOSE", "PUTOBJBACK", "SIT", "SWITCHON", "SWITCHOFF",
                      "TOUCH", "TURNTO", "WATCH", "WIPE", "PUTON", "PUTOFF", "GREET", "DROP", "READ", "LIE",
                      "TYPE", "PUSH", "PULL", "MOVE", "WASH", "RINSE", "SCRUB", "SQUEEZE", "PLUGIN", "PLUGOUT",
                      "CUT", "EAT", "RELEASE", "LOOKAT", "LOOKAT_SHORT", "LOOKAT_MEDIUM", "LOOKAT_LONG",
                      "POINTAT", "DRINK")},
    "STANDUP": 0, "SLEEP": 0, "WAKEUP": 0, "PUTBACK": 2, "PUTIN": 2, "POUR": 2,
}


class ExecutorCrash(RuntimeError):
    """A script line on which VirtualHome HEAD raises instead of answering; ``spa`` mode reproduces it (SPA-RL's
    text env catches the exception and answers its Error Input literal)."""


class PutOffCrash(ExecutorCrash):
    """VirtualHome HEAD crashes on PUTOFF (an internal call misses an argument)."""


#: LOOKAT variants HEAD declares but gives no executor (LOOKAT_MEDIUM is an alias of LOOKAT and works).
UNEXECUTABLE = frozenset({"LOOKAT_SHORT", "LOOKAT_LONG"})


# ---------------------------------------------------------------------- derived predicates
def close_to(g: EnvGraph, x: int) -> bool:
    """The executor's permissive closeness: CLOSE, CLOSE to something CLOSE, or ON something CLOSE."""
    near = g.targets(g.character_id, "CLOSE")
    if not near:
        return False
    if x in near:
        return True
    return not near.isdisjoint(g.sources(x, "CLOSE")) or not near.isdisjoint(g.targets(x, "ON"))


def faces(g: EnvGraph, x: int) -> bool:
    facing = g.targets(g.character_id, "FACING")
    return x in facing or any(x in g.targets(y, "FACING") for y in facing)


def room_of(g: EnvGraph, x: int) -> int | None:
    """x itself if a room, else the room among its INSIDE targets, else up the INSIDE chain."""
    if g.is_room(x):
        return x
    seen = {x}
    frontier = [x]
    while frontier:
        nxt = []
        for n in frontier:
            ins = g.targets(n, "INSIDE")
            for t in sorted(ins):
                if g.is_room(t):
                    return t
            nxt.extend(t for t in sorted(ins) if t not in seen)
            seen.update(ins)
        frontier = nxt
    return None


def inside_closed(g: EnvGraph, x: int) -> bool:
    return any(not g.is_room(c) and "CLOSED" in g.nodes[c].states for c in g.targets(x, "INSIDE"))


def free_hand(g: EnvGraph) -> str | None:
    for hand in HOLDS:
        if not g.targets(g.character_id, hand):
            return hand
    return None


def holding(g: EnvGraph, x: int) -> bool:
    a = g.character_id
    return x in g.targets(a, "HOLDS_RH") or x in g.targets(a, "HOLDS_LH")


def held_objects(g: EnvGraph) -> list[int]:
    """Held ids, right hand first."""
    a = g.character_id
    return sorted(g.targets(a, "HOLDS_RH")) + sorted(g.targets(a, "HOLDS_LH"))


def _props(g: EnvGraph, x: int) -> frozenset[str]:
    return g.nodes[x].properties


def _name(g: EnvGraph, x: int) -> str:
    return g.nodes[x].class_name


def agent_posture(g: EnvGraph) -> set[str]:
    """The agent's SITTING / LYING states (empty when standing)."""
    return g.nodes[g.character_id].states & {"SITTING", "LYING"}


def checked_posture(g: EnvGraph, strict: bool = False, start_states: frozenset[str] | None = None) -> set[str]:
    """The agent's posture as the executor's checks see it.

    HEAD reads the character node from the graph the episode *started* with (its state object keeps
    changes apart from an unchanged base graph, and the character lookup goes to the base), so in the default
    mode the checks see the starting posture: after sitting down the agent can still walk, and standing up,
    sleeping and waking up fail. ``start_states`` are the character's states on that start graph (None: this
    graph is the start graph). ``strict`` sees the current posture.
    """
    states = g.nodes[g.character_id].states if strict or start_states is None else start_states
    return set(states) & {"SITTING", "LYING"}


# ---------------------------------------------------------------------- actions
def _check_walk(g: EnvGraph, x: int, posture: set[str]) -> str | None:
    if posture:
        return "the agent is sitting or lying"
    if room_of(g, x) is None:
        return f"{_name(g, x)} is in no room"
    return None


def _apply_walk(g: EnvGraph, x: int, strict: bool) -> None:
    a = g.character_id
    previous_room = room_of(g, a)
    new_room = room_of(g, x)
    g.remove_edges_of(a, ("INSIDE", "CLOSE", "FACING"))
    g.add_edge(a, "INSIDE", new_room)
    if not g.is_room(x):
        near = {x}
        near.update(c for c in g.targets(x, "INSIDE") if not g.is_room(c))
        near.update(i for i, n in g.nodes.items() if "BODY_PART" in n.properties)
        if "CAN_OPEN" in _props(g, x):
            near.update(g.sources(x, "INSIDE"))
        near.update(g.targets(x, "ON"))
        if strict:  # HEAD adds agent CLOSE agent when X is the agent or is ON it (worn clothes)
            near.discard(a)
        for n in sorted(near):
            g.add_close(a, n)
    # Held objects come along; the original files them INSIDE the room the agent just left.
    target_room = new_room if strict or previous_room is None else previous_room
    for h in held_objects(g):
        g.remove_edges_of(h, ("INSIDE", "CLOSE", "FACING"))
        g.add_close(a, h)
        g.add_edge(h, "INSIDE", target_room)


def _find_is_local(g: EnvGraph, x: int, posture: set[str]) -> bool:
    a = g.character_id
    return g.has_edge(x, "ON", a) or "BODY_PART" in _props(g, x) or close_to(g, x) or bool(posture)


def _check_find(g: EnvGraph, x: int, strict: bool, posture: set[str]) -> str | None:
    if _find_is_local(g, x, posture):
        return None if close_to(g, x) else f"{_name(g, x)} is not close to the agent"
    if not strict:  # the intended walk-then-find: HEAD calls its joined executor with too many arguments
        raise ExecutorCrash(f"FIND {_name(g, x)}: not close, and HEAD's walk-and-find crashes")
    return _check_walk(g, x, posture)


def _apply_find(g: EnvGraph, x: int, strict: bool, posture: set[str]) -> None:
    if _find_is_local(g, x, posture):
        a = g.character_id
        _remove_out(g, a, "FACING")
        g.add_close(a, x)
    else:
        _apply_walk(g, x, strict)


def _remove_out(g: EnvGraph, a: int, rel: str) -> None:
    for b in list(g.targets(a, rel)):
        g.remove_edge(a, rel, b)


def _occupancy(g: EnvGraph, x: int) -> int:
    return len(g.sources(x, "ON"))


def _check_sit(g: EnvGraph, x: int, posture: set[str]) -> str | None:
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    if "SITTING" in posture:
        return "the agent is already sitting"
    if "SITTABLE" not in _props(g, x):
        return f"{_name(g, x)} is not sittable"
    if _occupancy(g, x) >= SIT_CAPACITY.get(_name(g, x), 1):
        return f"{_name(g, x)} is occupied"
    return None


def _set_posture(g: EnvGraph, base: frozenset[str] | set[str], drop: set[str], add: set[str]) -> None:
    # HEAD rebuilds the character's states from the node it checked (the start graph's, see checked_posture)
    g.nodes[g.character_id].states = (set(base) - drop) | add
    g.touch(g.character_id)


def _apply_sit(g: EnvGraph, x: int, base: frozenset[str] | set[str]) -> None:
    a = g.character_id
    g.add_edge(a, "ON", x)
    for t in sorted(g.targets(x, "FACING")):
        g.add_edge(a, "FACING", t)
    _set_posture(g, base, {"LYING"}, {"SITTING"})


def _check_lie(g: EnvGraph, x: int, posture: set[str]) -> str | None:
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    if "LYING" in posture:
        return "the agent is already lying"
    if "LIEABLE" not in _props(g, x):
        return f"{_name(g, x)} is not lieable"
    if _occupancy(g, x) >= LIE_CAPACITY.get(_name(g, x), 1):
        return f"{_name(g, x)} is occupied"
    return None


def _apply_lie(g: EnvGraph, x: int, base: frozenset[str] | set[str]) -> None:
    g.add_edge(g.character_id, "ON", x)
    _set_posture(g, base, {"SITTING"}, {"LYING"})


def _apply_standup(g: EnvGraph, strict: bool, base: frozenset[str] | set[str]) -> None:
    _set_posture(g, base, {"SITTING", "LYING"}, set())
    if strict:  # the original leaves the agent ON the seat, which stays occupied
        _remove_out(g, g.character_id, "ON")


def _check_grab(g: EnvGraph, x: int, strict: bool, records: GrabRecords) -> str | None:
    n = g.nodes[x]
    if "GRABBABLE" not in n.properties and n.class_name not in ("water", "child"):
        return f"{n.class_name} is not grabbable"
    # HEAD reads its grab record, which PUTON and pouring water leave behind; strict looks at the hands.
    if (g.sources(x, "HOLDS_RH") or g.sources(x, "HOLDS_LH")) if strict else x in records:
        return f"{n.class_name} is already grabbed"
    if not close_to(g, x):
        return f"{n.class_name} is not close to the agent"
    if inside_closed(g, x):
        return f"{n.class_name} is inside a closed container"
    if free_hand(g) is None:
        return "both hands are full"
    return None


def _grab_origin(g: EnvGraph, x: int) -> tuple[int, str] | None:
    for rel in ("ON", "INSIDE", "CLOSE"):
        for t in sorted(g.targets(x, rel)):
            if not g.is_room(t):
                return t, rel
    return None


def _apply_grab(g: EnvGraph, x: int, strict: bool, records: GrabRecords) -> None:
    a = g.character_id
    origin = _grab_origin(g, x)
    hand = free_hand(g)
    g.remove_edges_of(x, ("ON", "INSIDE", "CLOSE", "HOLDS_RH", "HOLDS_LH"))
    g.add_close(a, x)
    g.add_edge(a, hand, x)
    room = room_of(g, a)
    if room is not None:
        g.add_edge(x, "INSIDE", room)
    if origin is not None:
        # The origin can be the agent itself (an object it had dropped): a CLOSE self-loop, as the original.
        g.add_close(a, origin[0])
        records[x] = origin


def _check_open_close(g: EnvGraph, x: int, opening: bool) -> str | None:
    n = g.nodes[x]
    if "CAN_OPEN" not in n.properties and n.class_name not in ("desk", "window"):
        return f"{n.class_name} can not be opened"
    if not close_to(g, x):
        return f"{n.class_name} is not close to the agent"
    if opening:
        if free_hand(g) is None:
            return "both hands are full"
        if "CLOSED" not in n.states:
            return f"{n.class_name} is not closed"
        if "ON" in n.states:
            return f"{n.class_name} is ON"
    elif "OPEN" not in n.states:
        return f"{n.class_name} is not open"
    return None


def swap_state(g: EnvGraph, x: int, old: str, new: str) -> None:
    """Replace state ``old`` of node ``x`` by ``new`` (``old`` need not be there)."""
    st = g.nodes[x].states
    st.discard(old)
    st.add(new)
    g.touch(x)


def _check_put(g: EnvGraph, x: int, y: int, inside: bool) -> str | None:
    if not holding(g, x):
        return f"{_name(g, x)} is not held"
    if not close_to(g, y):
        return f"{_name(g, y)} is not close to the agent"
    ny = g.nodes[y]
    if inside and "CAN_OPEN" in ny.properties and "OPEN" not in ny.states:
        return f"{ny.class_name} is not open"
    return None


def _check_put_back(g: EnvGraph, x: int, records: GrabRecords) -> str | None:
    origin, rel = records[x]
    return _check_put(g, x, origin, rel == "INSIDE")


def _apply_put(g: EnvGraph, x: int, y: int, rel: str, records: GrabRecords) -> None:
    a = g.character_id
    for hand in HOLDS:
        g.remove_edge(a, hand, x)
    g.add_close(a, y)
    g.add_close(x, y)
    g.add_edge(x, rel, y)
    records.pop(x, None)


def _check_switch(g: EnvGraph, x: int, on: bool) -> str | None:
    n = g.nodes[x]
    if "HAS_SWITCH" not in n.properties:
        return f"{n.class_name} has no switch"
    if not close_to(g, x):
        return f"{n.class_name} is not close to the agent"
    if on and "OFF" not in n.states:
        return f"{n.class_name} is not off"
    if not on and "ON" not in n.states:
        return f"{n.class_name} is not on"
    if on and "PLUGGED_OUT" in n.states:
        return f"{n.class_name} is unplugged"
    return None


def _check_plug(g: EnvGraph, x: int, plug_in: bool) -> str | None:
    n = g.nodes[x]
    if "HAS_PLUG" not in n.properties:
        return f"{n.class_name} has no plug"
    if not close_to(g, x):
        return f"{n.class_name} is not close to the agent"
    if free_hand(g) is None:
        return "both hands are full"
    if plug_in and "PLUGGED_OUT" not in n.states:
        return f"{n.class_name} is not unplugged"
    if not plug_in and "PLUGGED_IN" not in n.states:
        return f"{n.class_name} is not plugged in"
    return None


def _check_close(g: EnvGraph, x: int) -> str | None:
    return None if close_to(g, x) else f"{_name(g, x)} is not close to the agent"


def _check_wipe(g: EnvGraph, x: int) -> str | None:
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    return None if held_objects(g) else "the agent holds nothing to wipe with"


def _check_puton(g: EnvGraph, x: int) -> str | None:
    if not holding(g, x):
        return f"{_name(g, x)} is not held"
    return None if "CLOTHES" in _props(g, x) else f"{_name(g, x)} is not clothes"


def _apply_puton(g: EnvGraph, x: int) -> None:
    a = g.character_id
    for hand in HOLDS:
        g.remove_edge(a, hand, x)
    g.add_edge(x, "ON", a)


def _check_putoff(g: EnvGraph, x: int, strict: bool) -> str | None:
    if not strict:
        raise PutOffCrash("PUTOFF crashes in VirtualHome HEAD")
    if not g.has_edge(x, "ON", g.character_id) or "CLOTHES" not in _props(g, x):
        return f"{_name(g, x)} is not worn"
    return None


def _apply_putoff(g: EnvGraph, x: int) -> None:
    g.remove_edge(x, "ON", g.character_id)
    room = room_of(g, g.character_id)
    if room is not None:
        g.add_edge(x, "INSIDE", room)


def _apply_drop(g: EnvGraph, x: int, records: GrabRecords) -> None:
    a = g.character_id
    for hand in HOLDS:
        g.remove_edge(a, hand, x)
    room = room_of(g, a)
    if room is not None:
        g.add_edge(x, "INSIDE", room)
    records.pop(x, None)


def _check_pour(g: EnvGraph, x: int, y: int) -> str | None:
    if not ({"POURABLE", "DRINKABLE"} & _props(g, x)):
        return f"{_name(g, x)} can not be poured"
    if "RECIPIENT" not in _props(g, y) and _name(g, y) not in ("hands_both", "sponge", "face"):
        return f"{_name(g, y)} can not receive anything"
    if not holding(g, x):
        return f"{_name(g, x)} is not held"
    return None if close_to(g, y) else f"{_name(g, y)} is not close to the agent"


def _apply_pour(g: EnvGraph, x: int, y: int) -> None:
    g.add_edge(x, "INSIDE", y)
    if _name(g, x) == "water":
        for hand in HOLDS:
            g.remove_edge(g.character_id, hand, x)


def _check_watch(g: EnvGraph, x: int, posture: set[str]) -> str | None:
    if "LOOKABLE" not in _props(g, x):
        return f"{_name(g, x)} is not lookable"
    if room_of(g, x) != room_of(g, g.character_id):
        return f"{_name(g, x)} is in another room"
    if not faces(g, x):
        return f"the agent does not face {_name(g, x)}"
    if posture and _name(g, x) != "computer" and not g.has_edge(g.character_id, "FACING", x):
        return f"the agent does not face {_name(g, x)} directly"
    return None


def _check_reachable(g: EnvGraph, x: int) -> str | None:
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    return f"{_name(g, x)} is inside a closed container" if inside_closed(g, x) else None


def _check_move(g: EnvGraph, x: int, action: str) -> str | None:
    n = g.nodes[x]
    movable = "MOVABLE" in n.properties or n.class_name in ("chair", "curtain", "button")
    if action != "PUSH" and not movable:
        return f"{n.class_name} can not be moved"
    err = _check_reachable(g, x)
    if err:
        return err
    return None if free_hand(g) else "both hands are full"


def _check_squeeze(g: EnvGraph, x: int) -> str | None:
    if free_hand(g) is None:
        return "both hands are full"
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    ok = "CLOTHES" in _props(g, x) or _name(g, x) in SQUEEZABLE
    return None if ok else f"{_name(g, x)} can not be squeezed"


def _check_cut(g: EnvGraph, x: int) -> str | None:
    if free_hand(g) is None:
        return "both hands are full"
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    if not {"EATABLE", "CUTTABLE"} <= _props(g, x):
        return f"{_name(g, x)} can not be cut"
    if not any("knife" in _name(g, h) for h in held_objects(g)):
        return "the agent holds no knife"
    return None


def _check_eat(g: EnvGraph, x: int) -> str | None:
    if not close_to(g, x):
        return f"{_name(g, x)} is not close to the agent"
    if "EATABLE" in _props(g, x) or any("EATABLE" in _props(g, s) for s in g.sources(x, "ON")):
        return None
    return f"{_name(g, x)} is not eatable"


def _need(cond: bool, message: str) -> str | None:
    return None if cond else message


# action -> check(g, ids, strict, records, posture the checks see); the table mirrors the spec's executor
# table row by row.
_CHECKS: dict[str, Callable[[EnvGraph, list[int], bool, GrabRecords, set[str]], str | None]] = {
    "WALK": lambda g, i, s, r, p: _check_walk(g, i[0], p),
    "RUN": lambda g, i, s, r, p: _check_walk(g, i[0], p),
    "FIND": lambda g, i, s, r, p: _check_find(g, i[0], s, p),
    "SIT": lambda g, i, s, r, p: _check_sit(g, i[0], p),
    "LIE": lambda g, i, s, r, p: _check_lie(g, i[0], p),
    "STANDUP": lambda g, i, s, r, p: _need(bool(p), "the agent is not sitting or lying"),
    "GRAB": lambda g, i, s, r, p: _check_grab(g, i[0], s, r),
    "OPEN": lambda g, i, s, r, p: _check_open_close(g, i[0], True),
    "CLOSE": lambda g, i, s, r, p: _check_open_close(g, i[0], False),
    "PUTBACK": lambda g, i, s, r, p: _check_put(g, i[0], i[1], False),
    "PUTIN": lambda g, i, s, r, p: _check_put(g, i[0], i[1], True),
    "PUTOBJBACK": lambda g, i, s, r, p: (_need(i[0] in r, f"{_name(g, i[0])} has no place to go back to")
                                      or (_check_put_back(g, i[0], r) if s else None)),
    "SWITCHON": lambda g, i, s, r, p: _check_switch(g, i[0], True),
    "SWITCHOFF": lambda g, i, s, r, p: _check_switch(g, i[0], False),
    "PLUGIN": lambda g, i, s, r, p: _check_plug(g, i[0], True),
    "PLUGOUT": lambda g, i, s, r, p: _check_plug(g, i[0], False),
    "WIPE": lambda g, i, s, r, p: _check_wipe(g, i[0]),
    "WASH": lambda g, i, s, r, p: _check_close(g, i[0]),
    "RINSE": lambda g, i, s, r, p: _check_close(g, i[0]),
    "SCRUB": lambda g, i, s, r, p: _check_close(g, i[0]),
    "PUTON": lambda g, i, s, r, p: _check_puton(g, i[0]),
    "PUTOFF": lambda g, i, s, r, p: _check_putoff(g, i[0], s),
    "DROP": lambda g, i, s, r, p: _need(holding(g, i[0]), f"{_name(g, i[0])} is not held"),
    "RELEASE": lambda g, i, s, r, p: _need(holding(g, i[0]), f"{_name(g, i[0])} is not held"),
    "POUR": lambda g, i, s, r, p: _check_pour(g, i[0], i[1]),
    "TURNTO": lambda g, i, s, r, p: None,
    "DRINK": lambda g, i, s, r, p: (_need(bool({"DRINKABLE", "RECIPIENT"} & _props(g, i[0])),
                                       f"{_name(g, i[0])} is not drinkable")
                                 or _need(holding(g, i[0]), f"{_name(g, i[0])} is not held")),
    "READ": lambda g, i, s, r, p: (_need("READABLE" in _props(g, i[0]), f"{_name(g, i[0])} is not readable")
                                or _need(holding(g, i[0]), f"{_name(g, i[0])} is not held")),
    "LOOKAT": lambda g, i, s, r, p: _need(faces(g, i[0]), f"the agent does not face {_name(g, i[0])}"),
    "POINTAT": lambda g, i, s, r, p: _need(faces(g, i[0]), f"the agent does not face {_name(g, i[0])}"),
    "WATCH": lambda g, i, s, r, p: _check_watch(g, i[0], p),
    "TOUCH": lambda g, i, s, r, p: _check_reachable(g, i[0]),
    "TYPE": lambda g, i, s, r, p: (_check_close(g, i[0]) or _need(
        _name(g, i[0]) == "keyboard" or "HAS_SWITCH" in _props(g, i[0]), f"can not type on {_name(g, i[0])}")),
    "PUSH": lambda g, i, s, r, p: _check_move(g, i[0], "PUSH"),
    "PULL": lambda g, i, s, r, p: _check_move(g, i[0], "PULL"),
    "MOVE": lambda g, i, s, r, p: _check_move(g, i[0], "MOVE"),
    "SQUEEZE": lambda g, i, s, r, p: _check_squeeze(g, i[0]),
    "CUT": lambda g, i, s, r, p: _check_cut(g, i[0]),
    "EAT": lambda g, i, s, r, p: _check_eat(g, i[0]),
    "GREET": lambda g, i, s, r, p: _need("PERSON" in _props(g, i[0]), f"{_name(g, i[0])} is not a person"),
    "SLEEP": lambda g, i, s, r, p: _need(bool(p), "the agent is not lying or sitting"),
    "WAKEUP": lambda g, i, s, r, p: _need(bool(p), "the agent is not lying or sitting"),
}
for _alias in ("LOOKAT_SHORT", "LOOKAT_MEDIUM", "LOOKAT_LONG"):
    _CHECKS[_alias] = _CHECKS["LOOKAT"]


def _apply(g: EnvGraph, action: str, ids: list[int], strict: bool, records: GrabRecords,
           start_states: frozenset[str] | None) -> None:
    x = ids[0] if ids else -1
    # the character states a posture change starts from: the start graph's in the default mode
    base = g.nodes[g.character_id].states if strict or start_states is None else start_states
    if action in ("WALK", "RUN"):
        _apply_walk(g, x, strict)
    elif action == "FIND":
        _apply_find(g, x, strict, checked_posture(g, strict, start_states))
    elif action == "SIT":
        _apply_sit(g, x, base)
    elif action == "LIE":
        _apply_lie(g, x, base)
    elif action == "STANDUP":
        _apply_standup(g, strict, base)
    elif action == "GRAB":
        _apply_grab(g, x, strict, records)
    elif action == "OPEN":
        swap_state(g, x, "CLOSED", "OPEN")
    elif action == "CLOSE":
        swap_state(g, x, "OPEN", "CLOSED")
    elif action in ("PUTBACK", "PUTIN"):
        _apply_put(g, x, ids[1], "ON" if action == "PUTBACK" else "INSIDE", records)
    elif action == "PUTOBJBACK":
        origin, rel = records[x]
        if not strict:
            # HEAD: a put with the recorded relation (CLOSE too: no INSIDE edge); when that put is not
            # possible it still reports success and changes nothing.
            if _check_put_back(g, x, records) is None:
                _apply_put(g, x, origin, rel, records)
        elif rel == "CLOSE":  # it lay next to something: put it down there
            _apply_drop(g, x, records)
            g.add_close(x, origin)
        else:
            _apply_put(g, x, origin, rel, records)
    elif action == "SWITCHON":
        swap_state(g, x, "OFF", "ON")
    elif action == "SWITCHOFF":
        swap_state(g, x, "ON", "OFF")
    elif action == "PLUGIN":
        swap_state(g, x, "PLUGGED_OUT", "PLUGGED_IN")
    elif action == "PLUGOUT":
        swap_state(g, x, "PLUGGED_IN", "PLUGGED_OUT")
    elif action in ("WIPE", "WASH", "RINSE", "SCRUB"):
        swap_state(g, x, "DIRTY", "CLEAN")
    elif action == "PUTON":
        _apply_puton(g, x)
    elif action == "PUTOFF":
        _apply_putoff(g, x)
    elif action in ("DROP", "RELEASE"):
        _apply_drop(g, x, records)
    elif action == "POUR":
        _apply_pour(g, x, ids[1])
    elif action == "TURNTO":
        _remove_out(g, g.character_id, "FACING")
        g.add_edge(g.character_id, "FACING", x)
    # DRINK, READ, LOOKAT, POINTAT, WATCH, TOUCH, TYPE, PUSH, PULL, MOVE, SQUEEZE, CUT, EAT, GREET,
    # SLEEP and WAKEUP have preconditions but no effect on the graph.


def check(g: EnvGraph, action: str, ids: list[int], records: GrabRecords, strict: bool = False,
          start_states: frozenset[str] | None = None) -> str | None:
    """Why ``action`` on ``ids`` can not run now, or None if it can. Never mutates anything.

    ``start_states``: the character's states on the graph the episode started with, where the default mode
    reads the agent's posture (see :func:`checked_posture`); None when ``g`` is that graph.

    Raises :class:`ExecutorCrash` where the original raises (default mode only): PUTOFF, LOOKAT_SHORT,
    LOOKAT_LONG, and FIND on a node that is not close (strict walks there).
    """
    fn = _CHECKS.get(action)
    if fn is None:
        return f"unknown action {action}"
    if len(ids) != ARITY[action]:
        return f"{action} needs {ARITY[action]} parameters. But there are {len(ids)} parameters."
    if action in UNEXECUTABLE and not strict:  # strict runs them as LOOKAT
        raise ExecutorCrash(f"{action} has no executor in VirtualHome HEAD")
    return fn(g, ids, strict, records, checked_posture(g, strict, start_states))


def execute(g: EnvGraph, action: str, ids: list[int], records: GrabRecords, strict: bool = False,
            start_states: frozenset[str] | None = None) -> str | None:
    """Run one script action in place. Returns None on success, else the reason (graph untouched).
    Arguments as for :func:`check`."""
    err = check(g, action, ids, records, strict, start_states)
    if err is None:
        _apply(g, action, ids, strict, records, start_states)
    return err
