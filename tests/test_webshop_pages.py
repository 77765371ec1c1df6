"""WebShop pages: golden text for every page kind, transitions, and invalid actions that change nothing."""

from __future__ import annotations

import pytest

from spa_gym.envs.webshop.catalogue import Product
from spa_gym.envs.webshop.pages import PageState, Shop, parse_action

INSTR = "i need a travel size unscented body lotion in 3.4 fl oz, and price lower than 40.00 dollars"


def make_product(i: int, **kw) -> Product:
    base = dict(asin=f"B0ZZ1000{i:02d}", title=f"Product {i}", description=f"Description {i}.",
                bullets=(f"first bullet {i}", f"second bullet {i}"), category="beauty", query="body lotion",
                product_category="Beauty \u203a Skin Care", attributes=("travel size",), options={},
                pricing=(float(i) + 0.5,), price=float(i) + 0.5, nouns=("product",))
    base.update(kw)
    return Product(**base)


class Products:
    def __init__(self):
        self.items = [make_product(i) for i in range(12)]
        self.items[0] = make_product(
            0, title="Northfield Unscented Body Lotion, Travel Size 3.4 Fl Oz", pricing=(12.99,), price=12.99,
            options={"size": ("1 fl oz", "3.4 fl oz (pack of 1)"), "scent": ("unscented", "lavender")})
        self.items[1] = make_product(1, title="Calloway Body Cream, 2 Pack", pricing=(8.5,), price=8.5)
        self.items[2] = make_product(2, title="Brightmoor Lotion", pricing=(24.49, 39.99), price=30.0)
        self.items[3] = make_product(3, pricing=(), price=100.0)

    def product(self, index):
        return self.items[index]


@pytest.fixture
def shop():
    def reward(product, options):
        return {"reward": 0.75 if product.asin == "B0ZZ100000" else 0.0}
    return Shop(Products(), lambda query: list(range(12)) if query.strip() else [], reward, INSTR)


def run(shop, *actions):
    state = PageState()
    for a in actions:
        state, _, _, valid = shop.step(state, a)
        assert valid, a
    return state


def test_start_page(shop):
    state = PageState()
    assert shop.render(state) == f"WebShop [SEP] Instruction: [SEP] {INSTR} [SEP] Search"
    assert shop.render(state, "text_rich") == f"WebShop\nInstruction: \n{INSTR}\n[button] Search [button_]\n"
    assert shop.clickables(state) == ["search"]


def test_results_pages_and_unbounded_next(shop):
    state = run(shop, "search[Body Lotion]")
    assert state.keywords == ("body", "lotion")
    assert shop.render(state) == (
        f"Instruction: [SEP] {INSTR} [SEP] Back to Search [SEP] Page 1 (Total results: 12) [SEP] Next > [SEP] "
        "B0ZZ100000 [SEP] Northfield Unscented Body Lotion, Travel Size 3.4 Fl Oz [SEP] $12.99 [SEP] "
        "B0ZZ100001 [SEP] Calloway Body Cream, 2 Pack [SEP] $8.5 [SEP] "
        "B0ZZ100002 [SEP] Brightmoor Lotion [SEP] $24.49 to $39.99 [SEP] "
        "B0ZZ100003 [SEP] Product 3 [SEP] $100.0 [SEP] "
        + " [SEP] ".join(f"B0ZZ1000{i:02d} [SEP] Product {i} [SEP] ${i}.5" for i in range(4, 10)))
    assert shop.clickables(state)[:2] == ["back to search", "next >"] and shop.clickables(state)[2] == "b0zz100000"
    state = run(shop, "search[body lotion]", "click[Next >]")
    assert shop.render(state) == (
        f"Instruction: [SEP] {INSTR} [SEP] Back to Search [SEP] Page 2 (Total results: 12) [SEP] < Prev [SEP] "
        "Next > [SEP] B0ZZ100010 [SEP] Product 10 [SEP] $10.5 [SEP] B0ZZ100011 [SEP] Product 11 [SEP] $11.5")
    state = run(shop, "search[body lotion]", "click[Next >]", "click[Next >]")  # past the end: empty, still Next >
    assert shop.render(state).endswith("Page 3 (Total results: 12) [SEP] < Prev [SEP] Next >")
    state = run(shop, "search[body lotion]", "click[Next >]", "click[< Prev]")
    assert state.results_page == 1


