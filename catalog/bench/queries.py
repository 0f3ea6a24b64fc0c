"""The fixed, mixed query set of ``catalog bench``: what enterprises type on the browse page.

Each entry is the query string of ``/products`` (``q`` and filters); every search asks for all eight
product facets and page 1 of 20, as the page does. Chinese words run from very common (数据, 淮安) to
rare, and English words, pinyin, pinyin initials, phrases, filters and deep pages are all in the mix.
"""

from __future__ import annotations

from typing import Any

QUERIES: list[dict[str, Any]] = [
    # Chinese words, common to rare
    {"q": "数据"},
    {"q": "淮安"},
    {"q": "企业"},
    {"q": "公交"},
    {"q": "客流"},
    {"q": "农产品"},
    {"q": "价格"},
    {"q": "医保"},
    {"q": "气象"},
    {"q": "不动产"},
    {"q": "物流"},
    {"q": "信用"},
    {"q": "停车"},
    {"q": "旅游"},
    {"q": "养老"},
    {"q": "龙虾"},
    {"q": "用电"},
    {"q": "港口"},
    # Several words, and a phrase
    {"q": "公交 客流"},
    {"q": "企业 信用"},
    {"q": "农产品 价格"},
    {"q": "清江浦区 停车"},
    {"q": '"公交客流"'},
    # English
    {"q": "bus"},
    {"q": "price index"},
    {"q": "credit"},
    {"q": "enterprise"},
    {"q": "weather"},
    {"q": "logistics"},
    {"q": "parking"},
    # Pinyin and initials
    {"q": "gongjiao"},
    {"q": "jiaotong"},
    {"q": "nongchanpin"},
    {"q": "qixiang"},
    {"q": "wuliu"},
    {"q": "gj"},
    {"q": "jt"},
    # Filters, with and without words; browsing; a deep page
    {"sector": ["transport"]},
    {"q": "数据", "type": ["api"]},
    {"q": "价格", "sector": ["agriculture"]},
    {"provider": ["jkzs"]},
    {"license": ["hadp-standard"], "price_model": ["free"]},
    {},
    {"sort": "newest", "page": 5},
    {"q": "数据", "sort": "requests"},
]

# For the HTTP load's mix (catalog/bench/http.py): what people type into the search box in Chinese,
# and the browse page with filters (or a sort, or a deeper page).
CHINESE_QUERIES: list[str] = list(
    dict.fromkeys(p["q"] for p in QUERIES if any("\u4e00" <= c <= "\u9fff" for c in p.get("q", "")))
)
BROWSE_QUERIES: list[dict[str, Any]] = [p for p in QUERIES if set(p) - {"q"}]
