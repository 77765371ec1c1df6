"""Task families from VirtualHome's common programs, the generator, and the fixed train/valid/test splits.

A family picks the instances it needs in a house, sets the initial states the task starts from (the TV
off, the plate dirty, ...), and lists high-level operations. The :class:`~.expert.Planner` turns those
into a reference plan of commands; the goal is the diff between the initial and final graphs
(:func:`~.goals.diff_goal`), and the task is kept only if the expert, knowing nothing but the goal,
solves it from the initial state. Test tasks live in houses no train or valid task uses.

>>> task = load_task("train", 3)
>>> task.split, task.task_id, task.family == FAMILIES[3].name
('train', 3, True)
>>> task.observation.startswith("The task is ")
True
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from spa_gym.core.tasks import TaskSet
from spa_gym.envs.virtualhome.executor import room_of, swap_state
from spa_gym.envs.virtualhome.expert import Planner, PlanError, expert_plan, plan_into, run_plan
from spa_gym.envs.virtualhome.goals import Goal, diff_goal
from spa_gym.envs.virtualhome.graph import EnvGraph
from spa_gym.envs.virtualhome.scenes import build_scene
from spa_gym.envs.virtualhome.text import task_observation
from spa_gym.envs.virtualhome.world import World

#: Bump when generation changes in a way that changes tasks (the test manifest pins the test split).
TASKS_VERSION = "v1"
TASK_SET = TaskSet("virtualhome", TASKS_VERSION, {"train": 3000, "valid": 300, "test": 300})
#: Houses per split: test houses are never used by train or valid tasks.
SPLIT_HOUSES: dict[str, range] = {"train": range(0, 120), "valid": range(10_000, 10_020),
                                  "test": range(20_000, 20_030)}
#: Longest reference plan kept (the episode limit is 40 steps).
MAX_PLAN = 30
MANIFEST_PATH = Path(__file__).with_name(f"test_manifest_{TASKS_VERSION}.json")

#: A high-level operation of a family: ("get", x), ("place", x, y, "ON" or "INSIDE"), ("state", x, STATE),
#: ("sit", seat), ("lie", seat), or ("do", VERB, *node_ids) for a command run as written.
Op = tuple


@dataclass
class Task:
    """One task: its house and initial graph, the goal, and how SPA-RL would present it."""

    split: str
    task_id: int
    family: str
    title: str
    description: str
    scene_seed: int
    graph: EnvGraph
    goal: Goal
    object_ids: dict[str, int]
    reference_plan: list[str]

    @property
    def observation(self) -> str:
        return task_observation(self.title, self.description)

    def initial_graph(self) -> EnvGraph:
        return self.graph.copy()

    def digest(self) -> str:
        """A short hash of everything that defines the task (for the versioned manifest)."""
        blob = json.dumps({"family": self.family, "title": self.title, "description": self.description,
                           "scene": self.scene_seed, "graph": self.graph.to_json(), "goal": self.goal.to_json(),
                           "object_ids": sorted(self.object_ids.items())}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------- helpers for families
def _of(g: EnvGraph, cls: str, rng: random.Random, room: int | None = None) -> int | None:
    ids = [i for i in g.by_class.get(cls, ()) if room is None or room_of(g, i) == room]
    return rng.choice(ids) if ids else None


def _first(g: EnvGraph, classes: tuple[str, ...], rng: random.Random, room: int | None = None) -> int | None:
    for cls in classes:
        node = _of(g, cls, rng, room)
        if node is not None:
            return node
    return None


def _room_name(g: EnvGraph, node: int) -> str:
    room = room_of(g, node)
    return g.nodes[room].class_name.replace("_", " ") if room is not None else "house"


def _seat_facing(g: EnvGraph, screen: int) -> int | None:
    seats = sorted(s for s in g.sources(screen, "FACING") if "SITTABLE" in g.nodes[s].properties)
    return seats[0] if seats else None


def _kitchen(g: EnvGraph) -> int | None:
    return next((r for r in g.rooms() if g.nodes[r].class_name in ("kitchen", "dining_room")), None)


FamilyResult = tuple[str, list[Op]] | None  # (description, ops)


@dataclass(frozen=True)
class Family:
    """A task family: the program title and a builder that picks instances, sets states and lists ops."""

    name: str
    title: str
    build: Callable[[EnvGraph, random.Random], FamilyResult]


def _watch_tv(g, rng):
    tv = _of(g, "television", rng)
    seat = _seat_facing(g, tv) if tv else None
    if seat is None:
        return None
    return (f"Go to the {_room_name(g, tv)}, switch on the television and watch it from the "
            f"{g.nodes[seat].class_name}.", [("state", tv, "ON"), ("sit", seat), ("do", "WATCH", tv)])


def _light(on: bool):
    def build(g, rng):
        light = _of(g, "light", rng)
        if on:
            swap_state(g, light, "ON", "OFF")
        verb = "on" if on else "off"
        return (f"Walk to the light switch in the {_room_name(g, light)} and turn the light {verb}.",
                [("state", light, "ON" if on else "OFF")])
    return build


def _read_book(g, rng):
    book = _first(g, ("book", "novel"), rng)
    if book is None:
        return None
    room = room_of(g, book)
    seat = _first(g, ("couch", "chair", "bed", "loveseat"), rng, room) or _first(g, ("couch", "chair"), rng)
    if seat is None:
        return None
    return (f"Take a {g.nodes[book].class_name} from the {_room_name(g, book)}, sit down on the "
            f"{g.nodes[seat].class_name} and read it.", [("get", book), ("sit", seat), ("do", "READ", book)])


def _drink(g, rng):
    cup = _first(g, ("water_glass", "cup", "mug"), rng)
    if cup is None:
        return None
    return (f"Get a {g.nodes[cup].class_name.replace('_', ' ')} in the {_room_name(g, cup)} and drink from it.",
            [("get", cup), ("do", "DRINK", cup)])


def _desk_work(extra_plug: str | None, what: str):
    def build(g, rng):
        computer = _of(g, "computer", rng)
        chair = _seat_facing(g, computer) if computer else None
        if chair is None:
            return None
        ops: list[Op] = [("state", computer, "ON")]
        if extra_plug is not None:
            device = _of(g, extra_plug, rng, room_of(g, computer))
            if device is None:
                return None
            swap_state(g, device, "PLUGGED_IN", "PLUGGED_OUT")
            ops.append(("state", device, "PLUGGED_IN"))
        keyboard = _of(g, "keyboard", rng, room_of(g, computer))
        if keyboard is not None:
            ops.append(("do", "TYPE", keyboard))
        ops.append(("sit", chair))
        return f"Go to the {_room_name(g, computer)} and {what}.", ops
    return build


def _browse_internet(g, rng):
    laptop = _of(g, "laptop", rng)
    if laptop is None:
        return None
    seat = _first(g, ("couch", "chair", "loveseat"), rng, room_of(g, laptop))
    if seat is None:
        return None
    return (f"Take the laptop in the {_room_name(g, laptop)}, sit on the {g.nodes[seat].class_name} and "
            "switch the laptop on to browse the internet.",
            [("get", laptop), ("sit", seat), ("state", laptop, "ON")])


def _wash_clothes(g, rng):
    machine = _of(g, "washing_machine", rng)
    clothes = _first(g, ("clothes_shirt", "clothes_pants"), rng)
    if machine is None or clothes is None:
        return None
    swap_state(g, clothes, "CLEAN", "DIRTY")
    name = g.nodes[clothes].class_name.replace("clothes_", "")
    return (f"Put the dirty {name} in the washing machine in the {_room_name(g, machine)}, close it and "
            "switch it on.", [("place", clothes, machine, "INSIDE"), ("state", machine, "CLOSED"),
                              ("state", machine, "ON")])


def _cook(g, rng):
    kitchen = _kitchen(g)
    if kitchen is None:
        return None
    food = _first(g, ("food_food", "food_egg", "food_carrot", "food_bread"), rng)
    oven = _first(g, ("microwave", "oven"), rng)
    if food is None or oven is None:
        return None
    return (f"Take some food, put it in the {g.nodes[oven].class_name}, close it and switch it on.",
            [("place", food, oven, "INSIDE"), ("state", oven, "CLOSED"), ("state", oven, "ON")])


def _set_table(g, rng):
    table = _first(g, ("kitchen_table",), rng) or _first(g, ("table",), rng)
    plate, fork = _of(g, "plate", rng), _of(g, "fork", rng)
    if table is None or plate is None or fork is None:
        return None
    return (f"Put a plate and a fork on the {g.nodes[table].class_name.replace('_', ' ')}.",
            [("place", plate, table, "ON"), ("place", fork, table, "ON")])


def _relax(g, rng):
    couch = _first(g, ("couch", "loveseat"), rng)
    if couch is None:
        return None
    ops: list[Op] = []
    pillow = next((p for p in sorted(g.sources(couch, "ON")) if g.nodes[p].class_name == "pillow"), None)
    if pillow is not None:
        ops.append(("get", pillow))
    ops.append(("lie", couch))
    return f"Go to the {_room_name(g, couch)} and lie down on the {g.nodes[couch].class_name} to relax.", ops


def _wash_dishes_by_hand(g, rng):
    kitchen = _kitchen(g)
    plate = _of(g, "plate", rng)
    faucet = _of(g, "faucet", rng, kitchen) if kitchen else None
    counter = _of(g, "kitchen_counter", rng)
    if None in (plate, faucet, counter):
        return None
    swap_state(g, plate, "CLEAN", "DIRTY")
    return ("Take the dirty plate, wash it at the sink with the faucet running, and leave it on the kitchen counter.",
            [("get", plate), ("state", faucet, "ON"), ("state", plate, "CLEAN"), ("state", faucet, "OFF"),
             ("place", plate, counter, "ON")])


def _shower(g, rng):
    shower, towel = _of(g, "shower", rng), _of(g, "towel", rng)
    if shower is None or towel is None:
        return None
    return "Take a towel in the bathroom and switch on the shower.", [("get", towel), ("state", shower, "ON")]


def _coffee(g, rng):
    maker, coffee = _of(g, "coffe_maker", rng), _of(g, "coffee", rng)
    if maker is None or coffee is None:
        return None
    if rng.random() < 0.5:
        swap_state(g, maker, "PLUGGED_IN", "PLUGGED_OUT")
    return ("Fill the coffee maker with coffee, close it and switch it on.",
            [("get", coffee), ("state", maker, "OPEN"), ("do", "POUR", coffee, maker), ("state", maker, "CLOSED"),
             ("state", maker, "ON")])


def _toilet(g, rng):
    toilet = _of(g, "toilet", rng)
    if toilet is None:
        return None
    return "Go to the bathroom, open the toilet and sit on it.", [("state", toilet, "OPEN"), ("sit", toilet)]


def _phone(g, rng):
    phone = _first(g, ("phone", "cellphone"), rng)
    if phone is None:
        return None
    return (f"Go to the {_room_name(g, phone)} and pick up the {g.nodes[phone].class_name}.", [("get", phone)])


def _dishwasher(g, rng):
    washer, plate = _of(g, "dishwasher", rng), _of(g, "plate", rng)
    if washer is None or plate is None:
        return None
    swap_state(g, plate, "CLEAN", "DIRTY")
    ops: list[Op] = [("place", plate, washer, "INSIDE")]
    cup = _of(g, "cup", rng)
    if cup is not None and rng.random() < 0.5:
        swap_state(g, cup, "CLEAN", "DIRTY")
        ops.append(("place", cup, washer, "INSIDE"))
    return ("Load the dirty dishes into the dishwasher, close it and start it.",
            ops + [("state", washer, "CLOSED"), ("state", washer, "ON")])


def _pet_cat(g, rng):
    cat = _of(g, "cat", rng)
    seat = _first(g, ("couch", "loveseat", "chair"), rng, room_of(g, cat)) if cat else None
    if seat is None:
        return None
    return (f"Find the cat, pet it, pick it up and sit down on the {g.nodes[seat].class_name} with it.",
            [("do", "TOUCH", cat), ("get", cat), ("sit", seat)])


def _music(g, rng):
    radio = _of(g, "radio", rng)
    if radio is None:
        return None
    if rng.random() < 0.5:
        swap_state(g, radio, "PLUGGED_IN", "PLUGGED_OUT")
    return f"Go to the {_room_name(g, radio)} and switch on the radio to listen to music.", [("state", radio, "ON")]


def _wash_body(part: str):
    def build(g, rng):
        node = _of(g, part, rng)
        faucet = _of(g, "faucet", rng, room_of(g, node)) if node else None
        if faucet is None:
            return None
        swap_state(g, node, "CLEAN", "DIRTY")
        ops: list[Op] = [("state", faucet, "ON"), ("state", node, "CLEAN"), ("state", faucet, "OFF")]
        if part == "face":
            towel = _of(g, "towel", rng)
            if towel is None:
                return None
            ops += [("get", towel), ("do", "WIPE", node)]
            return "Go to the bathroom sink, wash your face, then dry it with a towel.", ops
        return "Go to the bathroom sink, turn on the water, wash your hands and turn the water off.", ops
    return build


def _channel(g, rng):
    remote = _of(g, "remote_control", rng)
    tv = _of(g, "television", rng, room_of(g, remote)) if remote else None
    seat = _seat_facing(g, tv) if tv else None
    if seat is None:
        return None
    return ("Grab the remote control, switch on the television and sit down to change the channel.",
            [("get", remote), ("state", tv, "ON"), ("sit", seat), ("do", "PUSH", remote)])


def _brush_teeth(g, rng):
    brush, paste = _of(g, "toothbrush", rng), _of(g, "tooth_paste", rng)
    if brush is None or paste is None:
        return None
    return ("Take the tooth paste, open it, take the toothbrush and put tooth paste on it.",
            [("get", paste), ("state", paste, "OPEN"), ("get", brush), ("do", "POUR", paste, brush)])


def _groceries(g, rng):
    groceries, fridge = _of(g, "groceries", rng), _of(g, "fridge", rng)
    if groceries is None or fridge is None:
        return None
    return ("Take the groceries, put them in the fridge and close the fridge.",
            [("place", groceries, fridge, "INSIDE"), ("state", fridge, "CLOSED")])


def _sleep(g, rng):
    bed = _of(g, "bed", rng)
    if bed is None:
        return None
    light = _of(g, "light", rng, room_of(g, bed))
    ops: list[Op] = [("state", light, "OFF")] if light is not None else []
    # No SLEEP command after lying down: VirtualHome HEAD reads the posture on the episode's start graph, so
    # it fails there (spa mode); it changes nothing in the graph, so the goal is the same without it.
    return "Go to the bedroom, turn off the light and lie down on the bed to sleep.", ops + [("lie", bed)]


def _clean(g, rng):
    table = _first(g, ("kitchen_table", "coffee_table", "desk", "table"), rng)
    rag = _first(g, ("rag", "sponge"), rng)
    if table is None or rag is None:
        return None
    swap_state(g, table, "CLEAN", "DIRTY")
    return (f"Take a {g.nodes[rag].class_name} and wipe the dirty {g.nodes[table].class_name.replace('_', ' ')} "
            f"in the {_room_name(g, table)} clean.", [("get", rag), ("do", "WIPE", table)])


def _vacuum(g, rng):
    vacuum = _of(g, "vacuum_cleaner", rng)
    if vacuum is None:
        return None
    swap_state(g, vacuum, "PLUGGED_IN", "PLUGGED_OUT")
    return ("Get the vacuum cleaner out of the closet, plug it in and switch it on.",
            [("get", vacuum), ("state", vacuum, "PLUGGED_IN"), ("state", vacuum, "ON")])


def _make_bed(g, rng):
    bed, blanket = _of(g, "bed", rng), _of(g, "blanket", rng)
    if bed is None or blanket is None:
        return None
    return "Take the blanket and spread it on the bed.", [("place", blanket, bed, "ON")]


def _window(g, rng):
    window = _of(g, "window", rng)
    return f"Go to the {_room_name(g, window)} and open the window.", [("state", window, "OPEN")]


def _trash(g, rng):
    paper = _first(g, ("paper", "newspaper", "magazine"), rng)
    can = _of(g, "trashcan", rng, room_of(g, paper)) if paper else None
    can = can or (_of(g, "trashcan", rng) if paper else None)
    if can is None:
        return None
    return (f"Throw the {g.nodes[paper].class_name} away in the trash can and close it.",
            [("place", paper, can, "INSIDE"), ("state", can, "CLOSED")])


def _put_on_shelf(g, rng):
    book = _first(g, ("book", "novel"), rng)
    shelf = _first(g, ("nightstand", "desk", "coffee_table"), rng) if book else None
    if shelf is None or g.has_edge(book, "ON", shelf):
        return None
    return (f"Pick up a {g.nodes[book].class_name} and put it on the {g.nodes[shelf].class_name.replace('_', ' ')}.",
            [("place", book, shelf, "ON")])


#: The task families, after VirtualHome's most common program titles.
FAMILIES: tuple[Family, ...] = (
    Family("watch_tv", "Watch TV", _watch_tv),
    Family("turn_on_light", "Turn on light", _light(True)),
    Family("read_book", "Read book", _read_book),
    Family("drink", "Drink", _drink),
    Family("work", "Work", _desk_work(None, "switch on the computer and sit down at the desk to work")),
    Family("browse_internet", "Browse internet", _browse_internet),
    Family("write_email", "Write an email",
           _desk_work("keyboard", "plug in the keyboard, switch on the computer and sit down to write an email")),
    Family("wash_clothes", "Wash clothes", _wash_clothes),
    Family("cook_food", "Cook some food", _cook),
    Family("set_up_table", "Set up table", _set_table),
    Family("relax_on_sofa", "Relax on sofa", _relax),
    Family("wash_dishes_by_hand", "Wash dishes by hand", _wash_dishes_by_hand),
    Family("take_shower", "Take shower", _shower),
    Family("make_coffee", "Make coffee", _coffee),
    Family("go_to_toilet", "Go to toilet", _toilet),
    Family("pick_up_phone", "Pick up phone", _phone),
    Family("wash_dishes_with_dishwasher", "Wash dishes with dishwasher", _dishwasher),
    Family("pet_cat", "Pet cat", _pet_cat),
    Family("listen_to_music", "Listen to music", _music),
    Family("wash_hands", "Wash hands", _wash_body("hands_both")),
    Family("change_tv_channel", "Change TV channel", _channel),
    Family("brush_teeth", "Brush teeth", _brush_teeth),
    Family("put_groceries_in_fridge", "Put groceries in Fridge", _groceries),
    Family("go_to_sleep", "Go to sleep", _sleep),
    Family("clean", "Clean", _clean),
    Family("play_games", "Play games",
           _desk_work("mouse", "plug in the mouse, switch on the computer and sit down to play")),
    Family("vacuum", "Vacuum", _vacuum),
    Family("make_bed", "Make bed", _make_bed),
    Family("turn_off_light", "Turn off light", _light(False)),
    Family("open_window", "Open window", _window),
    Family("wash_face", "Wash face", _wash_body("face")),
    Family("throw_away_paper", "Throw away paper", _trash),
    Family("put_book_away", "Put book away", _put_on_shelf),
)
FAMILY_NAMES = tuple(f.name for f in FAMILIES)


# ---------------------------------------------------------------------- generation
def _run_ops(planner: Planner, ops: list[Op]) -> None:
    for op in ops:
        kind = op[0]
        if kind == "get":
            planner.get(op[1])
        elif kind == "place":
            planner.place(op[1], op[2], op[3])
        elif kind == "state":
            planner.set_state(op[1], op[2])
        elif kind in ("sit", "lie"):
            planner.rest(op[1], "SITTING" if kind == "sit" else "LYING")
        elif kind == "do":
            if op[1] in ("TOUCH", "TYPE", "WIPE"):  # verbs that need the agent next to the object
                planner.approach(op[2])
            planner.do(op[1], *op[2:])
        else:
            raise ValueError(f"unknown op {op!r}")


def generate_task(family: Family, scene_seed: int, seed: int, split: str = "train", task_id: int = 0) -> Task | None:
    """One task of ``family`` in house ``scene_seed``, or None if the house lacks what it needs or the
    expert can not solve it from the goal alone."""
    rng = random.Random(seed)
    g = build_scene(scene_seed).graph
    built = family.build(g, rng)
    if built is None:
        return None
    description, ops = built
    first = ops[0][1] if ops[0][0] != "do" else ops[0][2]
    start_rooms = [r for r in g.rooms() if r != room_of(g, first)]
    char = g.character_id
    g.remove_edges_of(char, ("INSIDE",))
    g.add_edge(char, "INSIDE", rng.choice(start_rooms))
    initial = g.copy()
    planner = Planner(World(g), name_instances=True, max_commands=MAX_PLAN)
    try:
        _run_ops(planner, ops)
    except PlanError:
        return None
    goal = diff_goal(initial, planner.world.graph)
    if goal.is_empty():
        return None
    object_ids = dict(sorted(planner.named.items()))
    world = World(initial.copy(), object_ids)
    try:
        plan = expert_plan(world, goal, max_commands=MAX_PLAN)
        if not goal.satisfied(run_plan(world, plan).graph):
            return None
    except PlanError:
        return None
    return Task(split, task_id, family.name, family.title, description, scene_seed, initial, goal, object_ids,
                planner.commands)


@lru_cache(maxsize=512)
def _load_task_cached(split: str, task_id: int) -> Task:
    TASK_SET.check(split, task_id)
    family = FAMILIES[task_id % len(FAMILIES)]
    houses = SPLIT_HOUSES[split]
    for attempt in range(200):
        seed = TASK_SET.seed_for(split, task_id, attempt)
        house = houses[seed % len(houses)]
        task = generate_task(family, house, seed, split, task_id)
        if task is not None:
            return task
    raise RuntimeError(f"no {family.name} task could be generated for {split}/{task_id}")  # pragma: no cover


def load_task(split: str, task_id: int) -> Task:
    """Task ``task_id`` of a split (generated on first use, then cached). Raises ValueError on bad ids."""
    return _load_task_cached(split, int(task_id))


def manifest(split: str = "test") -> dict:
    """The split's task list (family, house, digest) and its overall hash; the test split's is committed."""
    rows = []
    for i in range(TASK_SET.size(split)):
        t = load_task(split, i)
        rows.append({"task_id": i, "family": t.family, "house": t.scene_seed, "digest": t.digest()})
    blob = json.dumps(rows, sort_keys=True).encode()
    return {"family": TASK_SET.family, "version": TASKS_VERSION, "split": split, "size": len(rows),
            "sha256": hashlib.sha256(blob).hexdigest(), "tasks": rows}


def write_manifest(path: Path = MANIFEST_PATH) -> None:
    """Regenerate the committed test manifest (only when TASKS_VERSION is bumped on purpose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest("test"), indent=1) + "\n")


__all__ = ["FAMILIES", "FAMILY_NAMES", "Family", "MANIFEST_PATH", "SPLIT_HOUSES", "TASK_SET", "TASKS_VERSION",
           "Task", "generate_task", "load_task", "manifest", "plan_into", "write_manifest"]
