"""Our own property table for VirtualHome household classes, and the simulated state vocabulary.

VirtualHome ships ``properties_data.json`` (314 classes); we write our own smaller table with the same
property names, covering every class our scenes and tasks use plus the common classes of the official
scenes, so official graphs that omit properties still get sensible ones.

>>> "HAS_SWITCH" in properties_of("television")
True
>>> len(PROPERTIES) >= 80
True
"""

from __future__ import annotations

#: The ten simulated states, in the order observations list them.
STATES: tuple[str, ...] = ("CLOSED", "OPEN", "ON", "OFF", "SITTING", "DIRTY", "CLEAN", "LYING",
                           "PLUGGED_IN", "PLUGGED_OUT")
STATE_ORDER: dict[str, int] = {s: i for i, s in enumerate(STATES)}

#: Edge relations of the environment graph.
RELATIONS: tuple[str, ...] = ("ON", "INSIDE", "BETWEEN", "CLOSE", "FACING", "HOLDS_RH", "HOLDS_LH")

#: The 23 object properties of VirtualHome's executor.
PROPERTY_NAMES: tuple[str, ...] = (
    "SURFACES", "GRABBABLE", "SITTABLE", "LIEABLE", "HANGABLE", "DRINKABLE", "EATABLE", "RECIPIENT",
    "CUTTABLE", "POURABLE", "CAN_OPEN", "HAS_SWITCH", "READABLE", "LOOKABLE", "CONTAINERS", "CLOTHES",
    "PERSON", "BODY_PART", "COVER_OBJECT", "HAS_PLUG", "HAS_PAPER", "MOVABLE", "CREAM")

ROOM_CLASSES: tuple[str, ...] = ("home_office", "kitchen", "living_room", "bathroom", "dining_room", "bedroom",
                                 "kids_bedroom", "entrance_hall")

# Short names keep the table readable; they expand to the property names above.
_G, _M = "GRABBABLE", "MOVABLE"


def _p(*names: str) -> tuple[str, ...]:
    return tuple(names)


