"""ALFWorld's type tables, written as small readable Python: what exists, where it may go, what it can do.

These are facts of the ALFRED/ALFWorld benchmark (object and receptacle classes, which receptacle
class may hold which object class, which objects can be heated, cooled, cleaned, toggled or sliced,
which task types fit which room), so that generated games use the same vocabulary and rules as the
official ``game.tw-pddl`` files. The scene recipes (how many of each receptacle a room has, which
objects live there) are our own, chosen to resemble ALFRED's 120 floor plans.

Class names are ALFRED's (``CounterTop``); the text the agent sees lower-cases them (``countertop``).

>>> can_contain("Fridge", "Apple"), can_contain("Toaster", "Apple")
(True, False)
>>> "Pencil" in CLEANABLE
False
>>> sorted(VALID_SCENES["pick_heat_then_place_in_recep"])
['kitchen']
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping


def _names(text: str) -> frozenset[str]:
    """A set of class names from a whitespace-separated string (keeps the tables short to read)."""
    return frozenset(text.split())


# --------------------------------------------------------------------------------------------------
# Type constants. Every official problem declares all of them (and one bare `Name - object` per object
# class), whether or not the scene uses them; the PDDL domain refers to KnifeType, ButterKnifeType,
# SinkBasinType, MicrowaveType and FridgeType, so they must always be declared.
# --------------------------------------------------------------------------------------------------

#: Object classes declared as ``{Name}Type - otype`` (and ``{Name} - object``) in every problem.
OBJECT_TYPES: tuple[str, ...] = tuple(sorted(_names("""
    AlarmClock Apple BaseballBat BasketBall Bathtub Blinds Book Boots Bowl Box Bread ButterKnife CD
    Candle CellPhone Chair Cloth CreditCard Cup Curtains DeskLamp DishSponge Egg FloorLamp Footstool Fork
    Glassbottle HandTowel HousePlant Kettle KeyChain Knife Ladle Laptop LaundryHamperLid Lettuce
    LightSwitch Mirror Mug Newspaper Painting Pan PaperTowel PaperTowelRoll Pen Pencil PepperShaker Pillow
    Plate Plunger Poster Pot Potato RemoteControl SaltShaker ScrubBrush ShowerDoor ShowerGlass Sink
    SoapBar SoapBottle Spatula Spoon SprayBottle Statue StoveKnob TeddyBear Television TennisRacket
    TissueBox ToiletPaper ToiletPaperRoll Tomato Towel Vase Watch WateringCan Window WineBottle
""")))

#: Receptacle classes declared as ``{Name}Type - rtype`` in every problem.
RECEPTACLE_TYPES: tuple[str, ...] = tuple(sorted(_names("""
    ArmChair BathtubBasin Bed Cabinet Cart CoffeeMachine CoffeeTable CounterTop Desk DiningTable Drawer
    Dresser Fridge GarbageCan HandTowelHolder LaundryHamper Microwave Ottoman PaintingHanger Safe Shelf
    SideTable SinkBasin Sofa StoveBurner TVStand Toaster Toilet ToiletPaperHanger TowelHolder
""")))

# --------------------------------------------------------------------------------------------------
# What objects can do (ALFRED's VAL_ACTION_OBJECTS, without the *Sliced forms: generated scenes hold
# whole objects only).
# --------------------------------------------------------------------------------------------------

HEATABLE = _names("Apple Bread Cup Egg Mug Plate Potato Tomato")
COOLABLE = HEATABLE | _names("Bowl Lettuce Pan Pot WineBottle")
CLEANABLE = _names("""
    Apple Bowl ButterKnife Cloth Cup DishSponge Egg Fork Kettle Knife Ladle Lettuce Mug Pan Plate Pot
    Potato SoapBar Spatula Spoon Tomato
