"""Our own small vocabulary tables for the generated WebShop catalogue.

The original shop is 1.18M scraped Amazon products in five categories (beauty, food, fashion,
furniture, electronics). We do not copy any of it; these tables describe product *types* the way a
catalogue editor would: the title phrase and which of its words are nouns (the reward's title-noun
type score needs them), the scrape ``query`` the original records per product, an Amazon-style
category path (``A › B › C``), the attributes a product of this type may have, its customisation
option groups and a price band. :mod:`spa_gym.envs.webshop.catalogue` draws products from them.

Everything is printable ASCII except the category separator ``›`` (U+203A), which the original
uses in ``product_category``; it never reaches an observation in ``text`` mode.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The separator of ``product_category`` paths, as in the original data.
CATEGORY_SEP = " \u203a "


@dataclass(frozen=True)
class ProductType:
    """One kind of product (``body lotion``), and what products of that kind look like."""

    category: str                 # one of CATEGORIES: "beauty", "food", "fashion", "furniture", "electronics"
    title: str                    # title phrase, e.g. "Body Lotion"
    nouns: tuple[str, ...]        # nouns of ``title`` (lower-case), what spaCy would tag NOUN/PROPN
    query: str                    # the scrape query the original records per product
    path: tuple[str, ...]         # category path, joined by CATEGORY_SEP
    attributes: tuple[str, ...]   # attributes a product of this type may carry
    options: tuple[str, ...]      # option group names (keys of OPTION_VALUES)
    price: tuple[float, float]    # price band in dollars
    synonyms: tuple[str, ...] = ()  # other names shoppers use in instructions


# Option values per group. Values are already in the original's load-time form: lower-case, "/" -> " | ".
OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "lotion size": ("1 fl oz", "3.4 fl oz (pack of 1)", "6.7 fl oz", "8 fl oz", "12 fl oz", "16.9 fl oz (pack of 2)",
                    "2 fl oz (pack of 3)", "32 fl oz"),
    "scent": ("unscented", "lavender", "vanilla", "coconut", "citrus", "eucalyptus mint", "rose", "sandalwood",
              "fresh linen", "cucumber melon"),
    "shade": ("fair", "light", "light medium", "medium", "medium deep", "deep", "natural beige", "warm honey",
              "cool ivory", "espresso"),
    "hair color": ("black", "dark brown", "light brown", "blonde", "strawberry blonde", "auburn", "silver grey",
                   "burgundy red"),
    "flavor": ("original", "sea salt", "dark chocolate", "vanilla bean", "honey roasted", "cinnamon", "strawberry",
               "peanut butter", "salted caramel", "mixed berry", "green apple", "spicy chili"),
    "food size": ("4 ounce (pack of 1)", "8 ounce (pack of 2)", "12 ounce", "16 ounce (pack of 4)", "1 pound",
                  "2 pound (pack of 1)", "24 count", "6 count (pack of 6)"),
    "count": ("1 count", "2 count", "4 count", "6 count", "12 count", "24 count", "pack of 3", "pack of 10"),
    "color": ("black", "white", "navy blue", "dark blue", "light grey", "charcoal", "red", "burgundy", "olive green",
              "beige", "pink", "khaki", "brown", "multicolor", "ivory", "teal", "mustard yellow", "purple"),
    "clothing size": ("x-small", "small", "medium", "large", "x-large", "xx-large", "3x-large"),
    "shoe size": ("6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12"),
    "style": ("classic", "modern", "slim fit", "relaxed fit", "short sleeve", "long sleeve", "v-neck", "crew neck"),
    "furniture color": ("walnut", "espresso", "natural oak", "white", "black", "grey wash", "rustic brown", "cherry",
                        "light grey", "navy"),
    "furniture size": ("small", "medium", "large", "24 inch", "30 inch", "36 inch", "48 inch", "60 x 80 inch",
                       "queen", "king", "twin"),
    "material": ("solid wood", "engineered wood", "metal", "velvet", "linen", "faux leather", "bamboo", "rattan"),
    "capacity": ("32gb", "64gb", "128gb", "256gb", "512gb", "1tb", "2tb"),
    "device color": ("black", "white", "silver", "space grey", "rose gold", "blue", "red", "midnight green"),
    "length": ("3 ft", "6 ft", "10 ft", "1 m", "2 m", "15 ft"),
    "pattern": ("solid", "striped", "floral", "plaid", "leopard", "geometric", "camo", "polka dot"),
}

_BEAUTY_ATTRS = ("long lasting", "paraben free", "cruelty free", "natural ingredients", "dermatologist tested",
                 "sensitive skin", "travel size", "fragrance free", "non toxic", "easy to use", "high quality",
                 "dry skin", "sulfate free", "vegan")
_FOOD_ATTRS = ("gluten free", "non gmo", "low calorie", "sugar free", "keto friendly", "high protein",
               "individually wrapped", "ready to eat", "plant based", "dairy free", "low sodium", "resealable bag",
               "grass fed", "usda organic", "caffeine free")
_FASHION_ATTRS = ("machine wash", "quick drying", "moisture wicking", "slim fit", "button closure", "rubber sole",
                  "long sleeve", "daily wear", "relaxed fit", "hand wash", "elastic waist", "non slip", "polyester cotton",
                  "soft material")
_FURNITURE_ATTRS = ("easy assembly", "solid wood", "space saving", "living room", "storage space", "mid century",
                    "high density", "easy clean", "bedroom", "dining room", "metal legs", "wall mounted", "pu leather",
                    "home office")
_ELECTRONICS_ATTRS = ("fast charging", "high speed", "noise cancelling", "water resistant", "long battery life",
                      "plug and play", "wireless bluetooth", "hands free", "easy install", "high definition",
                      "usb port", "heavy duty", "aluminum alloy", "stereo sound")

_B = ("Beauty & Personal Care",)
_F = ("Grocery & Gourmet Food",)
_C = ("Clothing, Shoes & Jewelry",)
_H = ("Home & Kitchen", "Furniture")
_E = ("Electronics",)

PRODUCT_TYPES: tuple[ProductType, ...] = (
    # ---------------------------------------------------------------- beauty
    ProductType("beauty", "Body Lotion", ("body", "lotion"), "body lotion", _B + ("Skin Care", "Body", "Lotions"),
                _BEAUTY_ATTRS, ("lotion size", "scent"), (6.0, 38.0), ("body moisturizer", "body cream")),
    ProductType("beauty", "Shampoo", ("shampoo",), "shampoo", _B + ("Hair Care", "Shampoo & Conditioner", "Shampoos"),
                _BEAUTY_ATTRS, ("lotion size", "scent"), (5.0, 32.0), ("hair wash", "hair shampoo")),
    ProductType("beauty", "Hair Conditioner", ("hair", "conditioner"), "conditioner",
                _B + ("Hair Care", "Shampoo & Conditioner", "Conditioners"), _BEAUTY_ATTRS, ("lotion size", "scent"),
                (5.0, 30.0), ("conditioner", "hair softener")),
    ProductType("beauty", "Liquid Foundation", ("foundation",), "foundation makeup",
                _B + ("Makeup", "Face", "Foundation"), _BEAUTY_ATTRS, ("shade",), (8.0, 45.0),
                ("foundation makeup", "face foundation")),
    ProductType("beauty", "Lip Balm", ("lip", "balm"), "lip balm", _B + ("Skin Care", "Lip Care", "Balms"),
                _BEAUTY_ATTRS, ("scent", "count"), (2.0, 16.0), ("lip moisturizer", "chapstick")),
    ProductType("beauty", "Hair Dye Kit", ("hair", "dye", "kit"), "hair dye",
                _B + ("Hair Care", "Hair Coloring Products", "Hair Color"), _BEAUTY_ATTRS, ("hair color", "count"),
                (7.0, 28.0), ("hair color", "hair coloring kit")),
    ProductType("beauty", "Face Serum", ("face", "serum"), "face serum", _B + ("Skin Care", "Face", "Serums"),
                _BEAUTY_ATTRS, ("lotion size",), (9.0, 60.0), ("facial serum", "skin serum")),
    ProductType("beauty", "Makeup Brush Set", ("makeup", "brush", "set"), "makeup brushes",
                _B + ("Tools & Accessories", "Makeup Brushes & Tools", "Brush Sets"), _BEAUTY_ATTRS,
                ("color", "count"), (6.0, 35.0), ("makeup brushes", "cosmetic brush set")),
    # ---------------------------------------------------------------- food
    ProductType("food", "Potato Chips", ("potato", "chips"), "potato chips",
                _F + ("Snack Foods", "Chips & Crisps", "Potato Chips"), _FOOD_ATTRS, ("flavor", "food size"),
                (2.0, 24.0), ("crisps", "chips")),
    ProductType("food", "Protein Bars", ("protein", "bars"), "protein bars",
                _F + ("Snack Foods", "Bars", "Protein Bars"), _FOOD_ATTRS, ("flavor", "count"), (8.0, 40.0),
                ("protein snack bars", "energy bars")),
    ProductType("food", "Ground Coffee", ("coffee",), "ground coffee",
                _F + ("Beverages", "Coffee, Tea & Cocoa", "Coffee"), _FOOD_ATTRS, ("flavor", "food size"),
                (6.0, 35.0), ("coffee grounds", "coffee")),
    ProductType("food", "Herbal Tea Bags", ("tea", "bags"), "herbal tea",
                _F + ("Beverages", "Coffee, Tea & Cocoa", "Tea"), _FOOD_ATTRS, ("flavor", "count"), (3.0, 25.0),
                ("herbal tea", "tea bags")),
    ProductType("food", "Mixed Nuts", ("nuts",), "mixed nuts", _F + ("Snack Foods", "Nuts & Seeds", "Mixed Nuts"),
                _FOOD_ATTRS, ("flavor", "food size"), (5.0, 36.0), ("nut mix", "trail mix")),
    ProductType("food", "Beef Jerky", ("beef", "jerky"), "beef jerky",
                _F + ("Snack Foods", "Jerky & Dried Meats", "Jerky"), _FOOD_ATTRS, ("flavor", "food size"),
                (6.0, 38.0), ("jerky", "dried beef")),
    ProductType("food", "Pasta Sauce", ("pasta", "sauce"), "pasta sauce",
                _F + ("Pantry Staples", "Sauces, Gravies & Marinades", "Pasta Sauces"), _FOOD_ATTRS,
                ("flavor", "food size"), (3.0, 22.0), ("tomato sauce", "marinara sauce")),
    ProductType("food", "Gummy Candy", ("candy",), "gummy candy",
                _F + ("Snacks & Sweets", "Candy & Chocolate", "Gummy Candy"), _FOOD_ATTRS, ("flavor", "count"),
                (2.0, 20.0), ("gummies", "gummy bears")),
    # ---------------------------------------------------------------- fashion
    ProductType("fashion", "Running Shoes", ("running", "shoes"), "running shoes",
                _C + ("Men", "Shoes", "Athletic", "Running"), _FASHION_ATTRS, ("shoe size", "color"), (25.0, 120.0),
                ("sneakers", "athletic shoes")),
    ProductType("fashion", "Crew Neck T-Shirt", ("t", "shirt"), "t shirt",
                _C + ("Men", "Clothing", "Shirts", "T-Shirts"), _FASHION_ATTRS, ("clothing size", "color"),
                (8.0, 35.0), ("tee shirt", "tshirt")),
    ProductType("fashion", "Yoga Pants", ("yoga", "pants"), "yoga pants",
                _C + ("Women", "Clothing", "Active", "Leggings"), _FASHION_ATTRS, ("clothing size", "color"),
                (12.0, 55.0), ("leggings", "workout pants")),
    ProductType("fashion", "Hooded Sweatshirt", ("sweatshirt",), "hoodie",
                _C + ("Men", "Clothing", "Fashion Hoodies & Sweatshirts"), _FASHION_ATTRS,
                ("clothing size", "color", "style"), (18.0, 70.0), ("hoodie", "pullover hoodie")),
    ProductType("fashion", "Summer Dress", ("summer", "dress"), "summer dress",
                _C + ("Women", "Clothing", "Dresses", "Casual"), _FASHION_ATTRS, ("clothing size", "pattern"),
                (15.0, 65.0), ("sundress", "casual dress")),
    ProductType("fashion", "Ankle Socks", ("socks",), "ankle socks", _C + ("Men", "Clothing", "Socks", "Athletic"),
                _FASHION_ATTRS, ("clothing size", "count"), (6.0, 28.0), ("low cut socks", "athletic socks")),
    ProductType("fashion", "Winter Beanie Hat", ("winter", "beanie", "hat"), "beanie hat",
                _C + ("Women", "Accessories", "Hats & Caps", "Skullies & Beanies"), _FASHION_ATTRS, ("color",),
                (7.0, 30.0), ("knit hat", "beanie")),
    ProductType("fashion", "Leather Belt", ("leather", "belt"), "leather belt",
                _C + ("Men", "Accessories", "Belts"), _FASHION_ATTRS, ("color", "clothing size"), (10.0, 45.0),
                ("dress belt", "belt")),
    # ---------------------------------------------------------------- furniture
    ProductType("furniture", "Accent Chair", ("accent", "chair"), "accent chair",
                _H + ("Living Room Furniture", "Chairs"), _FURNITURE_ATTRS, ("furniture color", "material"),
                (80.0, 350.0), ("armchair", "living room chair")),
    ProductType("furniture", "Coffee Table", ("coffee", "table"), "coffee table",
                _H + ("Living Room Furniture", "Tables", "Coffee Tables"), _FURNITURE_ATTRS,
                ("furniture color", "furniture size"), (45.0, 300.0), ("center table", "cocktail table")),
    ProductType("furniture", "Bookshelf", ("bookshelf",), "bookshelf",
                _H + ("Home Office Furniture", "Bookcases"), _FURNITURE_ATTRS, ("furniture color", "furniture size"),
                (35.0, 250.0), ("bookcase", "book shelf")),
    ProductType("furniture", "Bar Stools", ("bar", "stools"), "bar stools",
                _H + ("Kitchen & Dining Room Furniture", "Stools"), _FURNITURE_ATTRS,
                ("furniture color", "count"), (40.0, 260.0), ("counter stools", "kitchen stools")),
    ProductType("furniture", "Platform Bed Frame", ("platform", "bed", "frame"), "bed frame",
                _H + ("Bedroom Furniture", "Beds, Frames & Bases", "Beds"), _FURNITURE_ATTRS,
                ("furniture size", "furniture color"), (90.0, 420.0), ("bed frame", "platform bed")),
    ProductType("furniture", "Nightstand", ("nightstand",), "nightstand",
                _H + ("Bedroom Furniture", "Nightstands"), _FURNITURE_ATTRS, ("furniture color", "count"),
                (30.0, 180.0), ("bedside table", "night table")),
    ProductType("furniture", "Area Rug", ("area", "rug"), "area rug", ("Home & Kitchen", "Home Decor", "Area Rugs"),
                _FURNITURE_ATTRS, ("furniture size", "pattern"), (25.0, 220.0), ("rug", "floor carpet")),
    ProductType("furniture", "Computer Desk", ("computer", "desk"), "computer desk",
                _H + ("Home Office Furniture", "Home Office Desks"), _FURNITURE_ATTRS,
                ("furniture color", "furniture size"), (60.0, 320.0), ("office desk", "writing desk")),
    # ---------------------------------------------------------------- electronics
    ProductType("electronics", "Wireless Earbuds", ("earbuds",), "wireless earbuds",
                _E + ("Headphones, Earbuds & Accessories", "Earbud Headphones"), _ELECTRONICS_ATTRS,
                ("device color",), (15.0, 150.0), ("bluetooth earbuds", "earphones")),
    ProductType("electronics", "USB C Charging Cable", ("usb", "c", "cable"), "usb c cable",
                _E + ("Computers & Accessories", "Cables", "USB Cables"), _ELECTRONICS_ATTRS,
                ("length", "device color", "count"), (5.0, 25.0), ("type c cable", "charger cord")),
    ProductType("electronics", "Portable Power Bank", ("power", "bank"), "power bank",
                _E + ("Cell Phones & Accessories", "Chargers & Power Adapters", "Portable Power Banks"),
                _ELECTRONICS_ATTRS, ("device color",), (12.0, 80.0), ("portable charger", "battery pack")),
    ProductType("electronics", "Micro SD Memory Card", ("micro", "memory", "card"), "micro sd card",
                _E + ("Computers & Accessories", "Memory Cards", "Micro SD Cards"), _ELECTRONICS_ATTRS,
                ("capacity", "count"), (6.0, 90.0), ("sd card", "memory card")),
    ProductType("electronics", "Bluetooth Speaker", ("bluetooth", "speaker"), "bluetooth speaker",
                _E + ("Portable Audio & Video", "Portable Speakers & Docks", "Portable Bluetooth Speakers"),
                _ELECTRONICS_ATTRS, ("device color",), (18.0, 160.0), ("wireless speaker", "portable speaker")),
    ProductType("electronics", "HDMI Cable", ("hdmi", "cable"), "hdmi cable",
                _E + ("Television & Video", "Accessories", "Cables", "HDMI Cables"), _ELECTRONICS_ATTRS,
                ("length", "count"), (5.0, 30.0), ("hdmi cord", "video cable")),
    ProductType("electronics", "Wireless Mouse", ("mouse",), "wireless mouse",
                _E + ("Computers & Accessories", "Computer Accessories & Peripherals", "Mice"), _ELECTRONICS_ATTRS,
                ("device color",), (8.0, 60.0), ("computer mouse", "cordless mouse")),
    ProductType("electronics", "Phone Case", ("phone", "case"), "phone case",
                _E + ("Cell Phones & Accessories", "Cases, Holsters & Sleeves", "Basic Cases"), _ELECTRONICS_ATTRS,
                ("device color", "pattern"), (6.0, 40.0), ("cell phone case", "protective case")),
)

CATEGORIES = ("beauty", "food", "fashion", "furniture", "electronics")

# Brand names are made of two invented syllable parts; spaCy tags such words PROPN, so they count as nouns.
BRAND_HEADS = ("North", "Bright", "Calla", "Silver", "Oak", "Blue", "Maple", "Stone", "River", "Sun", "Pine", "Cedar",
               "Harbor", "Lumi", "Vera", "Nova", "Terra", "Alder", "Wren", "Ember", "Fern", "Iris", "Juno", "Kestrel",
               "Lark", "Moss", "Opal", "Quill", "Rowan", "Sable", "Tidal", "Umber", "Vale", "Willow", "Zephyr", "Ash")
BRAND_TAILS = ("field", "moor", "way", "crest", "brook", "ridge", "vale", "wood", "haven", "line", "leaf", "stone",
               "ford", "mont", "bay", "gate", "light", "wick", "dale", "port")

# Adjectives that may open a title; never nouns.
TITLE_ADJECTIVES = ("Premium", "Classic", "Everyday", "Deluxe", "Essential", "Original", "Ultra", "Pro", "Compact",
                    "Modern", "Natural", "Advanced", "Lightweight", "Soft", "Durable")

# Sentences for descriptions and bullets; {type} {brand} {attr} are filled in.
DESCRIPTION_SENTENCES = (
    "The {brand} {type} is made for people who care about quality.",
    "Every {type} from {brand} is checked by hand before it ships.",
    "This {type} is {attr}, so you can use it every day without worry.",
    "Designed to be {attr} and built to last.",
    "Our customers choose it because it is {attr}.",
    "A simple, honest {type} at a fair price.",
    "Great as a gift for friends and family.",
    "Backed by a 30 day money back promise from {brand}.",
    "It fits easily into your routine and your home.",
    "Each order is packed with care in recyclable materials.",
)
BULLET_TEMPLATES = (
    "{ATTR}: this {type} is {attr} for everyday use",
    "WHAT YOU GET: one {brand} {type} and a friendly customer service team",
    "QUALITY FIRST: made with {attr} materials and tested for safety",
    "EASY TO LOVE: {attr}, simple to use, easy to store",
    "SATISFACTION: if you are not happy with your {type}, we will make it right",
    "PERFECT GIFT: a thoughtful {type} for birthdays, holidays and every day",
)

# Goal instruction phrasing. {a} is the article, {item} the product phrase, {opts} the option clause.
GOAL_OPENERS = ("i need", "i am looking for", "i want to buy", "find me", "i'm searching for", "can you get me",
                "i would like", "please find", "get me", "i want", "help me find", "i'd like to order")
OPTION_CLAUSES = (" in {values}", " with {pairs}", ", {values}", " available in {values}", ", preferably {values}")