#: class_name -> properties. Written for this project from the executor's documented semantics.
PROPERTIES: dict[str, tuple[str, ...]] = {
    # structure
    "floor": _p("SURFACES"), "wall": _p(), "ceiling": _p(), "door": _p("CAN_OPEN"), "doorjamb": _p(),
    "window": _p("CAN_OPEN"), "curtain": _p("CAN_OPEN", "COVER_OBJECT", _M), "rug": _p("SURFACES", _M),
    # lights and power
    "light": _p("HAS_SWITCH", "HAS_PLUG"), "ceilinglamp": _p("HAS_SWITCH"), "walllamp": _p("HAS_SWITCH"),
    "tablelamp": _p("HAS_SWITCH", "HAS_PLUG", _M), "powersocket": _p(),
    # electronics
    "television": _p("HAS_SWITCH", "LOOKABLE", "HAS_PLUG"), "tvstand": _p("SURFACES"),
    "computer": _p("HAS_SWITCH", "LOOKABLE"), "cpuscreen": _p("LOOKABLE"),
    "laptop": _p(_G, "HAS_SWITCH", "LOOKABLE", "HAS_PLUG", _M), "keyboard": _p(_G, "HAS_PLUG", _M),
    "mouse": _p(_G, "HAS_PLUG", _M), "mousepad": _p(_G, "SURFACES", _M),
    "remote_control": _p(_G, "HAS_SWITCH", _M), "phone": _p(_G, "HAS_SWITCH", "HAS_PLUG", _M),
    "cellphone": _p(_G, "HAS_SWITCH", "HAS_PLUG", _M), "radio": _p(_G, "HAS_SWITCH", "HAS_PLUG", _M),
    "vacuum_cleaner": _p(_G, "HAS_SWITCH", "HAS_PLUG", _M), "wall_clock": _p(), "printer": _p("HAS_SWITCH", "HAS_PLUG"),
    "headset": _p(_G, "HAS_PLUG", _M), "clock": _p(_G, _M),
    # furniture
    "couch": _p("SURFACES", "SITTABLE", "LIEABLE", _M), "sofa": _p("SURFACES", "SITTABLE", "LIEABLE", _M),
    "loveseat": _p("SURFACES", "SITTABLE", "LIEABLE", _M), "chair": _p("SURFACES", _G, "SITTABLE", _M),
    "bench": _p("SURFACES", "SITTABLE", "LIEABLE", _M), "bed": _p("SURFACES", "SITTABLE", "LIEABLE"),
    "mat": _p("SURFACES", _G, "SITTABLE", "LIEABLE", _M), "pillow": _p(_G, _M),
    "desk": _p("SURFACES", "CAN_OPEN", _M), "table": _p("SURFACES", _M), "coffee_table": _p("SURFACES", _M),
    "kitchen_table": _p("SURFACES", _M), "nightstand": _p("SURFACES", "CAN_OPEN", "CONTAINERS"),
    "bookshelf": _p("SURFACES", "CONTAINERS"), "shelf": _p("SURFACES"), "wallshelf": _p("SURFACES"),
    "cabinet": _p("SURFACES", "CAN_OPEN", "CONTAINERS"), "kitchen_cabinet": _p("SURFACES", "CAN_OPEN", "CONTAINERS"),
    "bathroom_cabinet": _p("SURFACES", "CAN_OPEN", "CONTAINERS"), "dresser": _p("CAN_OPEN", "CONTAINERS"),
    "closet": _p("CAN_OPEN", "CONTAINERS"), "closetdrawer": _p("CAN_OPEN", "CONTAINERS"),
    "garbage_can": _p("CAN_OPEN", "CONTAINERS", _M), "trashcan": _p("CAN_OPEN", "CONTAINERS", _M),
    "photoframe": _p(), "drawing": _p(), "vase": _p(_G, _M), "orchid": _p(), "plant": _p(_G, _M),
    # kitchen
    "kitchen_counter": _p("SURFACES"), "sink": _p("RECIPIENT", "CONTAINERS"), "faucet": _p("HAS_SWITCH"),
    "fridge": _p("CAN_OPEN", "HAS_SWITCH", "CONTAINERS", "HAS_PLUG"),
    "freezer": _p("CAN_OPEN", "HAS_SWITCH", "CONTAINERS", "HAS_PLUG"),
    "microwave": _p("CAN_OPEN", "HAS_SWITCH", "CONTAINERS", "HAS_PLUG"),
    "oven": _p("CAN_OPEN", "HAS_SWITCH", "CONTAINERS", "HAS_PLUG"),
    "stove": _p("SURFACES", "CAN_OPEN", "HAS_SWITCH", "CONTAINERS"), "stovefan": _p(),
    "dishwasher": _p("CAN_OPEN", "HAS_SWITCH", "CONTAINERS"),
    "washing_machine": _p("RECIPIENT", "CAN_OPEN", "HAS_SWITCH", "CONTAINERS", "HAS_PLUG"),
    "coffe_maker": _p("RECIPIENT", "CAN_OPEN", "HAS_SWITCH", "CONTAINERS", "HAS_PLUG", _M),
    "toaster": _p("HAS_SWITCH", "CONTAINERS", "HAS_PLUG", _M), "dish_rack": _p("SURFACES", "CONTAINERS"),
    # bathroom
    "toilet": _p("SITTABLE", "CAN_OPEN", "CONTAINERS"), "bathtub": _p("SITTABLE", "LIEABLE"),
    "shower": _p("HAS_SWITCH"), "bathroom_counter": _p("SURFACES"), "towel_rack": _p("SURFACES"),
    "toilet_paper": _p(_G, "COVER_OBJECT", "HAS_PAPER", _M), "hair_dryer": _p(_G, "HAS_SWITCH", "HAS_PLUG", _M),
    # tableware and food
    "cup": _p(_G, "RECIPIENT", "POURABLE", _M), "mug": _p(_G, "RECIPIENT", "POURABLE", _M),
    "water_glass": _p(_G, "RECIPIENT", "POURABLE", _M), "glass": _p(_G, "RECIPIENT", "POURABLE", _M),
    "plate": _p("SURFACES", _G, "RECIPIENT", _M), "bowl": _p(_G, "RECIPIENT", _M),
    "pot": _p(_G, "RECIPIENT", "CAN_OPEN", _M),
    "pan": _p(_G, "RECIPIENT", _M), "fork": _p(_G, _M), "knife": _p(_G, _M), "spoon": _p(_G, _M),
    "kitchen_knife": _p(_G, _M), "water": _p("DRINKABLE", "POURABLE"),
    "milk": _p(_G, "DRINKABLE", "POURABLE", "CAN_OPEN", _M), "coffee": _p(_G, "DRINKABLE", "POURABLE", _M),
    "juice": _p(_G, "DRINKABLE", "POURABLE", _M), "wine": _p(_G, "DRINKABLE", "POURABLE", _M),
    "food_food": _p(_G, "EATABLE", "CUTTABLE", _M), "food_bread": _p(_G, "EATABLE", "CUTTABLE", _M),
    "food_apple": _p(_G, "EATABLE", "CUTTABLE", _M), "food_cheese": _p(_G, "EATABLE", "CUTTABLE", _M),
    "food_carrot": _p(_G, "EATABLE", "CUTTABLE", _M), "food_egg": _p(_G, "EATABLE", _M),
    "food_lemon": _p(_G, "EATABLE", "CUTTABLE", _M), "food_peanut_butter": _p(_G, "EATABLE", "CREAM", _M),
    "groceries": _p(_G, _M), "dish_soap": _p(_G, "POURABLE", "CREAM", _M),
    # bathroom items and cleaning
    "toothbrush": _p(_G, "RECIPIENT", _M), "tooth_paste": _p(_G, "POURABLE", "CAN_OPEN", "CREAM", _M),
    "soap": _p(_G, "CREAM", _M), "shampoo": _p(_G, "POURABLE", "CREAM", _M),
    "towel": _p(_G, "COVER_OBJECT", _M), "rag": _p(_G, "RECIPIENT", "COVER_OBJECT", _M),
    "sponge": _p(_G, _M), "cleaning_solution": _p(_G, "POURABLE", _M),
    "blanket": _p(_G, "COVER_OBJECT", "HANGABLE", _M),
    "teeth": _p(_G, _M), "brush": _p(_G, _M), "comb": _p(_G, _M),
    # reading and writing
    "book": _p(_G, "CUTTABLE", "CAN_OPEN", "READABLE", "HAS_PAPER", _M),
    "novel": _p(_G, "CUTTABLE", "CAN_OPEN", "READABLE", "HAS_PAPER", _M),
    "newspaper": _p(_G, "CAN_OPEN", "READABLE", "COVER_OBJECT", "HAS_PAPER", _M),
    "magazine": _p(_G, "CAN_OPEN", "READABLE", "HAS_PAPER", _M),
    "paper": _p(_G, "CUTTABLE", "READABLE", "HAS_PAPER", _M),
    "pen": _p(_G, _M), "notebook": _p(_G, "READABLE", "HAS_PAPER", _M), "folder": _p(_G, "CAN_OPEN", _M),
    # clothes
    "clothes_shirt": _p(_G, "HANGABLE", "CLOTHES", _M), "clothes_pants": _p(_G, "HANGABLE", "CLOTHES", _M),
    "clothes_jacket": _p(_G, "HANGABLE", "CLOTHES", _M), "clothes_dress": _p(_G, "HANGABLE", "CLOTHES", _M),
    "shoes": _p(_G, "CLOTHES", _M), "hat": _p(_G, "CLOTHES", _M), "laundry_detergent": _p(_G, "POURABLE", _M),
    "basket_for_clothes": _p(_G, "CONTAINERS", _M),
    # beings and body parts
    "cat": _p(_G, _M), "dog": _p(_G, _M), "child": _p("PERSON"), "woman": _p("PERSON"), "man": _p("PERSON"),
    "hands_both": _p("BODY_PART"), "face": _p("BODY_PART"), "hair": _p("BODY_PART"), "character": _p(),
    # toys and leisure
    "toy": _p(_G, _M), "board_game": _p(_G, "CAN_OPEN", _M), "guitar": _p(_G, _M), "button": _p(),
}

