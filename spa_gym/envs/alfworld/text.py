"""Every string the ALFWorld engine shows, for both command wordings.

``classic`` is the json_2.1.1 wording (``put X in/on Y``, ``You arrive at loc N.``) used by the
ReAct/ETO/SPA prompts; ``v04`` is alfworld >= 0.4 (``move X to Y``, ``You arrive at {r}.``, ``help``).
The strings reproduce alfworld's grammar as TextWorld renders it, quirks included (spec §5, §10):
the article is always "a", ``look`` at the start lists nothing, a receptacle object examines as
"normal". ``strict=True`` fixes those (Q1-Q3, Q5, Q6); it never changes the command wording.

>>> phrase_list(["a apple 1", "a fork 2", "a mug 1"])
'a apple 1, a fork 2, and a mug 1'
>>> phrase_list(["a apple 1", "a fork 2"]), phrase_list(["a apple 1"]), phrase_list([])
('a apple 1, and a fork 2', 'a apple 1', 'nothing')
"""

from __future__ import annotations

from spa_gym.envs.alfworld.game import DIALECTS
from spa_gym.envs.alfworld.world import Scene, State

WELCOME = "-= Welcome to TextWorld, ALFRED! =-"
NOTHING_HAPPENS = "Nothing happens."

#: The v04 ``help`` answer. alfworld's grammar starts it with a newline that TextWorld drops (Q4);
#: the ``move`` line's padding is two spaces short in the original too.
HELP_TEXT = (
    "Available commands:\n"
    "  look:                             look around your current location\n"
    "  inventory:                        check your current inventory\n"
    "  go to (receptacle):               move to a receptacle\n"
    "  open (receptacle):                open a receptacle\n"
    "  close (receptacle):               close a receptacle\n"
    "  take (object) from (receptacle):  take an object from a receptacle\n"
    "  move (object) to (receptacle):  place an object in or on a receptacle\n"
    "  examine (something):              examine a receptacle or an object\n"
    "  use (object):                     use an object\n"
    "  heat (object) with (receptacle):  heat an object using a receptacle\n"
    "  clean (object) with (receptacle): clean an object using a receptacle\n"
    "  cool (object) with (receptacle):  cool an object using a receptacle\n"
    "  slice (object) with (object):     slice an object using a sharp object\n"
)


def phrase_list(items: list[str]) -> str:
    """TextWorld's list phrasing: ``x``, ``x, and y``, ``x, y, and z``; empty is ``nothing``."""
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + ", and " + items[-1]


