"""Generated ALFWorld games: seeded rooms, objects placed by ALFRED's rules, one of the six goals.

Two levels, like ALFRED itself:

* a **layout** is a room's furniture: receptacles with ALFRED-style ids (``Cabinet|+00.68|+00.50|-02.20``
  mangled to ``Cabinet_bar__plus_00_dot_68_bar__plus_00_dot_50_bar__minus_02_dot_20``), their agent
  locations, which of them open, and fixtures (windows, light switches, the sink under a sink basin ...).
  Layouts are numbered like ALFRED's floor plans (kitchens 1-30, living rooms 201-230, bedrooms 301-330,
  bathrooms 401-430) and depend only on their number; sizes run from ~6 receptacles to ~40.
* a **game** takes a layout, scatters pickupable objects where ALFRED allows them (``canContain``),
  picks a goal and writes the PDDL problem exactly as official ``game.tw-pddl`` files do.

A game depends only on ``ALFWORLD_TASKS.seed_for(split, task_id, attempt)``: the same pair gives the same
game in any process. Task types cycle with the task id, so every split is balanced. Each game carries a
walkthrough (a winning command list, as official game files do). A drawn game is checked statically, then
on the native engine (the walkthrough must win and the expert must solve it); one that fails is re-drawn
with ``attempt + 1``.

>>> game = make_game("test", 0)
>>> game.task_type, game.scene["layout"] in range(1, 431)
('pick_and_place_simple', True)
>>> make_game("test", 0).problem == game.problem        # deterministic (and cached)
True
>>> "(:goal" in game.problem and "SinkBasinType - rtype" in game.problem
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from spa_gym.core import stable_seed
from spa_gym.envs.alfworld import tables as T
from spa_gym.envs.alfworld.game import DIALECTS, TASK_TYPES, GameSpec
from spa_gym.envs.alfworld.splits import ALFWORLD_TASKS, VERSION, layouts_for
from spa_gym.envs.alfworld.world import demangle

#: How many times a task is re-drawn before giving up (a rejection is rare; see ``make_game``).
MAX_ATTEMPTS = 50

#: Rotation (0-3, quarter turns) and camera horizon (degrees) values seen in ALFRED location names.
_HORIZONS = (-30, -15, 0, 15, 30, 45, 60)


# ------------------------------------------------------------------------------------------------------
# ALFRED ids
# ------------------------------------------------------------------------------------------------------

def mangle(raw_id: str) -> str:
    """Turn an ALFRED id into a PDDL name the way ALFWorld does.

    >>> mangle("Cabinet|+00.68|+00.50|-02.20")
    'Cabinet_bar__plus_00_dot_68_bar__plus_00_dot_50_bar__minus_02_dot_20'
    >>> mangle("loc|-6|12|2|45")
    'loc_bar__minus_6_bar_12_bar_2_bar_45'
    """
    return raw_id.replace("|", "_bar_").replace("+", "_plus_").replace("-", "_minus_").replace(".", "_dot_")


def _object_id(cls: str, x: float, y: float, z: float) -> str:
    return mangle(f"{cls}|{x:+06.2f}|{y:+06.2f}|{z:+06.2f}")


def _receptacle_id(cls: str, x: float, y: float, z: float) -> str:
    # Basins are named after the fixture they belong to ("Sink_bar_..._bar_SinkBasin"), so the text game
    # shows "sinkbasin 1": ALFWorld's display name is the class part plus "basin" when the id has it.
    if cls == "SinkBasin":
        return _object_id("Sink", x, y, z) + "_bar_SinkBasin"
    if cls == "BathtubBasin":
        return _object_id("Bathtub", x, y, z) + "_bar_BathtubBasin"
    return _object_id(cls, x, y, z)


# ------------------------------------------------------------------------------------------------------
# Layouts
# ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Receptacle:
    """A piece of furniture or an appliance: its PDDL id, ALFRED class and the agent location serving it."""

    id: str
    cls: str
    location: str
    openable: bool
    position: tuple[float, float, float]
    #: how much clutter this piece of furniture attracts (some stay empty, some are crowded)
    clutter: float


@dataclass(frozen=True)
class Thing:
    """An object instance: a fixture on the floor or wall, or an object placed in a receptacle."""

    id: str
    cls: str
    location: str
    receptacle: str | None = None


@dataclass(frozen=True)
class Layout:
    """A numbered floor plan: its receptacles, fixtures and the agent's start location (``size`` in [0, 1])."""

    number: int
    scene_type: str
    size: float
    receptacles: tuple[Receptacle, ...]
    fixtures: tuple[Thing, ...]
    start: str
    half_width: float
    half_depth: float

    @property
    def receptacle_classes(self) -> frozenset[str]:
        return frozenset(r.cls for r in self.receptacles)


