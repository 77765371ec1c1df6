"""VirtualHome executor: every action's preconditions (refused cases) and effects, on a small hand-made house."""

from __future__ import annotations

import pytest

from spa_gym.envs.virtualhome.executor import ARITY, ExecutorCrash, PutOffCrash, check, execute, faces, room_of
from spa_gym.envs.virtualhome.graph import EnvGraph, Node
from spa_gym.envs.virtualhome.properties import default_states, properties_of

KITCHEN, LIVING, AGENT = 1, 2, 3
FRIDGE, COUNTER, CUP, MILK, CABINET, PLATE, SINK, FAUCET, KNIFE, BREAD = range(10, 20)
TV, TVSTAND, COUCH, REMOTE, TABLE, LIGHT, RADIO, SHIRT, BOOK, CHAIR, CHILD, HANDS, WATER, TOY = range(20, 34)


def house() -> EnvGraph:
    """Kitchen and living room; the agent stands in the living room, close to nothing."""
    g = EnvGraph()
    layout = {
        KITCHEN: ("kitchen", None), LIVING: ("living_room", None), AGENT: ("character", LIVING),
        FRIDGE: ("fridge", KITCHEN), COUNTER: ("kitchen_counter", KITCHEN), CUP: ("cup", KITCHEN),
        MILK: ("milk", KITCHEN), CABINET: ("kitchen_cabinet", KITCHEN), PLATE: ("plate", KITCHEN),
        SINK: ("sink", KITCHEN), FAUCET: ("faucet", KITCHEN), KNIFE: ("knife", KITCHEN),
        BREAD: ("food_bread", KITCHEN), TV: ("television", LIVING), TVSTAND: ("tvstand", LIVING),
        COUCH: ("couch", LIVING), REMOTE: ("remote_control", LIVING), TABLE: ("coffee_table", LIVING),
        LIGHT: ("light", LIVING), RADIO: ("radio", LIVING), SHIRT: ("clothes_shirt", LIVING),
        BOOK: ("book", LIVING), CHAIR: ("chair", LIVING), CHILD: ("child", LIVING), HANDS: ("hands_both", LIVING),
        WATER: ("water", KITCHEN), TOY: ("toy", LIVING),
    }
    for i, (cls, room) in layout.items():
        cat = "Rooms" if room is None else ("Characters" if cls == "character" else "Props")
        props = properties_of(cls)
        g.add_node(Node(i, cls, cat, frozenset(props), default_states(cls, props) if room else set()))
        if room is not None:
            g.add_edge(i, "INSIDE", room)
    for x, y in ((CUP, COUNTER), (KNIFE, COUNTER), (BREAD, COUNTER), (TV, TVSTAND), (REMOTE, TABLE), (BOOK, TABLE)):
        g.add_edge(x, "ON", y)
        g.add_close(x, y)
    for x, y in ((MILK, FRIDGE), (PLATE, CABINET)):
        g.add_edge(x, "INSIDE", y)
        g.add_close(x, y)
    g.add_close(FAUCET, SINK)
    g.add_close(COUCH, TABLE)
    g.add_edge(COUCH, "FACING", TV)
    g.nodes[RADIO].states = {"OFF", "PLUGGED_OUT", "CLEAN"}
    return g


def run(g: EnvGraph, action: str, *ids: int, records=None, strict=False):
    return execute(g, action, list(ids), {} if records is None else records, strict)


def walked(*targets: int) -> EnvGraph:
    g = house()
    for t in targets:
        assert run(g, "WALK", t) is None
    return g


def test_every_action_has_an_arity_and_wrong_counts_are_refused():
    assert ARITY["PUTBACK"] == 2 and ARITY["STANDUP"] == 0 and ARITY["LOOKAT_LONG"] == 1
    assert "needs 1 parameters. But there are 0" in check(house(), "GRAB", [], {})
    assert check(house(), "FLY", [CUP], {}) == "unknown action FLY"


def test_walk_moves_the_agent_and_makes_target_container_and_support_close():
    g = house()
    assert run(g, "WALK", MILK) is None
    assert g.has_edge(AGENT, "INSIDE", KITCHEN) and not g.has_edge(AGENT, "INSIDE", LIVING)
    assert {MILK, FRIDGE, HANDS} <= g.targets(AGENT, "CLOSE") and AGENT in g.targets(MILK, "CLOSE")  # both ways
    run(g, "WALK", CUP)
    assert COUNTER in g.targets(AGENT, "CLOSE") and MILK not in g.targets(AGENT, "CLOSE")
    run(g, "WALK", FRIDGE)  # walking to a CAN_OPEN container makes its contents close
    assert MILK in g.targets(AGENT, "CLOSE")