class Text:
    """Renders commands and feedback for one scene in one wording."""

    def __init__(self, scene: Scene, dialect: str = "classic", strict: bool = False) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; expected 'classic' or 'v04'")
        self.scene, self.dialect, self.strict = scene, dialect, strict
        self.names = scene.names
        self._articled = {i: self._article(n) + " " + n for i, n in scene.names.items()}

    def _article(self, name: str) -> str:
        if self.strict and name[:1] in "aeiou":
            return "an"  # Q5 fixed; the original always says "a"
        return "a"

    def listed(self, ids) -> str:
        art = self._articled
        return phrase_list([art[i] for i in ids])

    # ------------------------------------------------------------------ commands
    def command(self, action: tuple) -> str:
        n = self.names
        verb = action[0]
        if verb == "goto":
            return "go to " + n[action[1]]
        if verb == "take":
            return f"take {n[action[1]]} from {n[action[2]]}"
        if verb == "put":
            if self.dialect == "v04":
                return f"move {n[action[1]]} to {n[action[2]]}"
            return f"put {n[action[1]]} in/on {n[action[2]]}"
        if verb in ("examine_r", "examine_o"):
            return "examine " + n[action[1]]
        if verb in ("open", "close", "use"):
            return f"{verb} {n[action[1]]}"
        if verb in ("heat", "cool", "clean", "slice"):
            return f"{verb} {n[action[1]]} with {n[action[2]]}"
        return verb  # look, inventory, help

    # ------------------------------------------------------------------ observations
    def intro(self, state: State, goal: str) -> str:
        return f"{WELCOME}\n\n{self.look(state, intro=True)}\n\nYour task is to: {goal}."

    def look(self, state: State, intro: bool = False) -> str:
        scene, loc = self.scene, state.agent_loc
        here = scene.loc_receptacles.get(loc, ())
        if not here:
            # The intro's query is unbound and lists every receptacle; `look` binds the location (Q2).
            listed = self.listed(scene.receptacles) if (intro or self.strict) else "nothing"
            return f"You are in the middle of a room. Looking quickly around you, you see {listed}."
        facing = phrase_list([self.names[r] for r in here])
        # TextWorld lists one entry per (object at this location, receptacle here it was taken from).
        floor = [o for o in sorted(state.at_loc.get(loc, ())) for r in here if (o, r) in state.taken_from]
        return f"You are facing the {facing}. Next to it, you see {self.listed(floor)}."

    def examine_receptacle(self, state: State, r: str) -> str:
        name = self.names[r]
        if r in self.scene.openable:
            if r not in state.opened:
                return f"The {name} is closed."
            return f"The {name} is open. In it, you see {self.listed(sorted(state.contents.get(r, ())))}."
        return f"On the {name}, you see {self.listed(sorted(state.contents.get(r, ())))}."

    def examine_object(self, state: State, o: str) -> str:
        scene, name = self.scene, self.names[o]
        hot, cool, clean, sliced = o in state.hot, o in state.cool, o in state.clean, o in state.sliced
        if o in scene.receptacle_objects:
            inner = self.listed(scene.inner_objects.get(o, ()))
            adjective = "normal"
            if self.strict:  # Q3 fixed: say what the object is
                words = [w for w, f in (("hot", hot), ("cool", cool)) if f] + (["clean"] if clean else [])
                adjective = " and ".join(words) if words else "normal"
            return f"This is a {adjective} {name}. In it, you see {inner}."
        if sliced:
            if clean and hot:
                return f"This is a hot and clean sliced {name}."
            if clean and cool:
                return f"This is a cool and clean sliced {name}."
            if clean:
                return f"This is a clean sliced {name}."
            if hot:
                return f"This is a hot sliced {name}."
            if cool:
                return f"This is a cool sliced {name}."
        if clean and hot:
            return f"This is a hot and clean {name}."
        if clean and cool:
            return f"This is a cool and clean {name}."
        if hot:
            return f"This is a hot {name}."
        if clean:
            return f"This is a clean {name}."
        if cool:
            return f"This is a cold {name}."
        if o in scene.toggleable and o in state.toggled:
            return f"This {name} is on."
        # "This {o} is off." needs a not_istoggled fact, which TextWorld never creates (isToggled is never deleted).
        if o in scene.sliceable and sliced:
            return f"This is a sliced {name}."
        return f"There's nothing special about {name}."

    def inventory(self, state: State) -> str:
        if state.holding is None:
            return "You are not carrying anything."
        return f"You are carrying: {self.listed([state.holding])}."

    def feedback(self, state: State, action: tuple) -> str:
        """The answer to ``action``, rendered after its effects were applied."""
        n, verb = self.names, action[0]
        if verb == "goto":
            r = action[1]
            where = n[r] if self.dialect == "v04" else n[state.agent_loc]
            return f"You arrive at {where}. {self.examine_receptacle(state, r)}"
        if verb == "open":
            return f"You open the {n[action[1]]}. {self.examine_receptacle(state, action[1])}"
        if verb == "close":
            return f"You close the {n[action[1]]}."
        if verb == "take":
            return f"You pick up the {n[action[1]]} from the {n[action[2]]}."
        if verb == "put":
            if self.dialect == "v04":
                return f"You move the {n[action[1]]} to the {n[action[2]]}."
            return f"You put the {n[action[1]]} in/on the {n[action[2]]}."
        if verb in ("heat", "cool", "clean"):
            return f"You {verb} the {n[action[1]]} using the {n[action[2]]}."
        if verb == "slice":
            return f"You sliced the {n[action[1]]} with the {n[action[2]]}."
        if verb == "use":
            o = action[1]
            if self.strict and o not in state.on:  # Q6 fixed: report the lamp's real state
                return f"You turn off the {n[o]}."
            return f"You turn on the {n[o]}."
        if verb == "examine_r":
            return self.examine_receptacle(state, action[1])
        if verb == "examine_o":
            return self.examine_object(state, action[1])
        if verb == "look":
            return self.look(state)
        if verb == "inventory":
            return self.inventory(state)
        if verb == "help":
            return HELP_TEXT
        raise ValueError(f"unknown action {action!r}")
