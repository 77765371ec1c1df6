"""One episode's world: the graph, SPA-RL's name-resolution memory, and the command -> observation step.

SPA-RL addresses objects by class name; which node a name means depends on a per-episode map
(``specific_objects``, seeded with the task's ground-truth instances), on what the agent is close to, on
the last object used, and finally on a random choice (seeded here). :class:`World` keeps that memory next
to the graph so a snapshot of the world is a snapshot of everything that decides the next observation.

>>> from spa_gym.envs.virtualhome.scenes import build_scene
>>> import numpy as np
>>> w = World(build_scene(3).graph)
>>> rng = np.random.default_rng(0)
>>> w.step("walk to kitchen", rng).observation
'Observation: '
>>> w.step("fly to the moon", rng).observation
'Observation: Nothing happens.'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spa_gym.envs.virtualhome import executor
from spa_gym.envs.virtualhome.executor import (ARITY, ExecutorCrash, GrabRecords, checked_posture, close_to,
                                               held_objects, inside_closed, room_of)
from spa_gym.envs.virtualhome.graph import EnvGraph
from spa_gym.envs.virtualhome.text import (ERROR_INPUT, NOTHING_HAPPENS, SPA_ACTIONS, ScriptLine, format_command,
                                           observe, parse_command)

_WALK_ACTIONS = frozenset({"WALK", "RUN", "FIND"})
_NOT_WALK_TARGETS = frozenset({"Characters", "Walls", "Ceiling", "Floor"})
#: Verbs listed in ``admissible_commands`` for a close or held object, in this order. Verbs with no
#: effect on the graph (touch, push, greet, ...) are left out to keep the list short and useful; so are
#: cleaning what is not dirty and puts onto non-surfaces or into non-containers (all still execute).
LISTED_VERBS: tuple[str, ...] = ("GRAB", "OPEN", "CLOSE", "SWITCHON", "SWITCHOFF", "PLUGIN", "PLUGOUT", "SIT",
                                 "LIE", "WASH", "WIPE", "DRINK", "READ", "EAT", "CUT", "TURNTO", "WATCH",
                                 "PUTON", "DROP")
# Cheap property filters so the admissibility scan only runs checks that can pass.
_VERB_NEEDS: dict[str, frozenset[str]] = {
    "OPEN": frozenset({"CAN_OPEN"}), "CLOSE": frozenset({"CAN_OPEN"}), "SWITCHON": frozenset({"HAS_SWITCH"}),
    "SWITCHOFF": frozenset({"HAS_SWITCH"}), "PLUGIN": frozenset({"HAS_PLUG"}), "PLUGOUT": frozenset({"HAS_PLUG"}),
    "SIT": frozenset({"SITTABLE"}), "LIE": frozenset({"LIEABLE"}), "DRINK": frozenset({"DRINKABLE", "RECIPIENT"}),
    "READ": frozenset({"READABLE"}), "EAT": frozenset({"EATABLE"}), "CUT": frozenset({"CUTTABLE"}),
    "TURNTO": frozenset({"LOOKABLE"}), "WATCH": frozenset({"LOOKABLE"}), "PUTON": frozenset({"CLOTHES"}),
    "WASH": frozenset({"GRABBABLE", "BODY_PART", "SURFACES", "RECIPIENT"}), "WIPE": frozenset({"SURFACES"}),
    "PUTBACK": frozenset({"SURFACES"}), "PUTIN": frozenset({"CONTAINERS", "RECIPIENT"}),
    "POUR": frozenset({"RECIPIENT"}),
}
_ONLY_IF_DIRTY = frozenset({"WASH", "WIPE"})


@dataclass
class StepOutcome:
    """What one command did: the observation text, whether it executed, why not, and the script line."""

    observation: str
    success: bool
    reason: str = ""
    script: str = ""


@dataclass
class World:
    """Graph + name-resolution memory + grab records. ``strict`` fixes the original's bugs (spec §11).

    ``start_states`` are the character's states when the episode began (taken from ``graph`` when not
    given): VirtualHome HEAD reads the agent's posture there, so the default mode does too.
    """

    graph: EnvGraph
    object_ids: dict[str, int] = field(default_factory=dict)
    strict: bool = False
    specific_objects: dict[str, int] | None = None  # None: start from ``object_ids`` (a new episode)
    last_obj_id: int = -1
    records: GrabRecords = field(default_factory=dict)
    start_states: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.specific_objects is None:
            self.specific_objects = {c: i for c, i in self.object_ids.items() if i in self.graph.nodes}
        if self.start_states is None:
            self.start_states = frozenset(self.graph.nodes[self.graph.character_id].states)

    def copy(self) -> "World":
        return World(self.graph.copy(), dict(self.object_ids), self.strict, dict(self.specific_objects),
                     self.last_obj_id, dict(self.records), self.start_states)

    def posture(self) -> set[str]:
        """SITTING / LYING as the executor's checks see them: a non-empty posture blocks walking and lets the
        agent stand up (in the default mode the posture the episode started with, see
        :func:`~.executor.checked_posture`)."""
        return checked_posture(self.graph, self.strict, self.start_states)

    # ------------------------------------------------------------------ name resolution (spec §4)
    def _match(self, ids, class_name: str) -> int | None:
        """Among ``ids``, the node of ``class_name`` found last (largest id: our deterministic order)."""
        nodes = self.graph.nodes
        best = None
        for i in ids:
            if nodes[i].class_name == class_name and (best is None or i > best):
                best = i
        return best

    def _nearby_match(self, class_name: str) -> int | None:
        g, a = self.graph, self.graph.character_id
        last = self.last_obj_id
        if last in g.nodes:
            related = (g.targets(last, "CLOSE") | g.sources(last, "CLOSE") | g.targets(last, "INSIDE")
                       | g.sources(last, "INSIDE"))
            hit = self._match(related, class_name)
            if hit is not None:  # last-related overrides close
                return hit
        return self._match(g.targets(a, "CLOSE") | g.sources(a, "CLOSE"), class_name)

    def resolve_name(self, name: str, walking: bool, rng: np.random.Generator | None) -> tuple[int | None, str]:
        """The node a name means, or ``(None, reason)``. With ``rng=None`` nothing is remembered and a
        name that would need a random choice resolves to None (used to list admissible commands)."""
        candidates = self.graph.by_class.get(name)
        if walking and not candidates:
            return None, f"{name} isn't available in the environment."
        node = self.specific_objects.get(name)
        if node is None:
            node = self._nearby_match(name)
        if node is None:
            if not candidates:
                return None, f"{name} isn't available in the environment."
            if rng is None:
                return None, f"{name} is not near"
            node = candidates[int(rng.integers(len(candidates)))]
        if rng is not None:
            self.specific_objects[name] = node
        return node, ""

    def resolve(self, line: ScriptLine, rng: np.random.Generator | None) -> tuple[list[int] | None, str]:
        """Ids for a parsed line (spec §4), updating the memory unless ``rng`` is None."""
        g, names = self.graph, line.names
        if line.action in ("PUTBACK", "PUTIN", "POUR"):
            held = [h for h in held_objects(g) if g.nodes[h].class_name == names[0]]
            if not held:
                return None, f"{names[0]} not in hand. Robot agent should hold {names[0]} firstly."
            if rng is not None:
                self.specific_objects[names[0]] = held[0]
            target, err = self.resolve_name(names[1], False, rng)
            if target is None:
                return None, err
            if target == held[0]:
                return None, f"{names[0]} can't be put or pour into itself."
            if rng is not None:
                self.last_obj_id = target
            return [held[0], target], ""
        if not names:
            return [], ""
        node, err = self.resolve_name(names[0], line.action in _WALK_ACTIONS, rng)
        if node is None:
            return None, err
        if rng is not None:
            self.last_obj_id = node
        return [node], ""

    # ------------------------------------------------------------------ one step
    def step(self, text: str, rng: np.random.Generator) -> StepOutcome:
        """Parse, resolve and execute one command. Never raises; failures change no graph state."""
        try:
            line = parse_command(text)
        except Exception as exc:  # the parser only fails on pathological input; treat as the original does
            return StepOutcome(ERROR_INPUT, False, f"parse error: {exc}")
        fail = self._fail
        if line.action not in (ARITY if self.strict else SPA_ACTIONS):
            return fail(f"unknown action {line.action}", line)
        if (self.strict and line.action == "RELEASE" and not line.names
                and len(held := held_objects(self.graph)) == 1):
            # strict: a bare `release` drops the one held object (no name to resolve)
            line, ids, err = ScriptLine("RELEASE", (self.graph.nodes[held[0]].class_name,)), [held[0]], ""
        elif len(line.names) != ARITY[line.action]:
            return fail(f"{line.action} needs {ARITY[line.action]} parameters. "
                        f"But there are {len(line.names)} parameters.", line)
        else:
            ids, err = self.resolve(line, rng)
        if ids is None:
            return fail(err, line)
        try:
            err = executor.execute(self.graph, line.action, ids, self.records, self.strict, self.start_states)
        except ExecutorCrash as exc:  # SPA-RL's step catches the exception and answers Error Input
            return StepOutcome(ERROR_INPUT, False, str(exc), str(line))
        if err is not None:
            return fail(err, line)
        script = " ".join([f"[{line.action}]"] + [f"<{n}> ({i})" for n, i in zip(line.names, ids)])
        return StepOutcome(observe(self.graph), True, "", script)

    def _fail(self, reason: str, line: ScriptLine) -> StepOutcome:
        obs = f"{NOTHING_HAPPENS} ({reason.rstrip('.')}.)" if self.strict else NOTHING_HAPPENS
        return StepOutcome(obs, False, reason, str(line))

    # ------------------------------------------------------------------ admissible commands
    def _room_nodes(self, room: int) -> list[int]:
        """Nodes transitively INSIDE ``room`` (closed containers' contents included), sorted by id."""
        g = self.graph
        seen, frontier = {room}, [room]
        while frontier:
            nxt = []
            for n in frontier:
                for s in g.sources(n, "INSIDE"):
                    if s not in seen and not g.is_room(s):
                        seen.add(s)
                        nxt.append(s)
            frontier = nxt
        seen.discard(room)
        return sorted(seen)

    def admissible_commands(self) -> list[str]:
        """Commands that would execute now, in a fixed order: walks to rooms, walks to objects in this room,
        then verbs on close or held objects, then two-object puts and pours, then ``stand up``.
        Bounded by the room's contents (typically 20-80 commands). Walks to other rooms' objects also
        execute but are not listed; a name whose instance would be a random pick is not listed."""
        g, a = self.graph, self.graph.character_id
        nodes = g.nodes
        room = room_of(g, a)
        resting = self.posture()
        cmds: list[str] = []
        room_nodes = self._room_nodes(room) if room is not None else []
        if not resting:
            cmds += [format_command("WALK", c) for c in sorted({nodes[r].class_name for r in g.rooms()})]
            cmds += [format_command("WALK", c) for c in sorted({nodes[n].class_name for n in room_nodes
                                                                 if nodes[n].category not in _NOT_WALK_TARGETS})]
        held = held_objects(g)
        # Walking to an object works wherever it is, so walks are listed for everything in the room (an
        # object in a closed fridge too: SPA-RL's programs do that); other verbs need it close and reachable.
        near = [n for n in room_nodes if nodes[n].category not in _NOT_WALK_TARGETS and close_to(g, n)
                and not inside_closed(g, n)]
        near_classes = sorted({nodes[n].class_name for n in near} | {nodes[h].class_name for h in held})
        resolved: dict[str, int] = {}
        for c in near_classes:
            node, _ = self.resolve_name(c, False, None)
            if node is not None:
                resolved[c] = node
        for c, node in resolved.items():
            props = nodes[node].properties
            for verb in LISTED_VERBS:
                need = _VERB_NEEDS.get(verb)
                if need is not None and not (need & props):
                    continue
                if verb in _ONLY_IF_DIRTY and "DIRTY" not in nodes[node].states:
                    continue
                try:
                    if executor.check(g, verb, [node], self.records, self.strict, self.start_states) is None:
                        cmds.append(format_command(verb, c))
                except ExecutorCrash:
                    pass
        for h in held:
            hc = nodes[h].class_name
            for c, node in resolved.items():
                if node == h:
                    continue
                for verb in ("PUTBACK", "PUTIN", "POUR"):
                    if not (_VERB_NEEDS[verb] & nodes[node].properties):
                        continue
                    if executor.check(g, verb, [h, node], self.records, self.strict, self.start_states) is None:
                        cmds.append(format_command(verb, hc, c))
        if resting:
            cmds.append(format_command("STANDUP"))
        seen: set[str] = set()
        return [c for c in cmds if not (c in seen or seen.add(c))]