def test_item_page_options_are_not_marked_in_text_mode(shop):
    state = run(shop, "search[body lotion]", "click[b0zz100000]")
    item = (f"Instruction: [SEP] {INSTR} [SEP] Back to Search [SEP] < Prev [SEP] size [SEP] 1 fl oz [SEP] "
            "3.4 fl oz (pack of 1) [SEP] scent [SEP] unscented [SEP] lavender [SEP] "
            "Northfield Unscented Body Lotion, Travel Size 3.4 Fl Oz [SEP] Price: $12.99 [SEP] Rating: N.A. [SEP] "
            "Description [SEP] Features [SEP] Reviews [SEP] Buy Now")
    assert shop.render(state) == item
    assert shop.clickables(state) == ["back to search", "< prev", "description", "features", "reviews", "buy now",
                                      "1 fl oz", "3.4 fl oz (pack of 1)", "unscented", "lavender"]
    state, _, _, valid = shop.step(state, "click[1 fl oz]")
    assert valid and state.options == {"size": "1 fl oz"} and shop.render(state) == item
    state = shop.step(state, "click[3.4 fl oz (pack of 1)]")[0]
    assert state.options == {"size": "3.4 fl oz (pack of 1)"}  # the last click per group wins


def test_item_page_text_rich_marks_clicked_options_and_visited_asins(shop):
    state = run(shop, "search[body lotion]", "click[B0ZZ100000]", "click[1 fl oz]", "click[lavender]")
    rich = shop.render(state, "text_rich")
    assert rich.startswith(f"You have clicked lavender.\nYou have clicked 1 fl oz.\nInstruction:\n{INSTR}\n"
                           "[button] Back to Search [button_]\n[button] < Prev [button_]\nsize\n"
                           "  [clicked button] 1 fl oz [clicked button_]\n  [button] 3.4 fl oz (pack of 1) [button_]\n")
    assert rich.endswith("[button] Reviews [button_]\n[button] Buy Now [button_]\n")
    results = shop.step(state, "click[< Prev]")[0]
    assert results.options == {}  # back to results forgets options
    rich = shop.render(results, "text_rich")
    assert "\n[clicked button] B0ZZ100000 [clicked button_]\n" in rich and "\n[button] B0ZZ100001 [button_]\n" in rich


@pytest.mark.parametrize("button,body", [
    ("Description", " [SEP] Description 0."),
    ("Features", " [SEP] first bullet 0 [SEP] second bullet 0"),
    ("Reviews", ""),
])
def test_sub_pages_and_prev_keeps_options(shop, button, body):
    state = run(shop, "search[body lotion]", "click[B0ZZ100000]", "click[lavender]", f"click[{button}]")
    assert shop.render(state) == f"Instruction: [SEP] {INSTR} [SEP] Back to Search [SEP] < Prev{body}"
    assert shop.clickables(state) == ["back to search", "< prev"]
    back = shop.step(state, "click[< Prev]")[0]
    assert back.page == "item" and back.options == {"scent": "lavender"}