class _Room:
    """Hands out unique positions, ids and locations while a layout or game is being built."""

    def __init__(self, rng: random.Random, half_width: float, half_depth: float, taken: set[str] | None = None):
        self.rng = rng
        self.hw, self.hd = half_width, half_depth
        self.taken: set[str] = set(taken or ())

    def position(self, near: tuple[float, float, float] | None = None) -> tuple[float, float, float]:
        r = self.rng
        if near is None:
            return (round(r.uniform(-self.hw, self.hw), 2), round(r.uniform(0.0, 2.2), 2),
                    round(r.uniform(-self.hd, self.hd), 2))
        x, y, z = near
        return (round(x + r.uniform(-0.4, 0.4), 2), round(y + r.uniform(0.0, 0.3), 2),
                round(z + r.uniform(-0.4, 0.4), 2))

    def unique(self, make: Callable[[float, float, float], str],
               near: tuple[float, float, float] | None = None) -> tuple[str, tuple[float, float, float]]:
        """A fresh id from ``make(x, y, z)`` (positions are re-drawn until the id is new)."""
        while True:
            pos = self.position(near)
            name = make(*pos)
            if name not in self.taken:
                self.taken.add(name)
                return name, pos

    def location(self, near: tuple[float, float, float] | None = None) -> str:
        """A fresh agent location: a grid cell (0.25 m), a facing and a camera horizon.

        With ``near``, the cell is a step or two from that position (where one stands to reach it).
        """
        r = self.rng
        while True:
            if near is None:
                cx, cz = int(self.hw * 4) + 2, int(self.hd * 4) + 2
                x, z = r.randint(-cx, cx), r.randint(-cz, cz)
            else:
                x, z = round(near[0] * 4) + r.randint(-3, 3), round(near[2] * 4) + r.randint(-3, 3)
            name = mangle(f"loc|{x}|{z}|{r.randint(0, 3)}|{r.choice(_HORIZONS)}")
            if name not in self.taken:
                self.taken.add(name)
                return name


def _count(rng: random.Random, fewest: int, most: int, size: float) -> int:
    if most <= fewest:
        return fewest
    return fewest + round((most - fewest) * size * rng.uniform(0.6, 1.0))


