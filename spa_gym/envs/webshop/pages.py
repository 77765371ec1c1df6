"""The shop's pages: state, clickables, transitions and the exact observation text.

Pages are start, search results, item, item sub-page (Description / Features / Reviews, and Attributes
when made with ``show_attrs=True`` as in the original) and done.
:class:`Shop` applies ``search[...]`` / ``click[...]`` to a :class:`PageState` the way the original
text env does (see the spec for the quirks kept: search works on every page, ``next >`` has no end,
Buy Now needs no options, the selected option is not marked in ``text`` mode) and renders the page
as the original's ``text`` (``[SEP]``-joined text nodes) or ``text_rich`` (``[button]`` markup).

>>> parse_action("click[Buy Now] thanks"), parse_action("search[]"), parse_action("look")
(('click', 'buy now'), None, None)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from spa_gym.envs.webshop.search import PRODUCT_WINDOW

#: The original's action pattern: greedy, anchored at the start only; text after the last "]" is ignored.
ACTION_PATTERN = re.compile(r"(.+)\[(.+)\]")
SEP = " [SEP] "
SUB_PAGES = ("Description", "Features", "Reviews")
OBSERVATION_MODES = ("text", "text_rich")
#: The original's debug search prefixes (first keyword): random products, a category, a scrape query, an attribute.
BACK_DOORS = ("<r>", "<c>", "<q>", "<a>")


def parse_action(action: str) -> tuple[str, str] | None:
    """``(name, lower-cased argument)`` of a ``search``/``click`` action, else None (a no-op)."""
    # Same result as ``ACTION_PATTERN.match`` in linear time (the regex backtracks quadratically on "[[[[...").
    line = action.split("\n", 1)[0]  # "." never matches a newline
    close = line.rfind("]")
    open_ = line.rfind("[", 1, close - 1) if close > 2 else -1
    if open_ < 1:
        return None
    name, arg = line[:open_], line[open_ + 1:close].lower()
    if name not in ("search", "click"):
        return None
    return name, arg


@dataclass
class PageState:
    """Where the shopper is. Picklable; copied for snapshots."""

    page: str = "start"                          # start | results | item | sub | done
    keywords: tuple[str, ...] = ()               # the search keywords (split on single spaces)
    results: tuple[int, ...] = ()                # product indices returned by the search, best first
    results_page: int = 1
    product: int = -1                            # product index on item / sub / done pages
    options: dict[str, str] = field(default_factory=dict)  # chosen option name -> value
    sub_page: str = ""                           # Description | Features | Reviews | Attributes
    visited: tuple[str, ...] = ()                # ASINs opened since the last "back to search"
    purchase: dict[str, Any] | None = None       # reward breakdown after Buy Now


class ProductSource(Protocol):
    """What the pages need from a catalogue (generated or official)."""

    def product(self, index: int) -> Any: ...


class Shop:
    """Page logic over a product source, a search function and a reward function.

    Args:
        products: anything with ``product(index)`` returning a product record.
        search: ``query -> [product index]`` (the top 50).
        reward: ``(product, options) -> breakdown dict`` with a ``"reward"`` key.
        instruction: the goal text shown on every page.
        show_attrs: offer the item page's Attributes button (the original's ``show_attrs``; off there too).
        back_door: the original's debug searches, ``keywords -> product indices``, or None for "not one" (the
            action is then a no-op); asked only when the first keyword is one of :data:`BACK_DOORS`. Without it
            those keywords are searched as words.
    """

    def __init__(self, products: ProductSource, search: Callable[[str], list[int]],
                 reward: Callable[[Any, dict[str, str]], dict[str, Any]], instruction: str,
                 show_attrs: bool = False,
                 back_door: Callable[[tuple[str, ...]], list[int] | None] | None = None) -> None:
        self.products = products
        self.search = search
        self.back_door = back_door
        self.reward = reward
        self.instruction = instruction
        self.sub_pages = SUB_PAGES + (("Attributes",) if show_attrs else ())

    # ------------------------------------------------------------------ clickables
    def page_results(self, state: PageState) -> list[int]:
        start = (state.results_page - 1) * PRODUCT_WINDOW
        return list(state.results[start:start + PRODUCT_WINDOW])

    def clickables(self, state: PageState) -> list[str]:
        """The original's ``get_available_actions()["clickables"]``: buttons, then ASINs, then option values."""
        if state.page == "start":
            return ["search"]
        if state.page == "results":
            buttons = ["back to search"] + (["< prev"] if state.results_page > 1 else []) + ["next >"]
            return buttons + [self.products.product(i).asin.lower() for i in self.page_results(state)]
        if state.page == "item":
            product = self.products.product(state.product)
            values = [v for vs in product.options.values() for v in vs]
            # the original keys its clickables by text: a value offered twice (or equal to a button) is listed once
            buttons = ["back to search", "< prev"] + [s.lower() for s in self.sub_pages] + ["buy now"]
            return list(dict.fromkeys(buttons + values))
        if state.page == "sub":
            return ["back to search", "< prev"]
        return []

    # ------------------------------------------------------------------ transitions
    def step(self, state: PageState, action: str) -> tuple[PageState, float, bool, bool]:
        """Apply ``action``: ``(new state, reward, done, valid)``. An invalid action returns ``state`` itself."""
        parsed = parse_action(action)
        if parsed is None:
            return state, 0.0, False, False
        name, arg = parsed
        if name == "search":
            keywords = tuple(arg.split(" "))
            if self.back_door is not None and keywords[0] in BACK_DOORS:
                found = self.back_door(keywords)
                if found is None:  # the original crashes here
                    return state, 0.0, False, False
                results = tuple(found)
            else:
                results = tuple(self.search(" ".join(keywords)))
            return replace(state, page="results", keywords=keywords, results=results, results_page=1, product=-1,
                           options={}, sub_page="", purchase=None), 0.0, False, True
        if arg == "search" or arg not in self.clickables(state):
            return state, 0.0, False, False
        if arg == "back to search":
            return PageState(), 0.0, False, True
        if arg == "next >":
            return replace(state, results_page=state.results_page + 1), 0.0, False, True
        if arg == "< prev":
            if state.page == "results":
                return replace(state, results_page=state.results_page - 1), 0.0, False, True
            if state.page == "item":  # back to the same results page; the options are forgotten
                return replace(state, page="results", product=-1, options={}), 0.0, False, True
            return replace(state, page="item", sub_page=""), 0.0, False, True
        if state.page == "results":  # an ASIN
            index = next(i for i in self.page_results(state) if self.products.product(i).asin.lower() == arg)
            asin = self.products.product(index).asin
            visited = state.visited if asin in state.visited else state.visited + (asin,)
            return replace(state, page="item", product=index, options={}, visited=visited), 0.0, False, True
        product = self.products.product(state.product)
        if arg == "buy now":
            breakdown = self.reward(product, dict(state.options))
            return replace(state, page="done", purchase=breakdown), float(breakdown["reward"]), True, True
        for sub in self.sub_pages:
            if arg == sub.lower():
                return replace(state, page="sub", sub_page=sub), 0.0, False, True
        # An option value. The original maps each value to the last radio button that has it, so a value offered
        # by two groups sets the later group.
        for group, values in reversed(product.options.items()):
            if arg in values:
                options = dict(state.options)
                options[group] = arg
                return replace(state, options=options), 0.0, False, True
        return state, 0.0, False, False  # unreachable: every clickable is handled above

    # ------------------------------------------------------------------ rendering
    def nodes(self, state: PageState) -> list[tuple[str, str]]:
        """The page's visible text nodes as ``(kind, text)``; kind: text, button, label or asin."""
        instr = self.instruction
        if state.page == "start":
            return [("text", "WebShop"), ("text", "Instruction: "), ("text", instr), ("button", "Search")]
        head = [("text", "Instruction:"), ("text", instr), ("button", "Back to Search")]
        if state.page == "results":
            out = head + [("text", f"Page {state.results_page} (Total results: {len(state.results)})")]
            if state.results_page > 1:
                out.append(("button", "< Prev"))
            out.append(("button", "Next >"))
            for i in self.page_results(state):
                p = self.products.product(i)
                out += [("asin", p.asin), ("text", p.title), ("text", p.price_text)]
            return out
        if state.page == "done":
            return [("text", t) for t in self._done_texts(state)]
        product = self.products.product(state.product)
        out = head + [("button", "< Prev")]
        if state.page == "item":
            for group, values in product.options.items():
                out.append(("text", group))
                out += [("label", v) for v in values]
            out += [("text", product.title), ("text", f"Price: {product.price_text}"), ("text", "Rating: N.A.")]
            out += [("button", s) for s in self.sub_pages] + [("button", "Buy Now")]
            return out
        if state.sub_page == "Description":
            out.append(("text", product.description))
        elif state.sub_page == "Features":  # the template writes each bullet as <p> {{bulletpoint}}</p>
            out += [("text", " " + b) for b in product.bullets]
        elif state.sub_page == "Attributes":  # ... and each attribute as <p> {{attribute}}</p>
            out += [("text", " " + a) for a in product.attributes]
            out += [("text", product.category), ("text", product.query), ("text", product.product_category)]
        return out  # Reviews: the original shows none

    def _done_texts(self, state: PageState) -> list[str]:
        product = self.products.product(state.product)
        reward = state.purchase["reward"] if state.purchase else 0.0
        # the text nodes of the done template, with its spaces ("Your code: ", "Goal ", ...)
        return ["Thank you for shopping with us!", "Your code: ", "None", " (Paste it in your MTurk interface.)",
                "Purchased", "asin", product.asin, "options", _tojson(state.options), "attrs", "None", "category",
                "None", "query", "None", "product category", "None", "Target", "asin", "options", "attrs",
                "price upper", "instuction text", "category", "product category", "query", "Goal ", "None",
                "Reward", "Your score (min 0.0, max 1.0)", str(reward), "Reward Details ", "None"]

    def render(self, state: PageState, mode: str = "text") -> str:
        nodes = self.nodes(state)
        if mode == "text":
            return SEP.join(t.strip() for _, t in nodes if t.strip())
        if mode != "text_rich":
            raise ValueError(f"observation_mode must be one of {OBSERVATION_MODES}, got {mode!r}")
        observation = ""
        # A label shows as clicked when '"value"' occurs in the page's URL, which ends with the search keywords,
        # the results page and the chosen options as JSON (non-ASCII escaped, so such a value never matches).
        url = ("+".join(state.keywords) + f"/{state.results_page}/" + json.dumps(state.options)
               if state.page == "item" else "")
        for kind, t in nodes:
            # text_rich keeps each text node as the HTML has it (template spaces included); nodes equal to "\n"
            # are skipped, and we never make whitespace-only ones
            if not t.strip():
                continue
            if kind == "button":
                t = f"[button] {t} [button_]"
            elif kind == "label":
                if f'"{t}"' in url:
                    observation = f"You have clicked {t}.\n" + observation
                    t = f"  [clicked button] {t} [clicked button_]"
                else:
                    t = f"  [button] {t} [button_]"
            elif kind == "asin":
                t = f"\n[clicked button] {t} [clicked button_]" if t in state.visited else f"\n[button] {t} [button_]"
            observation += t + "\n"
        return observation


def _tojson(options: dict[str, str]) -> str:
    """Flask's ``tojson``: sorted keys, and ``<>&'`` escaped as ``\\u003c`` etc."""
    text = json.dumps(options, sort_keys=True)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027"))