def test_done_page_and_reward(shop):
    state = run(shop, "search[body lotion]", "click[B0ZZ100000]", "click[3.4 fl oz (pack of 1)]")
    state, reward, done, valid = shop.step(state, "click[Buy Now]")
    assert (reward, done, valid) == (0.75, True, True) and shop.clickables(state) == []
    assert shop.render(state) == (
        "Thank you for shopping with us! [SEP] Your code: [SEP] None [SEP] (Paste it in your MTurk interface.) "
        "[SEP] Purchased [SEP] asin [SEP] B0ZZ100000 [SEP] options [SEP] {\"size\": \"3.4 fl oz (pack of 1)\"} "
        "[SEP] attrs [SEP] None [SEP] category [SEP] None [SEP] query [SEP] None [SEP] product category [SEP] None "
        "[SEP] Target [SEP] asin [SEP] options [SEP] attrs [SEP] price upper [SEP] instuction text [SEP] category "
        "[SEP] product category [SEP] query [SEP] Goal [SEP] None [SEP] Reward [SEP] Your score (min 0.0, max 1.0) "
        "[SEP] 0.75 [SEP] Reward Details [SEP] None")


def test_buy_without_options_and_back_to_search_resets(shop):
    state, reward, done, _ = shop.step(run(shop, "search[x]", "click[B0ZZ100001]"), "click[buy now]")
    assert done and reward == 0.0
    state = run(shop, "search[x]", "click[B0ZZ100001]", "click[Back to Search]")
    assert state == PageState()


def test_search_works_on_every_page(shop):
    for actions in [(), ("search[x]",), ("search[x]", "click[B0ZZ100000]"),
                    ("search[x]", "click[B0ZZ100000]", "click[Features]")]:
        state = shop.step(run(shop, *actions), "search[lotion]")[0]
        assert state.page == "results" and state.keywords == ("lotion",) and state.options == {}


@pytest.mark.parametrize("action", [
    "click[Search]", "click[search]", "click[next >]", "click[B0ZZ100011]", "click[lavender]", "search[]",
    "search", "look around", "", "click[]", "SEARCH[lotion]", "buy[B0ZZ100000]", "\u00e9\u4e2d\U0001F600",
    "search\n[x]", "x" * 10_000, "click[" * 500,
])
def test_invalid_actions_change_nothing(shop, action):
    for state in [PageState(), run(shop, "search[x]", "click[B0ZZ100002]")]:
        new, reward, done, valid = shop.step(state, action)
        assert new is state and (reward, done, valid) == (0.0, False, False)


def test_action_parsing_follows_the_original_pattern():
    assert parse_action("click[Buy Now]") == ("click", "buy now")
    assert parse_action("search[red shoes] please") == ("search", "red shoes")
    assert parse_action("search[a]b]") == ("search", "a]b")
    assert parse_action("search[  double  space ]") == ("search", "  double  space ")
    assert parse_action("search[]") is None and parse_action("Search[x]") is None


def test_linear_parser_agrees_with_the_original_regex():
    import random
    import time

    from spa_gym.envs.webshop.pages import ACTION_PATTERN

    rng = random.Random(0)
    for _ in range(20_000):
        s = "".join(rng.choice("ab[] \nc") for _ in range(rng.randint(0, 12)))
        m = ACTION_PATTERN.match(s)
        expected = (m.group(1), m.group(2).lower()) if m else None
        got = parse_action(s)
        assert got == (expected if expected and expected[0] in ("search", "click") else None)
        m = ACTION_PATTERN.match("search" + s)
        assert parse_action("search" + s) == (("search", m.group(2).lower()) if m and m.group(1) == "search" else None)
    start = time.perf_counter()
    parse_action("[" * 10_000), parse_action("a[" * 5_000)
    assert time.perf_counter() - start < 0.05


def test_text_rich_results_and_sub_page_layout(shop):
    state = run(shop, "search[body lotion]")
    assert shop.render(state, "text_rich").startswith(
        f"Instruction:\n{INSTR}\n[button] Back to Search [button_]\nPage 1 (Total results: 12)\n"
        "[button] Next > [button_]\n\n[button] B0ZZ100000 [button_]\n"
        "Northfield Unscented Body Lotion, Travel Size 3.4 Fl Oz\n$12.99\n\n[button] B0ZZ100001 [button_]\n")
    state = run(shop, "search[body lotion]", "click[B0ZZ100000]", "click[Features]")
    assert shop.render(state, "text_rich") == (
        f"Instruction:\n{INSTR}\n[button] Back to Search [button_]\n[button] < Prev [button_]\n"
        " first bullet 0\n second bullet 0\n")  # the template's <p> {{bulletpoint}}</p> keeps a leading space