""")
TOGGLEABLE = _names("DeskLamp FloorLamp")
SLICEABLE = _names("Apple Bread Egg Lettuce Potato Tomato")
#: Objects that slice others (the domain's ``slice`` action wants one of these in hand).
SLICERS = _names("Knife ButterKnife")

#: Objects that are themselves receptacles in ALFRED (``isReceptacleObject``); in the text game they
#: are carried like any object (the receptacle-object actions of the domain are commented out).
MOVABLE_RECEPTACLES = _names("Bowl Box Cup Mug Plate Pan Pot")

#: Classes that open and close (``openable`` is still a per-instance fact: a few cabinets have no door).
OPENABLE_CLASSES = _names("Fridge Cabinet Microwave Drawer Safe Box")

# --------------------------------------------------------------------------------------------------
# Which object class each receptacle class may hold (ALFRED's VAL_RECEPTACLE_OBJECTS, whole objects).
# A problem's canContain facts are exactly these pairs, restricted to the receptacle classes and the
# pickupable object classes present in the scene (checked on the official files).
# --------------------------------------------------------------------------------------------------

_TABLE_TOP = _names("""
    AlarmClock Apple BaseballBat BasketBall Book Bowl Box Bread ButterKnife CD Candle CellPhone Cloth
    CreditCard Cup DishSponge Egg Fork Glassbottle HandTowel Kettle KeyChain Knife Ladle Laptop Lettuce
    Mug Newspaper Pan PaperTowel Pen Pencil PepperShaker Plate Pot Potato RemoteControl SaltShaker
    SoapBar SoapBottle Spatula Spoon SprayBottle Statue TennisRacket TissueBox ToiletPaper
    ToiletPaperRoll Tomato Vase Watch WateringCan WineBottle
""")
_SEAT = _names("BasketBall Book Box CellPhone Cloth CreditCard KeyChain Laptop Newspaper Pillow RemoteControl")
_DESK = _names("""
    AlarmClock BasketBall Book Bowl Box CD Candle CellPhone Cloth CreditCard Cup Glassbottle KeyChain
    Laptop Mug Newspaper Pen Pencil Plate RemoteControl SprayBottle Statue TennisRacket TissueBox
    ToiletPaper ToiletPaperRoll Vase Watch WateringCan WineBottle