@lru_cache(maxsize=None)
def get_layout(number: int) -> Layout:
    """The receptacles and fixtures of floor plan ``number`` (same in every process).

    >>> lay = get_layout(1)
    >>> lay.scene_type, {"Fridge", "Microwave", "SinkBasin"} <= lay.receptacle_classes
    ('kitchen', True)
    """
    scene_type = next((s for s, numbers in T.LAYOUT_NUMBERS.items() if number in numbers), None)
    if scene_type is None:
        raise ValueError(f"no ALFWorld layout {number}; layouts are {dict(T.LAYOUT_NUMBERS)}")
    rng = random.Random(stable_seed("alfworld-layout", VERSION, number))
    size = rng.random()
    half_width, half_depth = round(2.0 + 3.0 * size, 2), round(2.0 + 2.5 * size, 2)
    room = _Room(rng, half_width, half_depth)

    receptacles: list[Receptacle] = []
    fixtures: list[Thing] = []
    for cls, fewest, most in T.SCENE_RECEPTACLES[scene_type]:
        n = _count(rng, fewest, most, size)
        if cls == "StoveBurner" and n % 2:
            n += 1  # burners come in front/back pairs that share a spot
        previous: Receptacle | None = None
        for i in range(n):
            rid, pos = room.unique(lambda x, y, z, c=cls: _receptacle_id(c, x, y, z))
            # ~19% of official receptacles share an agent location with a neighbour (stacked drawers,
            # paired burners); reproduce that, since it changes what "go to" reports.
            share = previous is not None and (
                (cls == "StoveBurner" and i % 2 == 1) or (cls in ("Drawer", "Cabinet") and rng.random() < 0.2))
            location = previous.location if share else room.location(near=pos)
            openable = cls in T.OPENABLE_CLASSES and not (cls in ("Cabinet", "Drawer") and rng.random() < 0.08)
            previous = Receptacle(rid, cls, location, openable, pos, clutter=rng.choice((0.15, 0.6, 1.0, 1.0)))
            receptacles.append(previous)
            # The fixture a basin belongs to, and its tap, stand nearby (official files list them).
            if cls in ("SinkBasin", "BathtubBasin"):
                x, y, z = pos
                base = "Sink" if cls == "SinkBasin" else "Bathtub"
                fixtures.append(Thing(_object_id(base, x, y, z), base, room.location(near=pos)))
                fid, fpos = room.unique(lambda a, b, c: _object_id("Faucet", a, b, c), near=pos)
                fixtures.append(Thing(fid, "Faucet", room.location(near=fpos)))
            if cls == "StoveBurner":
                kid, kpos = room.unique(lambda a, b, c: _object_id("StoveKnob", a, b, c), near=pos)
                fixtures.append(Thing(kid, "StoveKnob", room.location(near=kpos)))
    for cls, fewest, most in T.SCENE_FIXTURES[scene_type]:
        for _ in range(_count(rng, fewest, most, size)):
            fid, fpos = room.unique(lambda x, y, z, c=cls: _object_id(c, x, y, z))
            fixtures.append(Thing(fid, cls, room.location(near=fpos)))
    return Layout(number, scene_type, size, tuple(receptacles), tuple(fixtures), room.location(),
                  half_width, half_depth)


# ------------------------------------------------------------------------------------------------------
# Goals (the formulas ALFWorld's goal library writes; whitespace as in official files)
# ------------------------------------------------------------------------------------------------------

_STATE_GOAL = """
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            ({able} ?o)
                            (objectType ?o {obj}Type)
                            (receptacleType ?r {recep}Type)
                            ({state} ?o)
                            (inReceptacle ?o ?r)
                        )
                    )
                )
            )
        )
    )
    """

GOAL_PDDL = {
    "pick_and_place_simple": """
        (:goal
            (and
                (exists (?r - receptacle)
                    (exists (?o - object)
                        (and
                            (inReceptacle ?o ?r)
                            (objectType ?o {obj}Type)
                            (receptacleType ?r {recep}Type)
                        )
                    )
                )
            )
        )
    )
    """,
    "pick_clean_then_place_in_recep": _STATE_GOAL.replace("{able}", "cleanable").replace("{state}", "isClean"),
    "pick_heat_then_place_in_recep": _STATE_GOAL.replace("{able}", "heatable").replace("{state}", "isHot"),
    "pick_cool_then_place_in_recep": _STATE_GOAL.replace("{able}", "coolable").replace("{state}", "isCool"),
    "pick_two_obj_and_place": """
                (:goal
                    (and
                        (exists (?r - receptacle)
                            (exists (?o1 - object)
                                (and
                                    (objectType ?o1 {obj}Type)
                                    (receptacleType ?r {recep}Type)
                                    (inReceptacle ?o1 ?r)
                                    (exists (?o2 - object)
                                        (and
                                            (not (= ?o1 ?o2))
                                            (objectType ?o2 {obj}Type)
                                            (receptacleType ?r {recep}Type)
                                            (inReceptacle ?o2 ?r)
                                        )
                                    )
                                )
                            )
                        )
                    )
                )
            )
            """,
    "look_at_obj_in_light": """
        (:goal
             (and
                 (exists (?ot - object
                          ?r - receptacle
                          ?a - agent
                          ?l - location)
                     (and
                         (objectType ?ot {toggle}Type)
                         (toggleable ?ot)
                         (isToggled ?ot)
                         (receptacleAtLocation ?r ?l)
                         (atLocation ?a ?l)
                         (inReceptacle ?ot ?r)
                     )
                 )
                 (exists (?o - object
                          ?a - agent)
                     (and
                         (objectType ?o {obj}Type)
                         (holds ?a ?o)
                     )
                 )
             )
        )
    )
    """,
}