def test_text_rich_keeps_the_template_whitespace_of_done_and_attributes_pages(shop):
    done = shop.step(run(shop, "search[body lotion]", "click[B0ZZ100000]"), "click[buy now]")[0]
    rich = shop.render(done, "text_rich")
    assert rich.startswith("Thank you for shopping with us!\nYour code: \nNone\n (Paste it in your MTurk interface.)\n")
    assert "\nGoal \nNone\n" in rich and rich.endswith("\nReward Details \nNone\n")
    assert shop.render(done).startswith("Thank you for shopping with us! [SEP] Your code: [SEP] None [SEP] (Paste")
    attrs_shop = Shop(shop.products, shop.search, shop.reward, INSTR, show_attrs=True)
    sub = run(attrs_shop, "search[body lotion]", "click[B0ZZ100000]", "click[Attributes]")
    assert attrs_shop.render(sub, "text_rich").endswith(
        "[button] < Prev [button_]\n travel size\nbeauty\nbody lotion\nBeauty \u203a Skin Care\n")


def test_a_value_in_two_option_groups_belongs_to_the_last_group(shop):
    shop.products.items[5] = make_product(5, options={"color": ("black", "white"), "style": ("black", "classic")})
    item = run(shop, "search[x]", "click[B0ZZ100005]")
    assert shop.clickables(item)[-3:] == ["black", "white", "classic"]  # listed once, where first offered
    assert run(shop, "search[x]", "click[B0ZZ100005]", "click[black]").options == {"style": "black"}


def test_text_rich_marks_a_label_clicked_when_its_quoted_value_is_in_the_url(shop):
    shop.products.items[6] = make_product(6, options={"color": ("caf\u00e9", "red", "size"), "size": ("small",)})
    state = run(shop, "search[x]", "click[B0ZZ100006]", "click[caf\u00e9]")
    # the URL carries json.dumps(options): a non-ASCII value is escaped there, so it is never shown as clicked
    assert "clicked button" not in shop.render(state, "text_rich")
    state = run(shop, "search[x]", "click[B0ZZ100006]", "click[small]")
    rich = shop.render(state, "text_rich")
    # '"size"' is in the URL as the JSON key, so the colour value "size" shows as clicked too
    assert rich.startswith("You have clicked small.\nYou have clicked size.\n")
    assert "  [clicked button] size [clicked button_]" in rich and "  [button] red [button_]" in rich


def test_attributes_button_only_with_show_attrs(shop):
    item = run(shop, "search[body lotion]", "click[B0ZZ100000]")
    assert "attributes" not in shop.clickables(item)
    assert shop.step(item, "click[Attributes]")[3] is False  # absent button: invalid, page unchanged
    attrs_shop = Shop(shop.products, shop.search, shop.reward, INSTR, show_attrs=True)
    clickables = attrs_shop.clickables(item)
    assert clickables.index("attributes") == clickables.index("reviews") + 1 == clickables.index("buy now") - 1
    assert attrs_shop.render(item).endswith("Reviews [SEP] Attributes [SEP] Buy Now")
    sub = run(attrs_shop, "search[body lotion]", "click[B0ZZ100000]", "click[Attributes]")
    assert attrs_shop.render(sub) == (f"Instruction: [SEP] {INSTR} [SEP] Back to Search [SEP] < Prev [SEP] "
                                      "travel size [SEP] beauty [SEP] body lotion [SEP] Beauty \u203a Skin Care")