#: Classes that are categorised differently from their role (used by the scene generator and loaders).
CATEGORY_OF: dict[str, str] = {
    **{r: "Rooms" for r in ROOM_CLASSES}, "character": "Characters",
    "floor": "Floor", "wall": "Walls", "ceiling": "Ceiling", "door": "Doors", "doorjamb": "Doors",
    "window": "Windows", "ceilinglamp": "Lamps", "walllamp": "Lamps", "tablelamp": "Lamps",
    "light": "Electronics", "powersocket": "Electronics", "television": "Electronics", "computer": "Electronics",
    "cpuscreen": "Electronics", "laptop": "Electronics", "keyboard": "Electronics", "mouse": "Electronics",
    "phone": "Electronics", "cellphone": "Electronics", "radio": "Electronics", "printer": "Electronics",
    "fridge": "Appliances", "freezer": "Appliances", "microwave": "Appliances", "oven": "Appliances",
    "stove": "Appliances", "dishwasher": "Appliances", "washing_machine": "Appliances",
    "coffe_maker": "Appliances", "toaster": "Appliances", "stovefan": "Appliances", "faucet": "Appliances",
    "photoframe": "Decor", "drawing": "Decor", "vase": "Decor", "orchid": "Decor", "plant": "Decor",
    "wall_clock": "Decor", "rug": "Decor", "curtain": "Decor",
}
_FURNITURE = {"couch", "sofa", "loveseat", "chair", "bench", "bed", "desk", "table", "coffee_table", "kitchen_table",
              "nightstand", "bookshelf", "shelf", "wallshelf", "cabinet", "kitchen_cabinet", "bathroom_cabinet",
              "dresser", "closet", "closetdrawer", "garbage_can", "trashcan", "kitchen_counter", "sink", "toilet",
              "bathtub", "shower", "bathroom_counter", "towel_rack", "tvstand", "mat", "dish_rack"}