def test_walk_refused_while_sitting_and_for_nodes_in_no_room():
    g = walked(COUCH)
    run(g, "SIT", COUCH)
    assert "sitting" in run(g, "WALK", KITCHEN)
    g = house()
    g.add_node(Node(99, "cup", "Props", frozenset(properties_of("cup"))))
    assert "no room" in run(g, "WALK", 99)


def test_walk_takes_held_objects_along_into_the_previous_room_quirk_and_strict_fix():
    for strict, room in ((False, KITCHEN), (True, LIVING)):
        g = walked(CUP)
        run(g, "GRAB", CUP)
        run(g, "WALK", LIVING, strict=strict)
        assert g.has_edge(CUP, "INSIDE", room) and CUP in g.targets(AGENT, "CLOSE")


def test_find_is_local_when_close_and_a_walk_otherwise():
    g = walked(CUP)
    assert run(g, "FIND", KNIFE) is None and g.has_edge(AGENT, "INSIDE", KITCHEN) and KNIFE in g.targets(AGENT, "CLOSE")
    with pytest.raises(ExecutorCrash):  # HEAD's walk-and-find crashes; strict walks
        run(g, "FIND", TV)
    assert run(g, "FIND", TV, strict=True) is None and g.has_edge(AGENT, "INSIDE", LIVING)
    run(g, "WALK", COUCH)
    run(g, "SIT", COUCH)
    assert "not close" in run(g, "FIND", RADIO)  # sitting: FIND can not walk


def test_grab_effects_and_origin_record():
    g, rec = walked(CUP), {}
    assert run(g, "GRAB", CUP, records=rec) is None
    assert g.has_edge(AGENT, "HOLDS_RH", CUP) and not g.has_edge(CUP, "ON", COUNTER)
    assert g.has_edge(CUP, "INSIDE", KITCHEN) and rec[CUP] == (COUNTER, "ON")
    assert run(g, "GRAB", KNIFE) is None and g.has_edge(AGENT, "HOLDS_LH", KNIFE)
    assert run(g, "GRAB", BREAD) == "both hands are full"


def test_grab_refusals():
    g = walked(CUP)
    assert "not grabbable" in run(g, "GRAB", COUNTER)
    assert "not close" in run(g, "GRAB", REMOTE)
    g = walked(PLATE)
    assert "closed container" in run(g, "GRAB", PLATE)
    run(g, "OPEN", CABINET)
    rec = {}
    assert run(g, "GRAB", PLATE, records=rec) is None and "already grabbed" in run(g, "GRAB", PLATE, records=rec)
    assert "already grabbed" in run(g, "GRAB", PLATE, strict=True)  # strict looks at the hands, not the record
    g = walked(CHILD)
    assert run(g, "GRAB", CHILD) is None  # class exception: `child` is grabbable without the property


def test_open_close_preconditions_and_effects():
    g = walked(FRIDGE)
    g.nodes[FRIDGE].states = {"CLOSED", "OFF"}
    assert "not open" in run(g, "CLOSE", FRIDGE)
    assert run(g, "OPEN", FRIDGE) is None and "OPEN" in g.nodes[FRIDGE].states
    assert "not closed" in run(g, "OPEN", FRIDGE)
    assert run(g, "CLOSE", FRIDGE) is None and g.nodes[FRIDGE].states == {"CLOSED", "OFF"}
    g.nodes[FRIDGE].states = {"CLOSED", "ON"}
    assert run(g, "OPEN", FRIDGE) == "fridge is ON"
    assert "can not be opened" in run(g, "OPEN", COUNTER)
    g = walked(CUP)
    run(g, "GRAB", CUP), run(g, "GRAB", KNIFE)
    g.nodes[FRIDGE].states = {"CLOSED", "OFF"}
    run(g, "WALK", FRIDGE)
    assert run(g, "OPEN", FRIDGE) == "both hands are full"


def test_putback_putin_and_putobjback():
    g, rec = walked(CUP), {}
    assert "not held" in run(g, "PUTBACK", CUP, COUNTER, records=rec)
    run(g, "GRAB", CUP, records=rec)
    run(g, "WALK", FRIDGE)
    assert run(g, "PUTIN", CUP, FRIDGE, records=rec) == "fridge is not open"
    assert run(g, "PUTBACK", CUP, FRIDGE, records=rec) is None  # no SURFACES check, as the original
    assert g.has_edge(CUP, "ON", FRIDGE) and not g.has_edge(AGENT, "HOLDS_RH", CUP) and CUP not in rec
    run(g, "GRAB", CUP, records=rec)
    run(g, "OPEN", FRIDGE)
    assert run(g, "PUTIN", CUP, FRIDGE, records=rec) is None and g.has_edge(CUP, "INSIDE", FRIDGE)
    g, rec = walked(CUP), {}
    assert "no place" in run(g, "PUTOBJBACK", CUP, records=rec)
    run(g, "GRAB", CUP, records=rec)
    assert run(g, "PUTOBJBACK", CUP, records=rec) is None and g.has_edge(CUP, "ON", COUNTER)
    g = walked(CUP)
    run(g, "GRAB", CUP)
    assert "not close" in run(g, "PUTBACK", CUP, TABLE)


