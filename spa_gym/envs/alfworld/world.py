"""ALFWorld's world model and rules, without any text.

A :class:`Scene` holds what never changes in a game (receptacles and where they are, object types,
what can hold what, display names); a :class:`State` holds what actions change. Both are built from a
parsed PDDL problem exactly as the original engine (Fast Downward + TextWorld) sees it:

* names are lower-cased ids; display names follow alfworld's demangler (class name before the first
  ``_bar_``, ``basin`` added when the id contains it, instances numbered *downwards* in ascending id order);
* an object may have two parent receptacles (official files do): taking it from one leaves it listed in
  the other;
* several receptacles may share one location;
* TextWorld keeps a ``not_inreceptacle(o, r)`` fact after ``o`` is taken from ``r`` (until it is put back),
  which is what ``look`` lists as "next to it" - :attr:`State.taken_from` reproduces it.

Actions are tuples ``(verb, *ids)``; :meth:`Scene.actions` lists the admissible ones in a state and
:meth:`Scene.apply` applies one. Verbs: ``look inventory help examine_r examine_o goto open close take
put heat cool clean use slice``.

>>> from spa_gym.envs.alfworld.pddl import parse_problem
>>> scene = Scene.from_problem(parse_problem(TINY_PROBLEM))
>>> state = scene.initial_state()
>>> sorted(scene.names[r] for r in scene.receptacles)
['countertop 1', 'fridge 1']
>>> scene.apply(state, ("goto", "countertop_bar_01")); state.agent_loc
'loc_bar_1'
>>> ("take", "apple_bar_01", "countertop_bar_01") in scene.actions(state)
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from spa_gym.envs.alfworld.pddl import Problem

#: Receptacle types of the appliances (lower-case, as Fast Downward sees them).
MICROWAVE, FRIDGE, SINKBASIN, SINK = "microwavetype", "fridgetype", "sinkbasintype", "sinktype"
KNIFE_TYPES = frozenset({"knifetype", "butterknifetype"})

#: A tiny problem used by doctests and tests.
TINY_PROBLEM = """(define (problem tiny) (:domain alfred)
(:objects agent1 - agent Apple_bar_01 - object CounterTop_bar_01 Fridge_bar_01 - receptacle
  loc_bar_start loc_bar_1 loc_bar_2 - location AppleType KnifeType ButterKnifeType - otype
  CounterTopType FridgeType SinkBasinType MicrowaveType - rtype)
(:init (atLocation agent1 loc_bar_start)
  (receptacleType CounterTop_bar_01 CounterTopType) (receptacleAtLocation CounterTop_bar_01 loc_bar_1)
  (receptacleType Fridge_bar_01 FridgeType) (receptacleAtLocation Fridge_bar_01 loc_bar_2) (openable Fridge_bar_01)
  (canContain CounterTopType AppleType) (canContain FridgeType AppleType)
  (objectType Apple_bar_01 AppleType) (inReceptacle Apple_bar_01 CounterTop_bar_01)
  (objectAtLocation Apple_bar_01 loc_bar_1)
  (pickupable Apple_bar_01) (heatable Apple_bar_01) (coolable Apple_bar_01) (cleanable Apple_bar_01))
(:goal (exists (?r - receptacle) (exists (?o - object)
  (and (inReceptacle ?o ?r) (objectType ?o AppleType) (receptacleType ?r FridgeType))))))"""


def demangle(ids) -> dict[str, str]:
    """Display names of ALFRED ids, as alfworld's ``Demangler`` (without shuffle) makes them.

    >>> demangle(["cabinet_bar_01", "cabinet_bar_02", "sink_bar_1_bar_sinkbasin", "agent1"])
    {'agent1': 'agent1 ', 'cabinet_bar_01': 'cabinet 2', 'cabinet_bar_02': 'cabinet 1', 'sink_bar_1_bar_sinkbasin': 'sinkbasin 1'}
    """
    ids = sorted(set(ids))
    classes: list[tuple[str, str | None]] = []
    count: Counter = Counter()
    for id_ in ids:
        head, sep, _ = id_.partition("_bar_")
        if not sep:
            classes.append((id_, None))
            continue
        head = head.replace("_minus_", "-").replace("_plus_", "+").replace("_dot_", ".").replace("_comma_", ",")
        if "basin" in id_:
            head += "basin"
        classes.append((id_, head))
        count[head] += 1
    names: dict[str, str] = {}
    for id_, head in classes:
        if head is None:
            # Ids without "_bar_" (agent, type constants) keep their text and an empty number: "agent1 ".
            names[id_] = id_.replace("_minus_", "-").replace("_plus_", "+").replace("_dot_", ".") + " "
        else:
            names[id_] = f"{head} {count[head]}"
            count[head] -= 1
    return names


@dataclass
class State:
    """Everything actions change. ``copy()`` is what snapshots use, so it copies only this."""

    agent_loc: str
    holding: str | None
    opened: set[str]
    contents: dict[str, set[str]]  # receptacle -> objects in it (inReceptacle)
    at_loc: dict[str, set[str]]  # location -> objects at it (objectAtLocation)
    taken_from: set[tuple[str, str]]  # (object, receptacle): TextWorld's not_inreceptacle facts
    hot: set[str] = field(default_factory=set)
    cool: set[str] = field(default_factory=set)
    clean: set[str] = field(default_factory=set)
    sliced: set[str] = field(default_factory=set)
    toggled: set[str] = field(default_factory=set)
    on: set[str] = field(default_factory=set)

    def copy(self) -> "State":
        return State(self.agent_loc, self.holding, set(self.opened),
                     {r: set(v) for r, v in self.contents.items()}, {l: set(v) for l, v in self.at_loc.items()},
                     set(self.taken_from), set(self.hot), set(self.cool), set(self.clean), set(self.sliced),
                     set(self.toggled), set(self.on))


class Scene:
    """The static part of a game plus the rules. Build with :meth:`from_problem`."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.receptacles: tuple[str, ...] = ()
        self.rloc: dict[str, str] = {}
        self.loc_receptacles: dict[str, tuple[str, ...]] = {}
        self.rtype: dict[str, str] = {}
        self.otype: dict[str, str] = {}
        self.openable: frozenset[str] = frozenset()
        self.can_contain: frozenset[tuple[str, str]] = frozenset()
        self.pickupable = self.heatable = self.coolable = self.cleanable = frozenset()
        self.toggleable = self.sliceable = self.receptacle_objects = frozenset()
        self.inner_objects: dict[str, tuple[str, ...]] = {}
        self.clean_types: frozenset[str] = frozenset({SINKBASIN})
        self.agent = "agent1"
        self._init: State | None = None
        self._goto: dict[str, list[tuple]] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_problem(cls, problem: Problem, *, sink_type_cleans: bool = False, where: str = "") -> "Scene":
        """Build a scene. ``sink_type_cleans``: the official 2.1.x domain also cleans in ``SinkType``."""
        where = where or problem.name or "PDDL problem"
        s = cls()
        by_pred: dict[str, list[tuple]] = {}
        entities: set[str] = set()
        for atom in problem.init:
            by_pred.setdefault(atom[0], []).append(atom[1:])
            entities.update(atom[1:])
        s.names = demangle(entities)
        agents = by_pred.get("atlocation", [])
        if len(agents) != 1:
            raise ValueError(f"{where}: expected exactly one (atLocation agent location) fact, got {len(agents)}")
        s.agent, start = agents[0]
        for r, l in by_pred.get("receptacleatlocation", []):
            if r in s.rloc and s.rloc[r] != l:
                raise ValueError(f"{where}: receptacle {r} is at two locations; unsupported")
            s.rloc[r] = l
        s.rtype = {r: t for r, t in by_pred.get("receptacletype", [])}
        s.otype = {o: t for o, t in by_pred.get("objecttype", [])}
        s.receptacles = tuple(sorted(s.rloc))
        locs: dict[str, list[str]] = {}
        for r in s.receptacles:
            locs.setdefault(s.rloc[r], []).append(r)
        s.loc_receptacles = {l: tuple(rs) for l, rs in locs.items()}
        one = lambda p: frozenset(a[0] for a in by_pred.get(p, ()))  # noqa: E731
        s.openable = one("openable")
        s.pickupable, s.heatable, s.coolable = one("pickupable"), one("heatable"), one("coolable")
        s.cleanable, s.toggleable, s.sliceable = one("cleanable"), one("toggleable"), one("sliceable")
        s.receptacle_objects = one("isreceptacleobject")
        s.can_contain = frozenset((rt, ot) for rt, ot in by_pred.get("cancontain", ()))
        inner: dict[str, list[str]] = {}
        for o_in, o_out in by_pred.get("inreceptacleobject", ()):
            inner.setdefault(o_out, []).append(o_in)
        s.inner_objects = {o: tuple(sorted(v)) for o, v in inner.items()}
        s.clean_types = frozenset({SINKBASIN, SINK}) if sink_type_cleans else frozenset({SINKBASIN})
        for pred in ("holds", "holdsany"):
            if by_pred.get(pred):
                raise ValueError(f"{where}: initial '{pred}' facts are unsupported (the agent starts empty-handed)")
        contents: dict[str, set[str]] = {r: set() for r in s.receptacles}
        for o, r in by_pred.get("inreceptacle", ()):
            contents.setdefault(r, set()).add(o)
        at_loc: dict[str, set[str]] = {}
        for o, l in by_pred.get("objectatlocation", ()):
            at_loc.setdefault(l, set()).add(o)
        flags = {p: set(one(p)) for p in ("ishot", "iscool", "isclean", "issliced", "istoggled", "ison")}
        s._init = State(start, None, set(one("opened")), contents, at_loc, set(), flags["ishot"], flags["iscool"],
                        flags["isclean"], flags["issliced"], flags["istoggled"], flags["ison"])
        # "go to r" is offered for every receptacle not at the agent's location; it depends on the location only.
        for l in set(s.loc_receptacles) | {start}:
            s._goto[l] = [("goto", r) for r in s.receptacles if s.rloc[r] != l]
        return s

    def initial_state(self) -> State:
        assert self._init is not None, "build scenes with Scene.from_problem"
        return self._init.copy()

    @property
    def initial(self) -> State:
        """The initial state itself, not a copy (read it, never change it: scenes are shared)."""
        assert self._init is not None, "build scenes with Scene.from_problem"
        return self._init

    # ------------------------------------------------------------------ rules
    def accessible(self, state: State, r: str) -> bool:
        """Open, or not openable: what take/put require."""
        return r not in self.openable or r in state.opened

    def actions(self, state: State, *, with_help: bool = False) -> list[tuple]:
        """Admissible actions (unordered; duplicates possible where the original has them)."""
        loc = state.agent_loc
        acts: list[tuple] = [("look",), ("inventory",)]
        if with_help:
            acts.append(("help",))
        goto = self._goto.get(loc)
        if goto is None:
            goto = self._goto[loc] = [("goto", r) for r in self.receptacles if self.rloc[r] != loc]
        acts += goto
        held = state.holding
        held_type = self.otype.get(held) if held else None
        for r in self.loc_receptacles.get(loc, ()):
            acts.append(("examine_r", r))
            is_open = r in state.opened
            if r in self.openable:
                acts.append(("close", r) if is_open else ("open", r))
            reachable = is_open or r not in self.openable
            rt = self.rtype.get(r)
            for o in state.contents.get(r, ()):
                if o in self.toggleable:
                    acts.append(("use", o))
                if reachable and held is None and o in self.pickupable:
                    acts.append(("take", o, r))
            if held is not None:
                if reachable and (rt, held_type) in self.can_contain:
                    acts.append(("put", held, r))
                if rt == MICROWAVE and held in self.heatable:
                    acts.append(("heat", held, r))
                if rt == FRIDGE and held in self.coolable:
                    acts.append(("cool", held, r))
                if rt in self.clean_types and held in self.cleanable:
                    acts.append(("clean", held, r))
        if held is not None:
            acts.append(("examine_o", held))
            if held_type in KNIFE_TYPES:
                for co in state.at_loc.get(loc, ()):
                    if co in self.sliceable and co != held:
                        acts.append(("slice", co, held))
        return acts

    def apply(self, state: State, action: tuple) -> None:
        """Apply an admissible action's effects (PDDL semantics of alfred.pddl)."""
        verb = action[0]
        if verb == "goto":
            state.agent_loc = self.rloc[action[1]]
        elif verb == "open":
            state.opened.add(action[1])
        elif verb == "close":
            state.opened.discard(action[1])
        elif verb == "take":
            _, o, r = action
            state.contents[r].discard(o)
            state.taken_from.add((o, r))
            state.holding = o
            at = state.at_loc.get(state.agent_loc)
            if at is not None:
                at.discard(o)
        elif verb == "put":
            _, o, r = action
            state.contents.setdefault(r, set()).add(o)
            state.taken_from.discard((o, r))
            state.at_loc.setdefault(state.agent_loc, set()).add(o)
            state.holding = None
        elif verb == "heat":
            state.hot.add(action[1])
            state.cool.discard(action[1])
        elif verb == "cool":
            state.cool.add(action[1])
            state.hot.discard(action[1])
        elif verb == "clean":
            state.clean.add(action[1])
        elif verb == "use":
            o = action[1]
            state.toggled.add(o)
            if o in state.on:
                state.on.discard(o)
            else:
                state.on.add(o)
        elif verb == "slice":
            state.sliced.add(action[1])
        # look, inventory, help, examine_*: no effect on anything the game shows.