""")

CAN_CONTAIN: Mapping[str, frozenset[str]] = MappingProxyType({
    "CounterTop": _TABLE_TOP,
    "DiningTable": _TABLE_TOP,
    "CoffeeTable": _TABLE_TOP,
    "SideTable": _TABLE_TOP,
    "Desk": _DESK | _names("SoapBottle"),
    "Dresser": _DESK,
    "Sofa": _SEAT,
    "ArmChair": _SEAT,
    "Ottoman": _SEAT,
    "Shelf": _names("""
        AlarmClock Book Bowl Box CD Candle CellPhone Cloth CreditCard Cup DishSponge Glassbottle HandTowel
        Kettle KeyChain Mug Newspaper PaperTowel Pen Pencil PepperShaker Plate Pot RemoteControl SaltShaker
        SoapBar SoapBottle SprayBottle Statue TissueBox ToiletPaper ToiletPaperRoll Vase Watch WateringCan
        WineBottle
    """),
    "Cabinet": _names("""
        Book Bowl Box CD Candle Cloth Cup DishSponge Glassbottle HandTowel Kettle Ladle Mug Newspaper Pan
        PepperShaker Plate Plunger Pot SaltShaker SoapBar SoapBottle SprayBottle TissueBox ToiletPaper
        ToiletPaperRoll Vase WateringCan WineBottle
    """),
    "Drawer": _names("""
        Book ButterKnife CD Candle CellPhone Cloth CreditCard DishSponge Fork HandTowel KeyChain Knife Ladle
        Newspaper Pen Pencil PepperShaker RemoteControl SaltShaker SoapBar SoapBottle Spatula Spoon
        SprayBottle TissueBox ToiletPaper ToiletPaperRoll Watch WateringCan
    """),
    "Fridge": _names("Apple Bowl Bread Cup Egg Glassbottle Lettuce Mug Pan Plate Pot Potato Tomato WineBottle"),
    "Microwave": _names("Apple Bowl Bread Cup Egg Glassbottle Mug Plate Potato Tomato"),
    "SinkBasin": _names("""
        Apple Bowl ButterKnife Cloth Cup DishSponge Egg Fork Glassbottle HandTowel Kettle Knife Ladle Lettuce
        Mug Pan Plate Pot Potato SoapBar Spatula Spoon Tomato
    """),
    "BathtubBasin": _names("Cloth DishSponge HandTowel SoapBar"),
    "StoveBurner": _names("Kettle Pan Pot"),
    "CoffeeMachine": _names("Mug"),
    "Toaster": frozenset(),  # only slices of bread, which generated scenes do not hold
    "GarbageCan": _names("""
        Apple Bread CD Cloth DishSponge Egg HandTowel Lettuce Newspaper PaperTowel Pen Pencil Potato SoapBar
        SoapBottle SprayBottle TissueBox ToiletPaper ToiletPaperRoll Tomato WineBottle
    """),
    "Safe": _names("CD CellPhone CreditCard KeyChain Statue Vase Watch"),
    "TVStand": _names("TissueBox"),
    "Bed": _names("BaseballBat BasketBall Book CellPhone Laptop Newspaper Pillow TennisRacket"),
    "Toilet": _names("""
        Candle Cloth DishSponge HandTowel Newspaper PaperTowel SoapBar SoapBottle SprayBottle TissueBox
        ToiletPaper ToiletPaperRoll
    """),
    "ToiletPaperHanger": _names("ToiletPaper ToiletPaperRoll"),
    "TowelHolder": _names("Towel"),
    "HandTowelHolder": _names("HandTowel"),
    "Cart": _names("""
        Candle Cloth DishSponge HandTowel Mug PaperTowel Plunger SoapBar SoapBottle SprayBottle Statue
        TissueBox ToiletPaper ToiletPaperRoll Vase
    """),
    "LaundryHamper": _names("Cloth"),
    "PaintingHanger": frozenset(),
})

#: Object classes an agent can pick up (everything some receptacle can hold, plus floor-standing things).
PICKUPABLE = frozenset().union(*CAN_CONTAIN.values()) | _names("Plunger ScrubBrush TeddyBear Boots")


def can_contain(receptacle_class: str, object_class: str) -> bool:
    """Whether ALFRED lets an object of ``object_class`` be put in a ``receptacle_class``."""
    return object_class in CAN_CONTAIN.get(receptacle_class, frozenset())


# --------------------------------------------------------------------------------------------------
# Rooms: which task types fit them (ALFRED's GOALS_VALID), their floor-plan numbers, and our recipes.
# --------------------------------------------------------------------------------------------------

SCENE_TYPES = ("kitchen", "livingroom", "bedroom", "bathroom")

#: ALFRED numbers its floor plans by room: kitchens 1-30, living rooms 201-230, bedrooms 301-330,
#: bathrooms 401-430. Our generated layouts reuse the numbers (the layouts themselves are our own).
LAYOUT_NUMBERS: Mapping[str, range] = MappingProxyType({
    "kitchen": range(1, 31),
    "livingroom": range(201, 231),
    "bedroom": range(301, 331),
    "bathroom": range(401, 431),
})

VALID_SCENES: Mapping[str, frozenset[str]] = MappingProxyType({
    "pick_and_place_simple": frozenset(SCENE_TYPES),
    "pick_two_obj_and_place": frozenset(SCENE_TYPES),
    "look_at_obj_in_light": frozenset({"livingroom", "bedroom"}),
    "pick_clean_then_place_in_recep": frozenset({"kitchen", "bathroom"}),
    "pick_heat_then_place_in_recep": frozenset({"kitchen"}),
    "pick_cool_then_place_in_recep": frozenset({"kitchen"}),
})

#: The appliance each state-change task needs (the domain's heat/cool/clean actions name them).
APPLIANCE = MappingProxyType({
    "pick_heat_then_place_in_recep": "Microwave",
    "pick_cool_then_place_in_recep": "Fridge",
    "pick_clean_then_place_in_recep": "SinkBasin",
})

#: Which objects each state-change task can use.
TASK_OBJECTS = MappingProxyType({
    "pick_heat_then_place_in_recep": HEATABLE,
    "pick_cool_then_place_in_recep": COOLABLE,
    "pick_clean_then_place_in_recep": CLEANABLE,
})

#: Two goal sentences per task type (ALFWorld's templates); ``{obj}``, ``{recep}`` and ``{toggle}`` take
#: lower-cased class names. One is chosen per game. The text game appends the final period.
GOAL_TEMPLATES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "pick_and_place_simple": ("put a {obj} in {recep}", "put some {obj} on {recep}"),
    "pick_clean_then_place_in_recep": ("put a clean {obj} in {recep}", "clean some {obj} and put it in {recep}"),
    "pick_heat_then_place_in_recep": ("put a hot {obj} in {recep}", "heat some {obj} and put it in {recep}"),
    "pick_cool_then_place_in_recep": ("put a cool {obj} in {recep}", "cool some {obj} and put it in {recep}"),
    "pick_two_obj_and_place": ("put two {obj} in {recep}", "find two {obj} and put them in {recep}"),
    "look_at_obj_in_light": ("look at {obj} under the {toggle}", "examine the {obj} with the {toggle}"),
})

#: Receptacles that hold a desk lamp (the look task's lamp must stand in a receptacle: the domain's
#: ``toggle`` wants it "in a receptacle at the agent's location"; floor lamps stand free and never work).
LAMP_HOSTS = _names("Desk SideTable Dresser Shelf CoffeeTable DiningTable")

#: Receptacle recipes per room: ``(class, fewest, most)``. A layout's size (0 = small, 1 = FloorPlan-sized)
#: decides where in ``[fewest, most]`` its count falls. Small rooms have ~6 receptacles, large ones ~40.
SCENE_RECEPTACLES: Mapping[str, tuple[tuple[str, int, int], ...]] = MappingProxyType({
    "kitchen": (
        ("CounterTop", 1, 3), ("Cabinet", 2, 20), ("Drawer", 0, 10), ("Fridge", 1, 1), ("Microwave", 1, 1),
        ("SinkBasin", 1, 1), ("StoveBurner", 0, 4), ("CoffeeMachine", 0, 1), ("Toaster", 0, 1),
        ("GarbageCan", 1, 1), ("DiningTable", 0, 2), ("Shelf", 0, 3), ("SideTable", 0, 1),
    ),
    "livingroom": (
        ("Sofa", 1, 2), ("SideTable", 1, 4), ("CoffeeTable", 1, 2), ("ArmChair", 0, 2), ("Drawer", 1, 10),
        ("Shelf", 1, 10), ("TVStand", 0, 1), ("Dresser", 0, 1), ("DiningTable", 0, 1), ("GarbageCan", 0, 1),
        ("Cabinet", 0, 4), ("Ottoman", 0, 1), ("Safe", 0, 1),
    ),
    "bedroom": (
        ("Bed", 1, 1), ("SideTable", 1, 2), ("Desk", 0, 2), ("Dresser", 0, 1), ("Drawer", 2, 12),
        ("Shelf", 1, 12), ("GarbageCan", 1, 1), ("Safe", 0, 1), ("LaundryHamper", 0, 1), ("ArmChair", 0, 1),
        ("Cabinet", 0, 3),
    ),
    "bathroom": (
        ("Toilet", 1, 1), ("SinkBasin", 1, 2), ("ToiletPaperHanger", 1, 1), ("TowelHolder", 1, 2),
        ("HandTowelHolder", 1, 2), ("CounterTop", 0, 2), ("Cabinet", 0, 8), ("Drawer", 0, 6), ("Shelf", 0, 3),
        ("GarbageCan", 1, 1), ("BathtubBasin", 0, 1), ("Cart", 0, 1),
    ),
})

#: Pickupable objects per room and how likely a full-size room is to hold each class (small rooms hold
#: fewer). A present class gets 1-3 instances, as in ALFRED's scene randomisation.
SCENE_OBJECTS: Mapping[str, tuple[tuple[str, float], ...]] = MappingProxyType({
    "kitchen": (
        ("Apple", 0.9), ("Bread", 0.9), ("Bowl", 0.9), ("ButterKnife", 0.8), ("Cup", 0.9), ("DishSponge", 0.8),
        ("Egg", 0.9), ("Fork", 0.9), ("Kettle", 0.4), ("Knife", 0.9), ("Ladle", 0.4), ("Lettuce", 0.9),
        ("Mug", 0.9), ("Pan", 0.8), ("PepperShaker", 0.8), ("Plate", 0.9), ("Pot", 0.8), ("Potato", 0.9),
        ("SaltShaker", 0.8), ("SoapBottle", 0.7), ("Spatula", 0.8), ("Spoon", 0.9), ("Tomato", 0.9),
        ("WineBottle", 0.4), ("Glassbottle", 0.3), ("Vase", 0.15), ("Statue", 0.15), ("CellPhone", 0.15),
        ("CreditCard", 0.1), ("Book", 0.1), ("Pen", 0.1), ("Pencil", 0.1), ("SprayBottle", 0.1),
    ),
    "livingroom": (
        ("KeyChain", 0.9), ("Pillow", 0.9), ("CreditCard", 0.9), ("Laptop", 0.9), ("Box", 0.8),
        ("RemoteControl", 0.9), ("Statue", 0.8), ("Newspaper", 0.6), ("Vase", 0.6), ("Watch", 0.5),
        ("WateringCan", 0.4), ("Plate", 0.3), ("TissueBox", 0.3), ("Book", 0.3), ("CellPhone", 0.3),
        ("Pen", 0.2), ("Pencil", 0.2), ("Bowl", 0.2), ("Candle", 0.15),
    ),
    "bedroom": (
        ("Book", 0.9), ("KeyChain", 0.9), ("Pillow", 0.9), ("CD", 0.9), ("CreditCard", 0.9), ("Pen", 0.9),
        ("Laptop", 0.9), ("Pencil", 0.9), ("AlarmClock", 0.9), ("CellPhone", 0.9), ("Mug", 0.5), ("Bowl", 0.4),
        ("BaseballBat", 0.4), ("Box", 0.4), ("BasketBall", 0.35), ("TennisRacket", 0.3), ("Cloth", 0.2),
        ("TissueBox", 0.15), ("Statue", 0.15), ("Vase", 0.1), ("RemoteControl", 0.1), ("Watch", 0.1),
    ),
    "bathroom": (
        ("SoapBottle", 0.9), ("HandTowel", 0.9), ("Towel", 0.9), ("ToiletPaper", 0.9), ("Cloth", 0.9),
        ("SprayBottle", 0.9), ("SoapBar", 0.9), ("Candle", 0.9), ("Plunger", 0.9), ("ScrubBrush", 0.9),
        ("TissueBox", 0.3), ("DishSponge", 0.2), ("PaperTowel", 0.1),
    ),
})

#: Things that are part of the room: listed in the problem (objectType, objectAtLocation) but never
#: pickupable, and standing on the floor or the wall rather than in a receptacle: ``(class, fewest, most)``.
SCENE_FIXTURES: Mapping[str, tuple[tuple[str, int, int], ...]] = MappingProxyType({
    "kitchen": (("Window", 0, 2), ("LightSwitch", 1, 1), ("Chair", 0, 4), ("Blinds", 0, 1)),
    "livingroom": (("Window", 0, 3), ("LightSwitch", 1, 1), ("Painting", 1, 3), ("Chair", 0, 4),
                   ("FloorLamp", 0, 2), ("Curtains", 0, 1)),
    "bedroom": (("Window", 1, 2), ("LightSwitch", 1, 1), ("Mirror", 1, 1), ("Blinds", 0, 2), ("Chair", 0, 2),
                ("Painting", 0, 2), ("Poster", 0, 1), ("LaundryHamperLid", 0, 1)),
    "bathroom": (("Mirror", 1, 2), ("LightSwitch", 1, 1), ("Window", 0, 1), ("ShowerDoor", 0, 1),
                 ("ShowerGlass", 0, 1)),
})

#: Non-pickupable decorations that stand in a receptacle, so `examine` lists them but `take` never works
#: (official files have house plants on shelves and televisions on TV stands): ``(class, probability)``.
SCENE_DECOR: Mapping[str, tuple[tuple[str, float], ...]] = MappingProxyType({
    "kitchen": (("HousePlant", 0.3),),
    "livingroom": (("HousePlant", 0.9), ("Television", 0.9)),
    "bedroom": (("HousePlant", 0.2), ("Television", 0.1)),
    "bathroom": (("HousePlant", 0.05),),
})

#: Receptacles that decorations may stand on.
DECOR_HOSTS = MappingProxyType({
    "HousePlant": _names("Shelf SideTable CounterTop DiningTable CoffeeTable Dresser Desk"),
    "Television": _names("TVStand Dresser"),
    "DeskLamp": LAMP_HOSTS,
})
