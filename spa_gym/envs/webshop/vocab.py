"""Our own small vocabulary tables for the generated WebShop catalogue.

The original shop is 1.18M scraped Amazon products in five categories (beauty, food, fashion,
furniture, electronics). We do not copy any of it; these tables describe product *types* the way a
catalogue editor would: the title phrase and its head nouns, the scrape ``query`` the original
records per product, an Amazon-style category path (``A › B › C``), the attributes a product of this type may have, its customisation
option groups and a price band. :mod:`spa_gym.envs.webshop.catalogue` draws products from them.

Everything is printable ASCII except the category separator ``›`` (U+203A), which the original
uses in ``product_category``; it shows on the Attributes sub-page (``show_attrs=True``), so it is part of
the env's Text spaces (``Catalogue.characters``).
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
    nouns: tuple[str, ...]        # head nouns of ``title`` (lower-case); the reward does not use them: it reads
                                  # spaCy's tags of whole titles from title_nouns.json
    query: str                    # the scrape query the original records per product
    path: tuple[str, ...]         # category path, joined by CATEGORY_SEP
    attributes: tuple[str, ...]   # attributes a product of this type may carry (written per type, so they fit)
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
    "snack flavor": ("original", "sea salt", "honey roasted", "spicy chili", "salt and vinegar", "barbecue",
                     "sour cream and onion", "jalapeno", "smoked"),
    "bar flavor": ("dark chocolate", "peanut butter", "salted caramel", "mixed berry", "cookies and cream",
                   "vanilla bean", "cinnamon", "lemon"),
    "coffee flavor": ("original", "french vanilla", "hazelnut", "mocha", "colombian", "caramel", "decaf", "cinnamon"),
    "tea flavor": ("chamomile", "peppermint", "lemon ginger", "hibiscus", "rooibos", "lavender", "mixed berry",
                   "cinnamon"),
    "jerky flavor": ("original", "teriyaki", "peppered", "sweet and spicy", "hickory smoked", "spicy chili", "garlic"),
    "sauce flavor": ("marinara", "tomato basil", "garlic and herb", "roasted red pepper", "arrabbiata", "four cheese",
                     "mushroom", "spicy chili"),
    "candy flavor": ("strawberry", "mixed berry", "green apple", "watermelon", "sour cherry", "tropical punch",
                     "peach", "orange"),
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


_B = ("Beauty & Personal Care",)
_F = ("Grocery & Gourmet Food",)
_C = ("Clothing, Shoes & Jewelry",)
_H = ("Home & Kitchen", "Furniture")
_E = ("Electronics",)

PRODUCT_TYPES: tuple[ProductType, ...] = (
    # ---------------------------------------------------------------- beauty
    ProductType("beauty", "Body Lotion", ("body", "lotion"), "body lotion", _B + ("Skin Care", "Body", "Lotions"),
                attributes=("long lasting", "paraben free", "cruelty free", "natural ingredients",
                            "dermatologist tested", "sensitive skin", "travel size", "fragrance free", "dry skin",
                            "vegan"),
                options=("lotion size", "scent"), price=(6.0, 38.0), synonyms=("body moisturizer", "body cream")),
    ProductType("beauty", "Shampoo", ("shampoo",), "shampoo", _B + ("Hair Care", "Shampoo & Conditioner", "Shampoos"),
                attributes=("sulfate free", "paraben free", "cruelty free", "natural ingredients", "dry hair",
                            "damaged hair", "travel size", "color safe", "vegan", "long lasting"),
                options=("lotion size", "scent"), price=(5.0, 32.0), synonyms=("hair wash", "hair shampoo")),
    ProductType("beauty", "Hair Conditioner", ("hair", "conditioner"), "conditioner",
                _B + ("Hair Care", "Shampoo & Conditioner", "Conditioners"),
                attributes=("sulfate free", "paraben free", "cruelty free", "natural ingredients", "dry hair",
                            "damaged hair", "color safe", "vegan", "easy to use"),
                options=("lotion size", "scent"), price=(5.0, 30.0), synonyms=("conditioner", "hair softener")),
    ProductType("beauty", "Liquid Foundation", ("foundation",), "foundation makeup",
                _B + ("Makeup", "Face", "Foundation"),
                attributes=("long lasting", "oil free", "cruelty free", "sensitive skin", "paraben free",
                            "full coverage", "easy to use", "vegan", "non toxic"),
                options=("shade",), price=(8.0, 45.0), synonyms=("foundation makeup", "face foundation")),
    ProductType("beauty", "Lip Balm", ("lip", "balm"), "lip balm", _B + ("Skin Care", "Lip Care", "Balms"),
                attributes=("long lasting", "natural ingredients", "dry skin", "cruelty free", "paraben free",
                            "travel size", "vegan", "easy to use"),
                options=("scent", "count"), price=(2.0, 16.0), synonyms=("lip moisturizer", "chapstick")),
    ProductType("beauty", "Hair Dye Kit", ("hair", "dye", "kit"), "hair dye",
                _B + ("Hair Care", "Hair Coloring Products", "Hair Color"),
                attributes=("long lasting", "easy to use", "ammonia free", "natural ingredients", "cruelty free",
                            "gray coverage", "salon quality"),
                options=("hair color", "count"), price=(7.0, 28.0), synonyms=("hair color", "hair coloring kit")),
    ProductType("beauty", "Face Serum", ("face", "serum"), "face serum", _B + ("Skin Care", "Face", "Serums"),
                attributes=("dermatologist tested", "sensitive skin", "fragrance free", "paraben free", "fine lines",
                            "dry skin", "natural ingredients", "vegan", "cruelty free"),
                options=("lotion size",), price=(9.0, 60.0), synonyms=("facial serum", "skin serum")),
    ProductType("beauty", "Makeup Brush Set", ("makeup", "brush", "set"), "makeup brushes",
                _B + ("Tools & Accessories", "Makeup Brushes & Tools", "Brush Sets"),
                attributes=("high quality", "easy to clean", "cruelty free", "synthetic hair", "travel size",
                            "easy to use", "vegan", "non toxic"),
                options=("color", "count"), price=(6.0, 35.0), synonyms=("makeup brushes", "cosmetic brush set")),
    # ---------------------------------------------------------------- food
    ProductType("food", "Potato Chips", ("potato", "chips"), "potato chips",
                _F + ("Snack Foods", "Chips & Crisps", "Potato Chips"),
                attributes=("gluten free", "non gmo", "individually wrapped", "resealable bag", "plant based",
                            "low sodium", "kosher", "ready to eat"),
                options=("snack flavor", "food size"), price=(2.0, 24.0), synonyms=("crisps", "chips")),
    ProductType("food", "Protein Bars", ("protein", "bars"), "protein bars",
                _F + ("Snack Foods", "Bars", "Protein Bars"),
                attributes=("gluten free", "high protein", "low sugar", "keto friendly", "individually wrapped",
                            "non gmo", "plant based", "dairy free"),
                options=("bar flavor", "count"), price=(8.0, 40.0), synonyms=("protein snack bars", "energy bars")),
    ProductType("food", "Ground Coffee", ("coffee",), "ground coffee",
                _F + ("Beverages", "Coffee, Tea & Cocoa", "Coffee"),
                attributes=("usda organic", "non gmo", "fair trade", "keto friendly", "sugar free", "resealable bag",
                            "kosher", "low acid"),
                options=("coffee flavor", "food size"), price=(6.0, 35.0), synonyms=("coffee grounds", "coffee")),
    ProductType("food", "Herbal Tea Bags", ("tea", "bags"), "herbal tea",
                _F + ("Beverages", "Coffee, Tea & Cocoa", "Tea"),
                attributes=("caffeine free", "usda organic", "non gmo", "sugar free", "gluten free",
                            "individually wrapped", "kosher", "low calorie"),
                options=("tea flavor", "count"), price=(3.0, 25.0), synonyms=("herbal tea", "tea bags")),
    ProductType("food", "Mixed Nuts", ("nuts",), "mixed nuts", _F + ("Snack Foods", "Nuts & Seeds", "Mixed Nuts"),
                attributes=("gluten free", "non gmo", "high protein", "keto friendly", "low sodium", "resealable bag",
                            "plant based", "kosher"),
                options=("snack flavor", "food size"), price=(5.0, 36.0), synonyms=("nut mix", "trail mix")),
    ProductType("food", "Beef Jerky", ("beef", "jerky"), "beef jerky",
                _F + ("Snack Foods", "Jerky & Dried Meats", "Jerky"),
                attributes=("high protein", "grass fed", "low sugar", "gluten free", "keto friendly",
                            "individually wrapped", "ready to eat", "low fat"),
                options=("jerky flavor", "food size"), price=(6.0, 38.0), synonyms=("jerky", "dried beef")),
    ProductType("food", "Pasta Sauce", ("pasta", "sauce"), "pasta sauce",
                _F + ("Pantry Staples", "Sauces, Gravies & Marinades", "Pasta Sauces"),
                attributes=("usda organic", "non gmo", "low sodium", "gluten free", "sugar free", "plant based",
                            "keto friendly", "dairy free"),
                options=("sauce flavor", "food size"), price=(3.0, 22.0), synonyms=("tomato sauce", "marinara sauce")),
    ProductType("food", "Gummy Candy", ("candy",), "gummy candy",
                _F + ("Snacks & Sweets", "Candy & Chocolate", "Gummy Candy"),
                attributes=("gluten free", "fat free", "individually wrapped", "resealable bag", "plant based",
                            "dairy free", "low calorie", "kosher"),
                options=("candy flavor", "count"), price=(2.0, 20.0), synonyms=("gummies", "gummy bears")),
    # ---------------------------------------------------------------- fashion
    ProductType("fashion", "Running Shoes", ("running", "shoes"), "running shoes",
                _C + ("Men", "Shoes", "Athletic", "Running"),
                attributes=("rubber sole", "non slip", "lace up", "lightweight", "breathable mesh", "arch support",
                            "machine wash", "daily wear"),
                options=("shoe size", "color"), price=(25.0, 120.0), synonyms=("sneakers", "athletic shoes")),
    ProductType("fashion", "Crew Neck T-Shirt", ("t", "shirt"), "t shirt",
                _C + ("Men", "Clothing", "Shirts", "T-Shirts"),
                attributes=("machine wash", "short sleeve", "cotton spandex", "slim fit", "relaxed fit",
                            "quick drying", "moisture wicking", "daily wear"),
                options=("clothing size", "color"), price=(8.0, 35.0), synonyms=("tee shirt", "tshirt")),
    ProductType("fashion", "Yoga Pants", ("yoga", "pants"), "yoga pants",
                _C + ("Women", "Clothing", "Active", "Leggings"),
                attributes=("elastic waist", "moisture wicking", "quick drying", "high waist", "tummy control",
                            "machine wash", "polyester spandex", "daily wear"),
                options=("clothing size", "color"), price=(12.0, 55.0), synonyms=("leggings", "workout pants")),
    ProductType("fashion", "Hooded Sweatshirt", ("sweatshirt",), "hoodie",
                _C + ("Men", "Clothing", "Fashion Hoodies & Sweatshirts"),
                attributes=("long sleeve", "machine wash", "drawstring closure", "relaxed fit", "polyester cotton",
                            "soft material", "daily wear", "hand wash"),
                options=("clothing size", "color", "style"), price=(18.0, 70.0),
                synonyms=("hoodie", "pullover hoodie")),
    ProductType("fashion", "Summer Dress", ("summer", "dress"), "summer dress",
                _C + ("Women", "Clothing", "Dresses", "Casual"),
                attributes=("short sleeve", "machine wash", "soft material", "relaxed fit", "button closure",
                            "daily wear", "hand wash", "elastic waist"),
                options=("clothing size", "pattern"), price=(15.0, 65.0), synonyms=("sundress", "casual dress")),
    ProductType("fashion", "Ankle Socks", ("socks",), "ankle socks", _C + ("Men", "Clothing", "Socks", "Athletic"),
                attributes=("moisture wicking", "machine wash", "non slip", "cotton spandex", "soft material",
                            "daily wear", "arch support"),
                options=("clothing size", "count"), price=(6.0, 28.0), synonyms=("low cut socks", "athletic socks")),
    ProductType("fashion", "Winter Beanie Hat", ("winter", "beanie", "hat"), "beanie hat",
                _C + ("Women", "Accessories", "Hats & Caps", "Skullies & Beanies"),
                attributes=("soft material", "hand wash", "one size", "daily wear", "machine wash", "fleece lined"),
                options=("color",), price=(7.0, 30.0), synonyms=("knit hat", "beanie")),
    ProductType("fashion", "Leather Belt", ("leather", "belt"), "leather belt", _C + ("Men", "Accessories", "Belts"),
                attributes=("genuine leather", "alloy buckle", "daily wear", "adjustable size", "gift box"),
                options=("color", "clothing size"), price=(10.0, 45.0), synonyms=("dress belt", "belt")),
    # ---------------------------------------------------------------- furniture
    ProductType("furniture", "Accent Chair", ("accent", "chair"), "accent chair",
                _H + ("Living Room Furniture", "Chairs"),
                attributes=("living room", "easy assembly", "pu leather", "mid century", "high density", "solid wood",
                            "metal legs", "easy clean"),
                options=("furniture color", "material"), price=(80.0, 350.0),
                synonyms=("armchair", "living room chair")),
    ProductType("furniture", "Coffee Table", ("coffee", "table"), "coffee table",
                _H + ("Living Room Furniture", "Tables", "Coffee Tables"),
                attributes=("living room", "easy assembly", "solid wood", "mid century", "storage space", "metal legs",
                            "easy clean", "space saving"),
                options=("furniture color", "furniture size"), price=(45.0, 300.0),
                synonyms=("center table", "cocktail table")),
    ProductType("furniture", "Bookshelf", ("bookshelf",), "bookshelf", _H + ("Home Office Furniture", "Bookcases"),
                attributes=("easy assembly", "storage space", "space saving", "solid wood", "home office",
                            "living room", "wall mounted", "metal frame"),
                options=("furniture color", "furniture size"), price=(35.0, 250.0),
                synonyms=("bookcase", "book shelf")),
    ProductType("furniture", "Bar Stools", ("bar", "stools"), "bar stools",
                _H + ("Kitchen & Dining Room Furniture", "Stools"),
                attributes=("easy assembly", "pu leather", "metal legs", "dining room", "mid century", "high density",
                            "height adjustable", "easy clean"),
                options=("furniture color", "count"), price=(40.0, 260.0),
                synonyms=("counter stools", "kitchen stools")),
    ProductType("furniture", "Platform Bed Frame", ("platform", "bed", "frame"), "bed frame",
                _H + ("Bedroom Furniture", "Beds, Frames & Bases", "Beds"),
                attributes=("easy assembly", "solid wood", "storage space", "bedroom", "metal frame", "noise free",
                            "heavy duty"),
                options=("furniture size", "furniture color"), price=(90.0, 420.0),
                synonyms=("bed frame", "platform bed")),
    ProductType("furniture", "Nightstand", ("nightstand",), "nightstand", _H + ("Bedroom Furniture", "Nightstands"),
                attributes=("bedroom", "easy assembly", "storage space", "solid wood", "space saving", "mid century",
                            "easy clean"),
                options=("furniture color", "count"), price=(30.0, 180.0), synonyms=("bedside table", "night table")),
    ProductType("furniture", "Area Rug", ("area", "rug"), "area rug", ("Home & Kitchen", "Home Decor", "Area Rugs"),
                attributes=("living room", "non slip", "easy clean", "bedroom", "dining room", "high density",
                            "machine washable", "stain resistant"),
                options=("furniture size", "pattern"), price=(25.0, 220.0), synonyms=("rug", "floor carpet")),
    ProductType("furniture", "Computer Desk", ("computer", "desk"), "computer desk",
                _H + ("Home Office Furniture", "Home Office Desks"),
                attributes=("home office", "easy assembly", "space saving", "storage space", "metal frame",
                            "solid wood", "heavy duty", "easy clean"),
                options=("furniture color", "furniture size"), price=(60.0, 320.0),
                synonyms=("office desk", "writing desk")),
    # ---------------------------------------------------------------- electronics
    ProductType("electronics", "Wireless Earbuds", ("earbuds",), "wireless earbuds",
                _E + ("Headphones, Earbuds & Accessories", "Earbud Headphones"),
                attributes=("noise cancelling", "wireless bluetooth", "long battery life", "water resistant",
                            "hands free", "stereo sound", "fast charging", "easy to use"),
                options=("device color",), price=(15.0, 150.0), synonyms=("bluetooth earbuds", "earphones")),
    ProductType("electronics", "USB C Charging Cable", ("usb", "c", "cable"), "usb c cable",
                _E + ("Computers & Accessories", "Cables", "USB Cables"),
                attributes=("fast charging", "high speed", "heavy duty", "aluminum alloy", "plug and play",
                            "nylon braided"),
                options=("length", "device color", "count"), price=(5.0, 25.0),
                synonyms=("type c cable", "charger cord")),
    ProductType("electronics", "Portable Power Bank", ("power", "bank"), "power bank",
                _E + ("Cell Phones & Accessories", "Chargers & Power Adapters", "Portable Power Banks"),
                attributes=("fast charging", "long battery life", "usb port", "heavy duty", "water resistant",
                            "lightweight", "easy to carry"),
                options=("device color",), price=(12.0, 80.0), synonyms=("portable charger", "battery pack")),
    ProductType("electronics", "Micro SD Memory Card", ("micro", "memory", "card"), "micro sd card",
                _E + ("Computers & Accessories", "Memory Cards", "Micro SD Cards"),
                attributes=("high speed", "water resistant", "plug and play", "high definition", "shock proof",
                            "easy to use"),
                options=("capacity", "count"), price=(6.0, 90.0), synonyms=("sd card", "memory card")),
    ProductType("electronics", "Bluetooth Speaker", ("bluetooth", "speaker"), "bluetooth speaker",
                _E + ("Portable Audio & Video", "Portable Speakers & Docks", "Portable Bluetooth Speakers"),
                attributes=("wireless bluetooth", "stereo sound", "water resistant", "long battery life", "hands free",
                            "usb port", "easy to carry", "high power"),
                options=("device color",), price=(18.0, 160.0), synonyms=("wireless speaker", "portable speaker")),
    ProductType("electronics", "HDMI Cable", ("hdmi", "cable"), "hdmi cable",
                _E + ("Television & Video", "Accessories", "Cables", "HDMI Cables"),
                attributes=("high speed", "high definition", "gold plated", "heavy duty", "plug and play",
                            "aluminum alloy", "easy install"),
                options=("length", "count"), price=(5.0, 30.0), synonyms=("hdmi cord", "video cable")),
    ProductType("electronics", "Wireless Mouse", ("mouse",), "wireless mouse",
                _E + ("Computers & Accessories", "Computer Accessories & Peripherals", "Mice"),
                attributes=("wireless bluetooth", "plug and play", "usb port", "long battery life", "easy to use",
                            "ergonomic design", "lightweight", "rechargeable"),
                options=("device color",), price=(8.0, 60.0), synonyms=("computer mouse", "cordless mouse")),
    ProductType("electronics", "Phone Case", ("phone", "case"), "phone case",
                _E + ("Cell Phones & Accessories", "Cases, Holsters & Sleeves", "Basic Cases"),
                attributes=("heavy duty", "shock proof", "easy install", "wireless charging", "slim fit",
                            "water resistant", "lightweight", "non slip"),
                options=("device color", "pattern"), price=(6.0, 40.0),
                synonyms=("cell phone case", "protective case")),
)

CATEGORIES = ("beauty", "food", "fashion", "furniture", "electronics")

# Brand names are made of two invented syllable parts (spaCy tags them PROPN in most titles, not all).
BRAND_HEADS = ("North", "Bright", "Calla", "Silver", "Oak", "Blue", "Maple", "Stone", "River", "Sun", "Pine", "Cedar",
               "Harbor", "Lumi", "Vera", "Nova", "Terra", "Alder", "Wren", "Ember", "Fern", "Iris", "Juno", "Kestrel",
               "Lark", "Moss", "Opal", "Quill", "Rowan", "Sable", "Tidal", "Umber", "Vale", "Willow", "Zephyr", "Ash")
BRAND_TAILS = ("field", "moor", "way", "crest", "brook", "ridge", "vale", "wood", "haven", "line", "leaf", "stone",
               "ford", "mont", "bay", "gate", "light", "wick", "dale", "port")

# Adjectives that may open a title (in Title Case spaCy tags most of them NOUN/PROPN: see title_nouns.py).
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