# ------------------------------------------------------------------------------------------------------
# Games
# ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """A drawn game before it is written out as PDDL: the room, the goal's parameters and the objects."""

    layout: Layout
    task_type: str
    object_target: str
    parent_target: str
    toggle_target: str
    objects: tuple[Thing, ...]
    goal: str


def _choose_goal(rng: random.Random, task_type: str, layout: Layout) -> tuple[str, str, str] | None:
    """(object class, parent receptacle class, lamp class) for a task in this room, or None if none fits."""
    vocabulary = [cls for cls, _ in T.SCENE_OBJECTS[layout.scene_type]]
    present = layout.receptacle_classes
    if task_type == "look_at_obj_in_light":
        if not present & T.LAMP_HOSTS:
            return None
        holdable = [c for c in vocabulary if any(T.can_contain(r, c) for r in present)]
        return (rng.choice(holdable), "", "DeskLamp") if holdable else None

    appliance = T.APPLIANCE.get(task_type)
    if appliance is not None and appliance not in present:
        return None
    allowed = T.TASK_OBJECTS.get(task_type)
    pairs = []
    for obj in vocabulary:
        if allowed is not None and obj not in allowed:
            continue
        for recep in sorted(present):
            # The object must start somewhere other than the goal receptacle class, and the goal must not
            # be the appliance the task uses ("put a hot apple in microwave" would be half done by heating).
            if recep == appliance or not T.can_contain(recep, obj):
                continue
            if any(T.can_contain(other, obj) for other in present if other != recep):
                pairs.append((obj, recep))
    if not pairs:
        return None
    # Choose the object first, then its receptacle, so rich objects (placeable anywhere) do not dominate.
    obj = rng.choice(sorted({o for o, _ in pairs}))
    recep = rng.choice([r for o, r in pairs if o == obj])
    return obj, recep, ""


def _place_objects(rng: random.Random, layout: Layout, target: str, parent: str, toggle: str,
                   n_target: int) -> tuple[Thing, ...] | None:
    taken = {r.id for r in layout.receptacles} | {f.id for f in layout.fixtures}
    room = _Room(rng, layout.half_width, layout.half_depth, taken)
    density = 0.35 + 0.65 * layout.size  # small rooms hold fewer kinds of object
    counts: dict[str, int] = {}
    for cls, p in T.SCENE_OBJECTS[layout.scene_type]:
        if rng.random() < p * density:
            counts[cls] = rng.randint(1, 3)
    counts[target] = n_target
    if toggle:
        counts[toggle] = 1
    for cls, p in T.SCENE_DECOR[layout.scene_type]:
        if rng.random() < p:
            counts[cls] = counts.get(cls, 0) + 1

    things: list[Thing] = []
    for cls in sorted(counts):
        if cls in T.DECOR_HOSTS:  # non-pickupable things standing in a receptacle
            hosts = [r for r in layout.receptacles if r.cls in T.DECOR_HOSTS[cls]]
        else:
            hosts = [r for r in layout.receptacles if T.can_contain(r.cls, cls)]
            if cls == target:  # the goal must not hold at the start
                hosts = [r for r in hosts if r.cls != parent]
        if not hosts:
            if cls in (target, toggle):
                return None
            if cls in T.PICKUPABLE:
                # With nowhere to go (a scrub brush, a plunger without a cabinet) it lies on the floor, as in
                # official files: listed, but never in reach of `take`.
                for _ in range(counts[cls]):
                    oid, opos = room.unique(lambda x, y, z, c=cls: _object_id(c, x, y, z))
                    things.append(Thing(oid, cls, room.location(near=opos)))
            continue
        weights = [r.clutter for r in hosts]
        for _ in range(counts[cls]):
            host = rng.choices(hosts, weights)[0]
            oid, _ = room.unique(lambda x, y, z, c=cls: _object_id(c, x, y, z), near=host.position)
            things.append(Thing(oid, cls, host.location, receptacle=host.id))
    return tuple(things)