def properties_of(class_name: str) -> tuple[str, ...]:
    """Properties of a class from our table (empty for classes we do not know)."""
    return PROPERTIES.get(class_name, ())


def category_of(class_name: str) -> str:
    """The VirtualHome category our scene generator gives a class."""
    if class_name in CATEGORY_OF:
        return CATEGORY_OF[class_name]
    return "Furniture" if class_name in _FURNITURE else "Props"


def default_states(class_name: str, properties: tuple[str, ...] | frozenset[str]) -> set[str]:
    """Initial states by the dataset conventions: clean, closed (doors open), plugged in, lights on.

    Switchable devices other than lights start OFF (the dataset leaves them random; tasks set what they need).

    >>> sorted(default_states("fridge", properties_of("fridge")), key=STATE_ORDER.get)
    ['CLOSED', 'OFF', 'CLEAN', 'PLUGGED_IN']
    """
    category = category_of(class_name)
    if category in ("Rooms", "Characters", "Walls", "Ceiling"):
        return set()
    states = {"CLEAN"}
    if "CAN_OPEN" in properties or class_name in ("desk", "window"):
        states.add("OPEN" if class_name == "door" else "CLOSED")
    if "HAS_PLUG" in properties:
        states.add("PLUGGED_IN")
    if "HAS_SWITCH" in properties:
        states.add("ON" if ("light" in class_name or "lamp" in class_name) else "OFF")
    return states