def test_switch_and_plug():
    g = walked(TV)
    assert run(g, "SWITCHOFF", TV) == "television is not on"
    assert run(g, "SWITCHON", TV) is None and "ON" in g.nodes[TV].states and "OFF" not in g.nodes[TV].states
    assert "no switch" in run(g, "SWITCHON", TVSTAND)
    g = walked(RADIO)
    assert run(g, "SWITCHON", RADIO) == "radio is unplugged"
    assert run(g, "PLUGOUT", RADIO) == "radio is not plugged in"
    assert run(g, "PLUGIN", RADIO) is None and run(g, "SWITCHON", RADIO) is None
    assert run(g, "PLUGOUT", RADIO) is None and "PLUGGED_OUT" in g.nodes[RADIO].states  # while ON: allowed
    assert "no plug" in run(g, "PLUGIN", COUCH)
    assert "not close" in run(walked(CUP), "SWITCHON", TV)


def test_sit_lie_standup_and_seat_occupancy():
    assert "not sittable" in run(walked(TABLE), "SIT", TABLE)
    g = walked(CHAIR)
    assert run(g, "SIT", CHAIR) is None and "SITTING" in g.nodes[AGENT].states and g.has_edge(AGENT, "ON", CHAIR)
    assert "already sitting" in run(g, "SIT", CHAIR)
    assert run(g, "STANDUP") is None and not g.nodes[AGENT].states
    assert "not sitting" in run(g, "STANDUP")
    assert run(g, "SIT", CHAIR) == "chair is occupied"  # the original leaves the agent ON the seat
    g = walked(CHAIR)
    run(g, "SIT", CHAIR), run(g, "STANDUP", strict=True)
    assert run(g, "SIT", CHAIR) is None  # strict frees the seat
    g = walked(COUCH)
    assert run(g, "SIT", COUCH) is None and g.has_edge(AGENT, "FACING", TV)  # faces what the seat faces
    assert run(g, "LIE", COUCH) is None and g.nodes[AGENT].states == {"LYING"}
    assert "already lying" in run(g, "LIE", COUCH)
    assert "not lieable" in run(walked(CHAIR), "LIE", CHAIR)


def test_wipe_wash_rinse_scrub_clean():
    g = walked(TABLE)
    g.nodes[TABLE].states = {"DIRTY"}
    assert "holds nothing" in run(g, "WIPE", TABLE)
    run(g, "GRAB", BOOK)
    assert run(g, "WIPE", TABLE) is None and g.nodes[TABLE].states == {"CLEAN"}
    for verb in ("WASH", "RINSE", "SCRUB"):
        g.nodes[TABLE].states = {"DIRTY"}
        assert run(g, verb, TABLE) is None and g.nodes[TABLE].states == {"CLEAN"}
    assert "not close" in run(g, "WASH", SINK)


def test_puton_and_putoff_crash_and_strict():
    g = walked(SHIRT)
    assert "not held" in run(g, "PUTON", SHIRT)
    run(g, "GRAB", SHIRT)
    assert run(g, "PUTON", SHIRT) is None and g.has_edge(SHIRT, "ON", AGENT) and not g.targets(AGENT, "HOLDS_RH")
    with pytest.raises(PutOffCrash):
        run(g, "PUTOFF", SHIRT)
    assert run(g, "PUTOFF", SHIRT, strict=True) is None and not g.has_edge(SHIRT, "ON", AGENT)
    assert "not worn" in run(g, "PUTOFF", SHIRT, strict=True)
    run(g, "WALK", BOOK)
    run(g, "GRAB", BOOK)
    assert "not clothes" in run(g, "PUTON", BOOK)