def _draft(split: str, task_id: int, attempt: int) -> Draft | None:
    rng = random.Random(ALFWORLD_TASKS.seed_for(split, task_id, attempt))
    task_type = TASK_TYPES[task_id % len(TASK_TYPES)]  # cycling types keeps every split balanced
    scene_type = rng.choice(sorted(T.VALID_SCENES[task_type]))
    layout = get_layout(rng.choice(layouts_for(split, scene_type)))
    chosen = _choose_goal(rng, task_type, layout)
    if chosen is None:
        return None
    obj, recep, toggle = chosen
    n_target = rng.randint(2, 3) if task_type == "pick_two_obj_and_place" else rng.randint(1, 3)
    objects = _place_objects(rng, layout, obj, recep, toggle, n_target)
    if objects is None:
        return None
    template = rng.choice(T.GOAL_TEMPLATES[task_type])
    goal = template.format(obj=obj.lower(), recep=recep.lower(), toggle=toggle.lower())
    return Draft(layout, task_type, obj, recep, toggle, objects, goal)


def check_draft(draft: Draft) -> list[str]:
    """Static checks that a drawn game can be won; returns the problems found (empty when fine)."""
    problems = []
    lay, task = draft.layout, draft.task_type
    placed = [t for t in draft.objects if t.receptacle is not None]
    targets = [t for t in placed if t.cls == draft.object_target]
    need = 2 if task == "pick_two_obj_and_place" else 1
    if len(targets) < need or draft.object_target not in T.PICKUPABLE:
        problems.append(f"needs {need} pickupable {draft.object_target} in receptacles, has {len(targets)}")
    if task == "look_at_obj_in_light":
        if not any(t.cls == draft.toggle_target for t in placed):
            problems.append("no lamp standing in a receptacle")
    else:
        if not any(T.can_contain(r.cls, draft.object_target) and r.cls == draft.parent_target
                   for r in lay.receptacles):
            problems.append(f"no {draft.parent_target} that can hold {draft.object_target}")
        appliance = T.APPLIANCE.get(task)
        if appliance and appliance not in lay.receptacle_classes:
            problems.append(f"no {appliance}")
        if appliance and draft.object_target not in T.TASK_OBJECTS[task]:
            problems.append(f"{draft.object_target} cannot be used for {task}")
        parents = {r.id for r in lay.receptacles if r.cls == draft.parent_target}
        if any(t.receptacle in parents for t in targets):
            problems.append("goal already (partly) satisfied at the start")
    return problems


