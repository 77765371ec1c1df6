"""Seeded houses: four rooms, furniture in zones, household objects placed where people keep them.

A house takes four of the five room types (bathroom, bedroom, kitchen or dining room, living room, home
office), each with its structure (floor, walls, ceiling, window, lamps, light switch, socket), furniture
grouped in zones (furniture in one zone is CLOSE to each other, as VirtualHome's geometric CLOSE edges
are), and objects ON or INSIDE furniture. Every node is also INSIDE its room, as in the official scenes.

>>> s = build_scene(7)
>>> 150 <= len(s.graph.nodes) <= 300, len(s.room_ids)
(True, 4)
>>> build_scene(7).graph == s.graph
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from spa_gym.envs.virtualhome.graph import EnvGraph, Node
from spa_gym.envs.virtualhome.properties import category_of, default_states, properties_of

ROOM_TYPES = ("bathroom", "bedroom", "kitchen", "living_room", "home_office")

# room type -> furniture rows (class, zone, min count, max count, probability of appearing at all).
FURNITURE: dict[str, list[tuple[str, str, int, int, float]]] = {
    "kitchen": [
        ("kitchen_counter", "cook", 2, 3, 1),
        ("sink", "cook", 1, 1, 1),
        ("stove", "cook", 1, 1, 1),
        ("stovefan", "cook", 1, 1, 1),
        ("oven", "cook", 1, 1, 1),
        ("kitchen_cabinet", "cook", 2, 4, 1),
        ("dishwasher", "cook", 1, 1, 1),
        ("fridge", "cold", 1, 1, 1),
        ("freezer", "cold", 1, 1, 0.4),
        ("trashcan", "cold", 1, 1, 1),
        ("kitchen_table", "dine", 1, 1, 1),
        ("chair", "dine", 2, 4, 1),
        ("bench", "dine", 1, 1, 0.3),
    ],
    "living_room": [
        ("couch", "tv", 1, 1, 1),
        ("coffee_table", "tv", 1, 1, 1),
        ("tvstand", "tv", 1, 1, 1),
        ("rug", "tv", 1, 1, 0.7),
        ("loveseat", "tv", 1, 1, 0.4),
        ("bookshelf", "wall", 1, 2, 1),
        ("cabinet", "wall", 1, 1, 0.7),
        ("table", "wall", 1, 1, 0.8),
        ("chair", "wall", 1, 2, 0.8),
        ("closet", "wall", 1, 1, 0.5),
    ],
    "bedroom": [
        ("bed", "sleep", 1, 1, 1),
        ("nightstand", "sleep", 1, 2, 1),
        ("dresser", "store", 1, 1, 1),
        ("closet", "store", 1, 1, 1),
        ("basket_for_clothes", "store", 1, 1, 0.6),
        ("desk", "work", 1, 1, 0.5),
        ("chair", "work", 1, 1, 0.7),
        ("bookshelf", "work", 1, 1, 0.5),
        ("tvstand", "sleep", 1, 1, 0.3),
        ("mat", "sleep", 1, 1, 0.4),
    ],
    "bathroom": [
        ("toilet", "wash", 1, 1, 1),
        ("sink", "wash", 1, 1, 1),
        ("bathroom_counter", "wash", 1, 1, 1),
        ("bathroom_cabinet", "wash", 1, 1, 1),
        ("bathtub", "bath", 1, 1, 0.8),
        ("shower", "bath", 1, 1, 1),
        ("towel_rack", "bath", 1, 2, 1),
        ("washing_machine", "bath", 1, 1, 0.7),
        ("trashcan", "wash", 1, 1, 0.5),
        ("mat", "bath", 1, 1, 0.6),
    ],
    "home_office": [
        ("desk", "work", 1, 1, 1),
        ("chair", "work", 1, 1, 1),
        ("bookshelf", "wall", 1, 2, 1),
        ("cabinet", "wall", 1, 1, 0.6),
        ("closet", "wall", 1, 1, 0.6),
        ("couch", "rest", 1, 1, 0.5),
        ("tvstand", "rest", 1, 1, 0.3),
        ("trashcan", "work", 1, 1, 0.8),
        ("table", "rest", 1, 1, 0.4),
    ],
}

# Objects: (class, room type, host classes in preference order, relation ON/INSIDE/NEAR, min, max, probability).
OBJECTS: list[tuple[str, str, tuple[str, ...], str, int, int, float]] = [
    # kitchen (or dining room)
    ("faucet", "kitchen", ("sink",), "NEAR", 1, 1, 1),
    ("microwave", "kitchen", ("kitchen_counter",), "ON", 1, 1, 1),
    ("toaster", "kitchen", ("kitchen_counter",), "ON", 1, 1, 0.8),
    ("coffe_maker", "kitchen", ("kitchen_counter",), "ON", 1, 1, 1),
    ("cup", "kitchen", ("kitchen_counter", "kitchen_cabinet"), "ON", 1, 2, 1),
    ("mug", "kitchen", ("kitchen_cabinet", "kitchen_counter"), "INSIDE", 1, 2, 0.8),
    ("water_glass", "kitchen", ("kitchen_cabinet",), "INSIDE", 1, 2, 0.8),
    ("plate", "kitchen", ("kitchen_cabinet", "kitchen_counter"), "INSIDE", 2, 3, 1),
    ("bowl", "kitchen", ("kitchen_cabinet",), "INSIDE", 1, 2, 0.8),
    ("fork", "kitchen", ("kitchen_counter",), "ON", 1, 2, 1),
    ("knife", "kitchen", ("kitchen_counter",), "ON", 1, 1, 1),
    ("spoon", "kitchen", ("kitchen_counter",), "ON", 1, 2, 0.8),
    ("pot", "kitchen", ("stove",), "ON", 1, 1, 0.9),
    ("pan", "kitchen", ("stove", "kitchen_counter"), "ON", 1, 1, 0.8),
    ("food_food", "kitchen", ("fridge",), "INSIDE", 1, 1, 1),
    ("milk", "kitchen", ("fridge",), "INSIDE", 1, 1, 1),
    ("juice", "kitchen", ("fridge",), "INSIDE", 1, 1, 0.7),
    ("food_cheese", "kitchen", ("fridge",), "INSIDE", 1, 1, 0.6),
    ("food_egg", "kitchen", ("fridge",), "INSIDE", 1, 1, 0.6),
    ("food_carrot", "kitchen", ("fridge",), "INSIDE", 1, 1, 0.5),
    ("food_bread", "kitchen", ("kitchen_counter", "kitchen_table"), "ON", 1, 1, 0.9),
    ("food_apple", "kitchen", ("kitchen_table", "kitchen_counter"), "ON", 1, 2, 0.8),
    ("groceries", "kitchen", ("kitchen_table", "kitchen_counter"), "ON", 1, 1, 1),
    ("coffee", "kitchen", ("kitchen_cabinet",), "INSIDE", 1, 1, 0.8),
    ("dish_soap", "kitchen", ("kitchen_counter",), "ON", 1, 1, 1),
    ("sponge", "kitchen", ("kitchen_counter",), "ON", 1, 1, 0.9),
    ("rag", "kitchen", ("kitchen_counter", "kitchen_cabinet"), "ON", 1, 1, 0.9),
    ("cleaning_solution", "kitchen", ("kitchen_cabinet",), "INSIDE", 1, 1, 0.6),
    ("wall_clock", "kitchen", ("kitchen",), "INSIDE", 1, 1, 0.5),
    ("plant", "kitchen", ("kitchen_table",), "ON", 1, 1, 0.3),
    # living room
    ("television", "living_room", ("tvstand",), "ON", 1, 1, 1),
    ("remote_control", "living_room", ("coffee_table", "tvstand"), "ON", 1, 1, 1),
    ("pillow", "living_room", ("couch",), "ON", 1, 1, 0.8),
    ("book", "living_room", ("bookshelf",), "INSIDE", 1, 3, 1),
    ("novel", "living_room", ("bookshelf", "coffee_table"), "INSIDE", 1, 1, 0.5),
    ("newspaper", "living_room", ("coffee_table", "table"), "ON", 1, 1, 0.8),
    ("magazine", "living_room", ("coffee_table", "table"), "ON", 1, 1, 0.5),
    ("radio", "living_room", ("table", "cabinet", "tvstand"), "ON", 1, 1, 0.8),
    ("phone", "living_room", ("table", "coffee_table"), "ON", 1, 1, 0.7),
    ("cat", "living_room", ("rug", "coffee_table"), "ON", 1, 1, 0.7),
    ("tablelamp", "living_room", ("table",), "ON", 1, 1, 0.6),
    ("board_game", "living_room", ("cabinet", "bookshelf"), "INSIDE", 1, 1, 0.6),
    ("laptop", "living_room", ("coffee_table", "table"), "ON", 1, 1, 0.4),
    ("photoframe", "living_room", ("cabinet", "table", "bookshelf"), "ON", 1, 2, 0.8),
    ("vase", "living_room", ("table", "cabinet"), "ON", 1, 1, 0.5),
    ("drawing", "living_room", ("living_room",), "INSIDE", 1, 2, 0.8),
    ("curtain", "living_room", ("living_room",), "INSIDE", 1, 1, 0.6),
    ("vacuum_cleaner", "living_room", ("closet",), "INSIDE", 1, 1, 1),
    # bedroom
    ("pillow", "bedroom", ("bed",), "ON", 1, 1, 1),
    ("blanket", "bedroom", ("dresser", "closet"), "INSIDE", 1, 1, 1),
    ("tablelamp", "bedroom", ("nightstand",), "ON", 1, 1, 1),
    ("book", "bedroom", ("nightstand", "bookshelf"), "ON", 1, 1, 0.8),
    ("cellphone", "bedroom", ("nightstand", "desk"), "ON", 1, 1, 0.8),
    ("clothes_shirt", "bedroom", ("closet", "dresser"), "INSIDE", 1, 2, 1),
    ("clothes_pants", "bedroom", ("closet", "dresser"), "INSIDE", 1, 2, 1),
    ("clothes_jacket", "bedroom", ("closet",), "INSIDE", 1, 1, 0.6),
    ("shoes", "bedroom", ("closet",), "INSIDE", 1, 1, 0.8),
    ("hat", "bedroom", ("dresser", "closet"), "INSIDE", 1, 1, 0.4),
    ("clothes_dress", "bedroom", ("closet",), "INSIDE", 1, 1, 0.4),
    ("television", "bedroom", ("tvstand",), "ON", 1, 1, 1),
    ("remote_control", "bedroom", ("nightstand",), "ON", 1, 1, 0.3),
    ("comb", "bedroom", ("dresser", "nightstand"), "ON", 1, 1, 0.5),
    ("photoframe", "bedroom", ("dresser", "nightstand"), "ON", 1, 1, 0.6),
    ("curtain", "bedroom", ("bedroom",), "INSIDE", 1, 1, 0.6),
    ("toy", "bedroom", ("basket_for_clothes", "mat"), "ON", 1, 1, 0.3),
    # bathroom
    ("faucet", "bathroom", ("sink",), "NEAR", 1, 1, 1),
    ("toothbrush", "bathroom", ("bathroom_counter",), "ON", 1, 1, 1),
    ("tooth_paste", "bathroom", ("bathroom_counter", "bathroom_cabinet"), "ON", 1, 1, 1),
    ("soap", "bathroom", ("sink", "bathroom_counter"), "ON", 1, 1, 1),
    ("shampoo", "bathroom", ("bathroom_cabinet",), "INSIDE", 1, 1, 0.8),
    ("towel", "bathroom", ("towel_rack",), "ON", 1, 2, 1),
    ("toilet_paper", "bathroom", ("bathroom_counter",), "ON", 1, 1, 0.7),
    ("hair_dryer", "bathroom", ("bathroom_cabinet",), "INSIDE", 1, 1, 0.5),
    ("laundry_detergent", "bathroom", ("bathroom_cabinet", "washing_machine"), "INSIDE", 1, 1, 0.6),
    ("clothes_shirt", "bathroom", ("washing_machine",), "ON", 1, 1, 0.4),
    ("hands_both", "bathroom", ("bathroom",), "INSIDE", 1, 1, 1),
    ("face", "bathroom", ("bathroom",), "INSIDE", 1, 1, 1),
    # home office
    ("computer", "home_office", ("desk",), "ON", 1, 1, 1),
    ("cpuscreen", "home_office", ("desk",), "ON", 1, 1, 1),
    ("keyboard", "home_office", ("desk",), "ON", 1, 1, 1),
    ("mouse", "home_office", ("desk",), "ON", 1, 1, 1),
    ("mousepad", "home_office", ("desk",), "ON", 1, 1, 0.8),
    ("printer", "home_office", ("desk", "cabinet"), "ON", 1, 1, 0.5),
    ("paper", "home_office", ("desk", "printer"), "ON", 1, 2, 1),
    ("pen", "home_office", ("desk",), "ON", 1, 1, 0.8),
    ("folder", "home_office", ("bookshelf", "cabinet"), "INSIDE", 1, 1, 0.6),
    ("notebook", "home_office", ("desk",), "ON", 1, 1, 0.5),
    ("book", "home_office", ("bookshelf",), "INSIDE", 1, 2, 1),
    ("tablelamp", "home_office", ("desk",), "ON", 1, 1, 0.7),
    ("headset", "home_office", ("desk",), "ON", 1, 1, 0.4),
    ("radio", "home_office", ("cabinet", "desk"), "ON", 1, 1, 0.4),
    ("phone", "home_office", ("desk",), "ON", 1, 1, 0.6),
    ("laptop", "home_office", ("table", "desk"), "ON", 1, 1, 0.5),
    ("vacuum_cleaner", "home_office", ("closet",), "INSIDE", 1, 1, 1),
    ("plant", "home_office", ("home_office",), "INSIDE", 1, 1, 0.6),
    ("wall_clock", "home_office", ("home_office",), "INSIDE", 1, 1, 0.5),
]
#: Every room gets these (class, count) plus lamps on the ceiling and a light switch next to the door.
STRUCTURE = (("floor", 2), ("wall", 4), ("ceiling", 2), ("window", 1), ("ceilinglamp", 2), ("walllamp", 1),
             ("light", 1), ("powersocket", 2), ("wallshelf", 1), ("photoframe", 1))

# What electronics face, so that sitting on a seat turns the agent towards the screen.
FACES = {"couch": ("television",), "loveseat": ("television",), "bed": ("television",),
         "chair": ("computer", "cpuscreen")}


@dataclass
class Scene:
    """A generated house: the graph, the seed it came from, and its rooms (class -> node id)."""

    seed: int
    graph: EnvGraph
    room_ids: dict[str, int]


def house_rooms(seed: int) -> list[str]:
    """The four room classes of house ``seed`` (the kitchen is called ``dining_room`` in some houses)."""
    rng = random.Random(seed)
    kinds = rng.sample(ROOM_TYPES, 4)
    dining = rng.random() < 0.5
    return ["dining_room" if (k == "kitchen" and dining) else k for k in kinds]


def build_scene(seed: int) -> Scene:
    """House number ``seed`` (a fresh copy; the build itself is cached)."""
    scene = _build_scene_cached(int(seed))
    return Scene(scene.seed, scene.graph.copy(), dict(scene.room_ids))


@lru_cache(maxsize=128)
def _build_scene_cached(seed: int) -> Scene:
    rng = random.Random(f"vh-house-{seed}")
    g = EnvGraph()
    next_id = [1]

    def new(class_name: str) -> int:
        i = next_id[0]
        next_id[0] += 1
        props = properties_of(class_name)
        g.add_node(Node(i, class_name, category_of(class_name), frozenset(props), default_states(class_name, props)))
        return i

    character = new("character")
    rooms = house_rooms(seed)
    room_ids: dict[str, int] = {}
    for room_class in rooms:
        kind = "kitchen" if room_class == "dining_room" else room_class
        room = new(room_class)
        room_ids[room_class] = room
        structure = {}
        for cls, count in STRUCTURE:
            for _ in range(count):
                n = new(cls)
                g.add_edge(n, "INSIDE", room)
                structure.setdefault(cls, n)
        furniture: dict[str, list[int]] = {room_class: [room]}
        zones: dict[str, list[int]] = {}
        for cls, zone, lo, hi, p in FURNITURE[kind]:
            if rng.random() >= p:
                continue
            for _ in range(rng.randint(lo, hi)):
                n = new(cls)
                g.add_edge(n, "INSIDE", room)
                furniture.setdefault(cls, []).append(n)
                zones.setdefault(zone, []).append(n)
        for members in zones.values():
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    g.add_close(a, b)
        g.add_close(structure["light"], structure["window"])
        for cls, room_kind, hosts, rel, lo, hi, p in OBJECTS:
            if room_kind != kind or rng.random() >= p:
                continue
            host_ids = [h for c in hosts for h in furniture.get(c, [])]
            if not host_ids:
                continue
            for _ in range(rng.randint(lo, hi)):
                host = rng.choice(host_ids)
                n = new(cls)
                g.add_edge(n, "INSIDE", room)
                if host == room:
                    continue
                if rel == "ON":
                    g.add_edge(n, "ON", host)
                elif rel == "INSIDE":
                    g.add_edge(n, "INSIDE", host)
                g.add_close(n, host)
                for other in sorted(g.sources(host, "ON") | g.sources(host, "INSIDE")):
                    if other != n and not g.is_room(host):
                        g.add_close(n, other)
                furniture.setdefault(cls, []).append(n)
        for seat, screens in FACES.items():
            for s in furniture.get(seat, []):
                for screen in screens:
                    for t in furniture.get(screen, []):
                        g.add_edge(s, "FACING", t)
    # Doors join the rooms in a row; each door is INSIDE the first room and BETWEEN both.
    order = list(room_ids.values())
    for a, b in zip(order, order[1:]):
        for cls in ("door", "doorjamb"):
            n = new(cls)
            g.add_edge(n, "INSIDE", a)
            g.add_edge(n, "BETWEEN", a)
            g.add_edge(n, "BETWEEN", b)
    g.add_edge(character, "INSIDE", order[0])
    return Scene(seed, g, room_ids)