def test_drop_release_pour():
    g, rec = walked(CUP), {}
    assert "not held" in run(g, "DROP", CUP)
    run(g, "GRAB", CUP, records=rec)
    assert run(g, "DROP", CUP, records=rec) is None and not g.targets(AGENT, "HOLDS_RH") and CUP not in rec
    run(g, "GRAB", CUP)
    assert run(g, "RELEASE", CUP) is None
    g = walked(MILK)
    assert run(g, "OPEN", FRIDGE) is None
    run(g, "GRAB", MILK)
    run(g, "WALK", CUP)
    assert run(g, "POUR", MILK, CUP) is None and g.has_edge(MILK, "INSIDE", CUP) and g.has_edge(AGENT, "HOLDS_RH", MILK)
    assert "can not receive" in run(g, "POUR", MILK, KNIFE)
    run(g, "GRAB", KNIFE)
    assert "can not be poured" in run(g, "POUR", KNIFE, CUP)
    g = walked(WATER)
    run(g, "GRAB", WATER)
    run(g, "WALK", CUP)
    assert run(g, "POUR", WATER, CUP) is None and not g.targets(AGENT, "HOLDS_RH")  # water leaves the hand


def test_turnto_lookat_pointat_watch():
    g = house()
    assert "does not face" in run(g, "LOOKAT", TV)
    assert run(g, "TURNTO", TV) is None and faces(g, TV)  # TURNTO needs nothing, not even closeness
    for verb in ("LOOKAT", "POINTAT", "LOOKAT_MEDIUM", "WATCH"):
        assert run(g, verb, TV) is None
    assert run(g, "LOOKAT_SHORT", TV, strict=True) is None  # HEAD has no executor for it (see test_virtualhome_quirks)
    assert "not lookable" in run(g, "WATCH", COUCH)
    g = walked(CUP)
    run(g, "TURNTO", TV)
    assert "another room" in run(g, "WATCH", TV)
    g = walked(COUCH)
    run(g, "SIT", COUCH)
    assert run(g, "WATCH", TV) is None  # the couch faces the TV
    g.remove_edge(AGENT, "FACING", TV)
    g.add_edge(AGENT, "FACING", COUCH)
    assert "directly" in run(g, "WATCH", TV)  # sitting: a direct FACING edge is needed


def test_drink_read_touch_type_greet_sleep():
    g = walked(CUP)
    assert "not held" in run(g, "DRINK", CUP)
    run(g, "GRAB", CUP)
    assert run(g, "DRINK", CUP) is None and "not drinkable" in run(g, "DRINK", KNIFE)
    g = walked(BOOK)
    assert "not held" in run(g, "READ", BOOK)
    run(g, "GRAB", BOOK)
    assert run(g, "READ", BOOK) is None and "not readable" in run(g, "READ", REMOTE)
    assert run(g, "TOUCH", REMOTE) is None and "not close" in run(g, "TOUCH", RADIO)
    assert run(walked(TV), "TYPE", TV) is None and "can not type" in run(walked(TABLE), "TYPE", TABLE)
    assert run(g, "GREET", CHILD) is None and "not a person" in run(g, "GREET", TV)
    assert "not lying" in run(g, "SLEEP") and "not lying" in run(g, "WAKEUP")
    g = walked(COUCH)
    run(g, "LIE", COUCH)
    assert run(g, "SLEEP") is None and run(g, "WAKEUP") is None


def test_push_pull_move_squeeze_cut_eat():
    g = walked(REMOTE)
    assert run(g, "PUSH", TABLE) is None and run(g, "MOVE", REMOTE) is None and run(g, "PULL", COUCH) is None
    g2 = walked(TV)
    assert "can not be moved" in run(g2, "PULL", TV) and run(g2, "PUSH", TV) is None
    g = walked(CUP)
    assert "can not be squeezed" in run(g, "SQUEEZE", CUP)
    assert "no knife" in run(g, "CUT", BREAD)
    run(g, "GRAB", KNIFE)
    assert run(g, "CUT", BREAD) is None and "can not be cut" in run(g, "CUT", CUP)
    assert run(g, "EAT", BREAD) is None and run(g, "EAT", COUNTER) is None  # something eatable is ON it
    assert "not eatable" in run(g, "EAT", CUP)
    run(g, "GRAB", CUP)
    assert run(g, "PUSH", CUP) == "both hands are full"


def test_failed_actions_leave_the_graph_unchanged():
    g = walked(CUP)
    before = g.to_json()
    for action, ids in (("GRAB", [TV]), ("OPEN", [COUNTER]), ("PUTIN", [CUP, FRIDGE]), ("SIT", [TABLE]),
                        ("SWITCHON", [COUNTER]), ("WATCH", [TV]), ("STANDUP", [])):
        assert run(g, action, *ids) is not None
    assert g.to_json() == before


def test_room_of_follows_inside_chain():
    g = house()
    g.remove_edge(MILK, "INSIDE", KITCHEN)
    assert room_of(g, MILK) == KITCHEN and room_of(g, KITCHEN) == KITCHEN