def write_problem(draft: Draft, name: str) -> str:
    """The PDDL problem text of a drawn game, in the layout of official ``game.tw-pddl`` files."""
    lay = draft.layout
    things = sorted(lay.fixtures + draft.objects, key=lambda t: t.id)
    receptacles = sorted(lay.receptacles, key=lambda r: r.id)
    locations = list(dict.fromkeys([lay.start] + [r.location for r in lay.receptacles] +
                                   [t.location for t in things]))
    pad = "\n        "

    objects = ["agent1 - agent", pad.join(f"{c} - object" for c in T.OBJECT_TYPES),
               pad.join(f"{c}Type - otype" for c in T.OBJECT_TYPES),
               pad.join(f"{c}Type - rtype" for c in T.RECEPTACLE_TYPES) + "\n\n"]
    body = [f"{t.id} - object" for t in things] + [f"{r.id} - receptacle" for r in receptacles]
    body += [f"{loc} - location" for loc in locations]

    typed = {t.cls for t in things if t.cls in T.OBJECT_TYPES}  # e.g. faucets have no type constant
    pickup = [t for t in things if t.cls in T.PICKUPABLE]
    pick_classes = {t.cls for t in pickup}
    rec_classes = sorted({r.cls for r in receptacles})

    def facts(pred: str, rows) -> list[str]:
        return [f"({pred} {' '.join(row)})" for row in rows]

    init: list[list[str]] = [
        facts("receptacleType", [(r.id, f"{r.cls}Type") for r in receptacles]),
        facts("objectType", [(t.id, f"{t.cls}Type") for t in things if t.cls in typed]),
        facts("canContain", [(f"{rc}Type", f"{oc}Type") for rc in rec_classes for oc in sorted(pick_classes)
                             if T.can_contain(rc, oc)]),
        facts("pickupable", [(t.id,) for t in pickup]),
        facts("isReceptacleObject", [(t.id,) for t in pickup if t.cls in T.MOVABLE_RECEPTACLES]),
        facts("openable", [(r.id,) for r in receptacles if r.openable]),
        [f"(atLocation agent1 {lay.start})"],
        facts("cleanable", [(t.id,) for t in pickup if t.cls in T.CLEANABLE]),
        facts("heatable", [(t.id,) for t in pickup if t.cls in T.HEATABLE]),
        facts("coolable", [(t.id,) for t in pickup if t.cls in T.COOLABLE]),
        facts("toggleable", [(t.id,) for t in things if t.cls in T.TOGGLEABLE]),
        facts("sliceable", [(t.id,) for t in pickup if t.cls in T.SLICEABLE]),
        facts("inReceptacle", [(t.id, t.receptacle) for t in things if t.receptacle is not None]),
        facts("receptacleAtLocation", [(r.id, r.location) for r in receptacles]),
        facts("objectAtLocation", [(t.id, t.location) for t in things]),
    ]
    goal = GOAL_PDDL[draft.task_type].format(obj=draft.object_target, recep=draft.parent_target,
                                             toggle=draft.toggle_target)
    return (f"\n(define (problem {name})\n(:domain alfred)\n(:objects\n"
            + "\n".join(objects) + pad + pad.join(body) + "\n        )\n    \n\n(:init\n\n"
            + "".join(pad + pad.join(group) + "\n" for group in init if group)
            + "        )\n    \n" + goal)


def display_names(ids) -> dict[str, str]:
    """The names the text game shows for PDDL ids: ``cabinet 3``, ``sinkbasin 1`` (lower-cased, like the engine).

    The engine's own :func:`~spa_gym.envs.alfworld.world.demangle`, keyed by the given ids.

    >>> display_names(["Cabinet_bar_01", "Cabinet_bar_02", "Sink_bar_1_bar_SinkBasin"])
    {'Cabinet_bar_01': 'cabinet 2', 'Cabinet_bar_02': 'cabinet 1', 'Sink_bar_1_bar_SinkBasin': 'sinkbasin 1'}
    """
    ids = sorted(set(ids))
    engine_names = demangle(id_.lower() for id_ in ids)
    return {id_: engine_names[id_.lower()] for id_ in ids}


def scripted_plan(draft: Draft, dialect: str = "classic") -> tuple[str, ...]:
    """A straightforward winning command sequence for a drawn game (the walkthrough of its game file).

    It goes to where the target lies, opens what is closed, takes it, uses the appliance or the lamp,
    and puts it in the nearest-numbered goal receptacle. Not always shortest; always valid.
    """
    lay = draft.layout
    receptacles = {r.id: r for r in lay.receptacles}
    names = display_names([*receptacles, *(t.id for t in lay.fixtures + draft.objects)])
    plan: list[str] = []
    here, opened = lay.start, set()

    def go(rid: str) -> None:
        nonlocal here
        if receptacles[rid].location != here:
            plan.append(f"go to {names[rid]}")
            here = receptacles[rid].location
        if receptacles[rid].openable and rid not in opened:
            plan.append(f"open {names[rid]}")
            opened.add(rid)

    def first(cls: str) -> str:
        return min((r for r in lay.receptacles if r.cls == cls), key=lambda r: names[r.id]).id

    def put(oid: str, rid: str) -> None:
        go(rid)
        verb = f"put {names[oid]} in/on" if dialect == "classic" else f"move {names[oid]} to"
        plan.append(f"{verb} {names[rid]}")

    targets = sorted((t for t in draft.objects if t.cls == draft.object_target and t.receptacle),
                     key=lambda t: names[t.id])
    task = draft.task_type
    for obj in targets[: 2 if task == "pick_two_obj_and_place" else 1]:
        go(obj.receptacle)
        plan.append(f"take {names[obj.id]} from {names[obj.receptacle]}")
        if task == "look_at_obj_in_light":
            lamp = next(t for t in draft.objects if t.cls == draft.toggle_target)
            go(lamp.receptacle)
            plan.append(f"use {names[lamp.id]}")
            continue
        appliance = T.APPLIANCE.get(task)
        if appliance:
            app = first(appliance)
            if receptacles[app].location != here:
                plan.append(f"go to {names[app]}")
                here = receptacles[app].location
            verb = {"Microwave": "heat", "Fridge": "cool", "SinkBasin": "clean"}[appliance]
            plan.append(f"{verb} {names[obj.id]} with {names[app]}")
        put(obj.id, first(draft.parent_target))
    return tuple(plan)


def draw_game(split: str, task_id: int, attempt: int = 0) -> tuple[GameSpec, Draft] | None:
    """Draw attempt ``attempt`` of a task, before the engine checks; None when the static checks reject it.

    :func:`make_game` is what users want; this is the fast first half, for tools that scan whole splits.
    """
    ALFWORLD_TASKS.check(split, task_id)
    draft = _draft(split, task_id, attempt)
    if draft is None or check_draft(draft):
        return None
    lay = draft.layout
    # The problem is named after its own content (never the split or seed), so two splits holding the same
    # game would hold the same text: that is what the split-disjointness test compares.
    body = write_problem(draft, "")
    name = f"plan_spa_FloorPlan{lay.number}_{hashlib.sha256(body.encode()).hexdigest()[:16]}"
    game = GameSpec(
        problem=write_problem(draft, name),
        task_type=draft.task_type,
        goal=draft.goal,
        dialect="classic",
        name=f"generated/{VERSION}/{split}/{task_id}",
        pddl_params={"object_target": draft.object_target, "parent_target": draft.parent_target,
                     "toggle_target": draft.toggle_target, "mrecep_target": "", "object_sliced": False},
        walkthrough=scripted_plan(draft, "classic"),
        scene={"scene_type": lay.scene_type, "layout": lay.number, "floorplan": f"FloorPlan{lay.number}",
               "receptacles": len(lay.receptacles), "objects": len(lay.fixtures) + len(draft.objects),
               "attempt": attempt},
    )
    return game, draft


def engine_check(game: GameSpec) -> str | None:
    """Play ``game`` on the native engine: its walkthrough must win and the expert must find a plan.

    Returns what went wrong, or None when the game is sound.
    """
    from spa_gym.envs.alfworld.env import NativeGame
    from spa_gym.envs.alfworld.expert import solve

    native = NativeGame(game)
    native.reset()
    for command in game.walkthrough or ():
        if command not in native.admissible_commands():
            return f"walkthrough command {command!r} is not admissible"
        native.step(command)
    if not native.won:
        return "the walkthrough does not win"
    if solve(game) is None:
        return "the expert finds no plan"
    return None


@lru_cache(maxsize=1024)  # ~35 kB a game: bounded, so a worker scanning train stays small
def _generate(split: str, task_id: int) -> tuple[GameSpec, Draft]:
    ALFWORLD_TASKS.check(split, task_id)
    for attempt in range(MAX_ATTEMPTS):
        drawn = draw_game(split, task_id, attempt)
        if drawn is not None and engine_check(drawn[0]) is None:
            return drawn
    raise RuntimeError(f"could not generate ALFWorld task {split}/{task_id} in {MAX_ATTEMPTS} attempts")


def make_game(split: str, task_id: int, dialect: str = "classic") -> GameSpec:
    """The generated game ``task_id`` of ``split`` ("train", "valid", "test" or "test_unseen").

    Every game returned has passed the static checks and :func:`engine_check` (its walkthrough wins on the
    native engine, and the expert solves it). The problem text does not depend on ``dialect``; the dialect
    decides the command wording the engine uses, and that of ``walkthrough``. Cached per process.
    Raises ``ValueError`` for an unknown split, task id or dialect.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {DIALECTS}")
    game, draft = _generate(split, task_id)
    if dialect == "classic":
        return game
    return dataclasses.replace(game, dialect=dialect, walkthrough=scripted_plan(draft, dialect))
