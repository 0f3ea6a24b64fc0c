"""A deterministic generator of large, realistic, bilingual synthetic data-product catalogs.

``generate_products(n)`` yields ``n`` dicts in the format of one entry of ``seed/products/*.yaml``: every
one validates with :class:`catalog.products.models.ProductCreate` and refers only to organizations,
sectors, licences and datasets of the seed, so the dicts can be imported into a seeded database.

Titles are composed from Huai'an places, sector subjects and product nouns, each drawn with a skewed
(Zipf-like) weight, so a few words are very common and most are rare, as in a real catalog. Only
``random.Random(seed)`` is used: the same ``n`` and ``seed`` always give the same products.

Speed: 100,000 products must take seconds, so all randomness goes through the bound
``Random.random`` (``choice``, ``sample`` and ``randint`` cost several times more), weighted choices
are lookups in precomputed tables, and templates are small f-string functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from random import Random
from typing import Any, NamedTuple, TypeVar

from catalog.seeding import read_yaml
from catalog.settings import PROJECT_ROOT

SEED_DIR = PROJECT_ROOT / "seed"
FIRST_LISTED = dt.date(2024, 1, 1)
LAST_LISTED = dt.date(2026, 11, 20)

Draw = Callable[[], float]  # a bound ``Random.random``
T = TypeVar("T")
_SLOTS = 2048  # the length of a weighted table


def _weighted(items: Sequence[Any], weights: Sequence[float]) -> tuple[Any, ...]:
    """A table in which each item fills a share of ``_SLOTS`` slots proportional to its weight (at
    least one): ``table[int(r() * len(table))]`` is then a weighted choice at the cost of an index."""
    if len(items) != len(weights) or not items:
        raise ValueError("a weighted table needs one weight per item and at least one item")
    total = sum(weights)
    exact = [w * _SLOTS / total for w in weights]
    counts = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(items)), key=lambda i: int(exact[i]) - exact[i])
    for i in by_remainder[: max(0, _SLOTS - sum(counts))]:
        counts[i] += 1
    return tuple(item for item, count in zip(items, counts, strict=True) for _ in range(count))


def _zipf(items: Sequence[Any], exponent: float = 1.0) -> tuple[Any, ...]:
    return _weighted(items, [1 / (rank + 1) ** exponent for rank in range(len(items))])


def _one(r: Draw, items: Sequence[T]) -> T:
    """One of ``items``; weighted if ``items`` is a table from :func:`_weighted`."""
    return items[int(r() * len(items))]


def _int(r: Draw, low: int, high: int) -> int:
    return low + int(r() * (high - low + 1))


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``中文 = English`` lines as (zh, en) pairs."""
    rows = (line.split("=", 1) for line in text.strip().splitlines())
    return tuple((zh.strip(), en.strip()) for zh, en in rows)


# --- vocabulary ------------------------------------------------------------------------------------
# Subjects per sector, most common first (they are drawn with Zipf weights), modelled on the seed's
# own titles and tags.
_SUBJECTS: dict[str, str] = {
    "industry": """
        企业用电 = enterprise electricity use
        规上工业产值 = above-size industrial output
        工业开工率 = industrial operating rate
        产业链运行 = industry chain performance
        智改数转 = smart manufacturing transformation
        工业能耗 = industrial energy consumption
        碳排放核算 = carbon emission accounting
        产品质量抽查 = product quality sampling
        专精特新企业 = specialised and sophisticated SMEs
        工业视觉质检 = industrial visual inspection
        园区经济运行 = industrial park performance
        盐化新材料 = salt-chemical new materials
        新能源汽车零部件 = new-energy vehicle components
        电子信息产能 = electronics capacity
        设备预测性维护 = predictive equipment maintenance
        供应商准入 = supplier admission
        绿色工厂 = green factories
        技改投资 = technical upgrade investment
        化工园区安全 = chemical park safety
    """,
    "agriculture": """
        农产品价格 = farm produce prices
        农作物长势 = crop growth
        粮食产量 = grain yield
        农机作业 = farm machinery operations
        病虫害监测 = pest and disease monitoring
        农业气象 = agrometeorology
        盱眙龙虾 = Xuyi crayfish
        洪泽湖大闸蟹 = Hongze Lake hairy crab
        淮安大米 = Huai'an rice
        农产品冷链 = farm produce cold chain
        农产品溯源 = farm produce traceability
        高标准农田 = high-standard farmland
        新型农业经营主体 = new-type farm businesses
        稻虾共作 = rice-crayfish co-culture
        水产养殖 = aquaculture
        种植险理赔 = crop insurance claims
        耕地种植结构 = cropland planting structure
        农资流通 = farm input distribution
    """,
    "commerce": """
        商圈客流 = shopping district footfall
        社会消费品零售 = retail sales of consumer goods
        民生商品价格 = staple goods prices
        夜间经济 = night-time economy
        餐饮消费 = restaurant spending
        商业网点 = retail outlets
        消费投诉 = consumer complaints
        预付式消费 = prepaid consumption
        限上企业经营 = above-quota retailer operations
        商户经营 = merchant operations
        节假日消费 = holiday consumption
        首店经济 = flagship store openings
        商业综合体 = shopping malls
        消费券核销 = consumption voucher redemption
        淮扬菜餐饮 = Huaiyang cuisine restaurants
        特色街区 = featured commercial streets
        商贸主体登记 = commercial business registrations
    """,
    "ecommerce": """
        网络零售 = online retail
        直播电商 = live-streaming e-commerce
        跨境电商 = cross-border e-commerce
        淮安特产电商 = Huai'an specialty e-commerce
        农产品上行 = rural produce e-commerce
        电商物流 = e-commerce logistics
        海外仓 = overseas warehouses
        电商客服 = e-commerce customer service
        网购纠纷 = online shopping disputes
        商家入驻 = merchant onboarding
        电商包裹量 = e-commerce parcel volume
        外贸进出口 = foreign trade
        出口退税 = export tax refunds
        县域电商 = county e-commerce
        商品图像 = product images
        电商选品 = e-commerce product selection
    """,
    "smart-city": """
        停车泊位 = parking spaces
        路内停车 = on-street parking
        城市内涝 = urban waterlogging
        排涝泵站 = drainage pumping stations
        数字城管案件 = digital city management cases
        城市生命线 = urban lifelines
        燃气管网 = gas pipelines
        市容秩序 = cityscape and order
        CIM建筑 = CIM buildings
        城市体征 = city vital signs
        工地扬尘 = construction site dust
        城市治理事件 = urban governance events
        网格化巡查 = grid-based patrols
        桥梁安全 = bridge safety
        路灯设施 = street lighting
        城市更新 = urban renewal
        供水管网 = water supply network
    """,
    "government": """
        12345热线诉求 = 12345 hotline appeals
        政务服务办件 = government service cases
        好差评 = service ratings
        办事指南 = service guides
        政务大厅排队 = service hall queues
        营商环境 = business environment
        一网通办 = one-stop online services
        涉企诉求 = enterprise appeals
        社区治理 = community governance
        政务知识图谱 = government service knowledge graph
        重复诉求 = repeated appeals
        审批时效 = approval lead times
        政务问答 = government service Q&A
        基层治理 = grassroots governance
        惠企政策 = business support policies
        电子证照 = electronic licences
    """,
    "tourism": """
        景区客流 = scenic area visitors
        游客画像 = visitor profiles
        夜游消费 = night tourism spending
        文旅消费券 = tourism vouchers
        过夜游客 = overnight visitors
        景区预约 = scenic area reservations
        非遗资源 = intangible heritage
        旅游住宿 = tourist accommodation
        研学线路 = study tour routes
        乡村旅游 = rural tourism
        节会经济 = festival economy
        景区舒适度 = scenic comfort
        大运河文化遗产 = Grand Canal heritage
        票务渠道 = ticketing channels
        入境游 = inbound tourism
        智能导览 = smart guides
        文旅问答 = tourism Q&A
    """,
    "transport": """
        公交客流 = bus ridership
        公交到站 = bus arrivals
        港口吞吐 = port throughput
        多式联运 = multimodal freight
        网约车供需 = ride-hailing supply and demand
        路口流量 = intersection traffic flow
        道路拥堵 = road congestion
        交通事故 = traffic accidents
        有轨电车运行 = tram operations
        营运车辆安全 = commercial vehicle safety
        危化品运输 = hazardous goods transport
        信号配时 = signal timing
        通勤出行 = commuting
        货车流量 = truck traffic
        航道船舶 = waterway shipping
        机场集疏运 = airport access traffic
        充电需求 = EV charging demand
        道路货运碳排放 = road freight emissions
    """,
    "finance": """
        企业公共信用 = enterprise public credit
        小微企业融资 = SME financing
        信贷投放 = credit allocation
        贷后风险 = post-loan risk
        首贷企业 = first-loan enterprises
        供应链金融 = supply-chain finance
        知识产权质押 = IP pledge financing
        绿色信贷 = green credit
        普惠金融 = inclusive finance
        信用修复 = credit repair
        招投标信用 = bidding credit
        企业财产险 = enterprise property insurance
        收单商户风险 = acquiring merchant risk
        个体工商户经营 = sole proprietor operations
        环境信用 = environmental credit
        企业经营异常 = business anomalies
    """,
    "employment": """
        招聘岗位 = job vacancies
        求职登记 = job seeker registrations
        薪酬水平 = salary levels
        人岗匹配 = job matching
        职业技能等级 = vocational skill levels
        职业培训 = vocational training
        灵活就业 = flexible employment
        零工市场 = gig market
        园区用工 = industrial park labour demand
        高校毕业生就业 = graduate employment
        紧缺人才 = shortage talent
        就业失业登记 = employment registrations
        创业服务 = entrepreneurship services
        重点群体就业 = employment of key groups
        用工稳定性 = workforce stability
        人才流动 = talent mobility
    """,
    "education": """
        学位供需 = school places
        中小学校资源 = school resources
        施教区 = school catchments
        智慧教育平台 = smart education platform
        教学行为 = teaching activity
        教师信息化 = teacher digital skills
        数字教育资源 = digital learning resources
        通学安全 = school commute safety
        产教融合 = industry-education integration
        职业教育专业 = vocational programmes
        义务教育均衡 = balanced compulsory education
        智能助教 = AI teaching assistants
        课后服务 = after-school services
        招生入学 = school enrolment
        研学实践 = study practice
        校外培训 = off-campus tutoring
    """,
    "healthcare": """
        医保结算 = medical insurance settlements
        医疗机构资源 = healthcare facilities
        医学影像 = medical imaging
        慢病随访 = chronic disease follow-up
        门急诊就诊 = outpatient visits
        电子处方 = e-prescriptions
        病理诊断 = pathology diagnoses
        家庭医生签约 = family doctor contracts
        分级诊疗 = tiered care
        床位资源 = hospital beds
        医保基金 = medical insurance fund
        药品配送 = drug delivery
        发热门诊 = fever clinics
        异地就医 = cross-region care
        健康体检 = health checkups
        商业健康险 = commercial health insurance
        智能分诊 = smart triage
    """,
    "eldercare": """
        养老床位 = eldercare beds
        居家养老监测 = home care monitoring
        紧急呼叫 = emergency calls
        老年助餐 = elderly meal services
        失能老人照护 = care for disabled older adults
        适老化改造 = age-friendly renovation
        长期护理保险 = long-term care insurance
        养老机构运营 = care home operations
        防跌倒 = fall prevention
        老年人用药 = medication for older adults
        养老服务补贴 = eldercare subsidies
        社区养老服务 = community eldercare services
        养老护理员 = care workers
        老年健康 = health of older adults
        养老产业 = eldercare industry
        居家上门服务 = home visiting services
    """,
    "natural-resources": """
        空气质量 = air quality
        地表水水质 = surface water quality
        河湖水位 = river and lake levels
        降水预报 = precipitation forecasts
        气象预警 = weather warnings
        不动产登记 = property registration
        存量房交易 = resale housing transactions
        国土空间规划 = territorial spatial planning
        生态保护红线 = ecological red lines
        存量用地 = existing land stock
        洪泽湖岸线 = Hongze Lake shoreline
        遥感地物 = remote-sensing land cover
        环境投诉 = environmental complaints
        湿地保护 = wetland protection
        水文监测 = hydrological monitoring
        臭氧污染 = ozone pollution
        二手房价格 = resale house prices
    """,
}

_AUDIENCES: dict[str, str] = {
    "industry": """
        工信部门 = industry regulators
        园区管委会 = park administrations
        工业企业 = manufacturers
        智能制造服务商 = smart-manufacturing providers
        金融机构 = banks
    """,
    "agriculture": """
        农业农村部门 = agriculture authorities
        家庭农场和合作社 = family farms and cooperatives
        农业保险公司 = agricultural insurers
        农资企业 = farm input suppliers
        农产品经销商 = produce dealers
    """,
    "commerce": """
        商务部门 = commerce authorities
        商业综合体 = shopping mall operators
        连锁品牌 = retail chains
        商户 = merchants
        市场监管部门 = market regulators
    """,
    "ecommerce": """
        电商企业 = online sellers
        直播基地 = live-commerce bases
        跨境电商企业 = cross-border sellers
        电商平台 = e-commerce platforms
        物流企业 = logistics companies
    """,
    "smart-city": """
        城管部门 = city management authorities
        城市运行中心 = the city operations centre
        停车运营企业 = parking operators
        设计院 = design institutes
        保险公司 = insurers
    """,
    "government": """
        政务服务部门 = government service agencies
        热线承办单位 = hotline handling units
        街道社区 = sub-districts and communities
        研究机构 = researchers
        营商环境主管部门 = business environment offices
    """,
    "tourism": """
        文旅部门 = tourism authorities
        景区运营方 = scenic area operators
        旅行社 = travel agencies
        酒店民宿 = hotels and guesthouses
        OTA平台 = online travel agencies
    """,
    "transport": """
        交通规划单位 = transport planners
        公交企业 = bus operators
        物流企业 = logistics companies
        导航服务商 = navigation providers
        交通管理部门 = traffic authorities
    """,
    "finance": """
        银行 = banks
        担保机构 = guarantors
        保险公司 = insurers
        地方金融管理部门 = local financial regulators
        融资服务平台 = financing platforms
    """,
    "employment": """
        人社部门 = human resources authorities
        招聘平台 = job platforms
        用工企业 = employers
        职业培训机构 = training providers
        高校就业指导中心 = university career centres
    """,
    "education": """
        教育部门 = education authorities
        中小学校 = schools
        职业院校 = vocational colleges
        教育科技企业 = edtech companies
        家长 = parents
    """,
    "healthcare": """
        卫健部门 = health authorities
        医疗机构 = hospitals and clinics
        医保部门 = medical insurance authorities
        商业保险公司 = commercial insurers
        医学科研团队 = medical researchers
    """,
    "eldercare": """
        民政部门 = civil affairs authorities
        养老机构 = care homes
        居家养老服务商 = home care providers
        老人家属 = families of older adults
        长护险承办机构 = long-term care insurers
    """,
    "natural-resources": """
        自然资源部门 = natural resources authorities
        生态环境部门 = environmental authorities
        规划设计单位 = planning institutes
        银行押品管理部门 = bank collateral teams
        防汛部门 = flood control offices
    """,
}

# Places of the whole city, with weights; "" is a title without a place.
_PLACES: tuple[tuple[str, str, float], ...] = (
    ("淮安", "Huai'an", 30),
    ("", "", 14),
    ("淮安市", "Huai'an City", 10),
    ("清江浦区", "Qingjiangpu District", 8),
    ("淮安区", "Huai'an District", 6),
    ("淮阴区", "Huaiyin District", 6),
    ("洪泽区", "Hongze District", 4),
    ("涟水县", "Lianshui County", 4),
    ("盱眙县", "Xuyi County", 4),
    ("金湖县", "Jinhu County", 3),
    ("中心城区", "downtown Huai'an", 3),
    ("淮安经济技术开发区", "Huai'an Economic and Technological Development Zone", 3),
    ("淮安高新区", "Huai'an High-tech Zone", 2),
    ("淮安工业园区", "Huai'an Industrial Park", 1.5),
    ("淮安生态文旅区", "Huai'an Eco-Tourism Zone", 1.5),
)
# Places that only some sectors name, each drawn with weight 2.
_LANDMARKS: dict[str, str] = {
    "transport": """
        淮安港 = Huai'an Port
        淮安东站 = Huai'an East Station
        涟水国际机场 = Lianshui International Airport
        京杭大运河淮安段 = Grand Canal Huai'an section
    """,
    "tourism": """
        周恩来故里 = Zhou Enlai Hometown
        河下古镇 = Hexia Ancient Town
        西游记文化体验园 = Journey to the West Cultural Park
        里运河文化长廊 = Li Canal Cultural Corridor
        洪泽湖湿地 = Hongze Lake Wetland
    """,
    "commerce": """
        淮海路商圈 = Huaihai Road business district
        水渡口中央商务区 = Shuidukou CBD
    """,
    "ecommerce": """
        淮安电子商务现代物流园 = Huai'an E-commerce Modern Logistics Park
    """,
    "agriculture": """
        洪泽湖 = Hongze Lake
        白马湖 = Baima Lake
    """,
    "natural-resources": """
        洪泽湖 = Hongze Lake
        白马湖 = Baima Lake
        淮河入海水道 = Huaihe River Sea-Entry Channel
        古黄河 = Old Yellow River
    """,
    "smart-city": """
        老城区 = the old town
    """,
}
# Enterprises that make products, and the sectors they work in.
_ENTERPRISE_SECTORS: dict[str, tuple[str, ...]] = {
    "sdgyl": ("transport", "commerce", "ecommerce"),
    "xylx": ("agriculture", "ecommerce"),
    "hzhst": ("agriculture", "natural-resources"),
    "zlcx": ("transport", "smart-city"),
    "qjpsy": ("commerce", "tourism"),
    "lsyy": ("healthcare", "eldercare"),
    "hazy": ("education", "employment"),
}


class _Noun(NamedTuple):
    zh: str
    en: str
    frequency: str  # "" unless the noun fixes the update frequency (月报 is monthly)
    delivery: str  # "" unless the noun fixes the delivery mode (监测服务 is an online platform)
    open_data: bool


def _nouns(rows: Sequence[tuple[str, str, float, str, str]]) -> tuple[_Noun, ...]:
    return _weighted(
        [_Noun(zh, en, freq, mode, zh == "开放数据") for zh, en, _, freq, mode in rows], [w[2] for w in rows]
    )


# Product nouns per product type: (zh, en, weight, fixed update frequency, fixed delivery mode).
_NOUNS: dict[str, tuple[_Noun, ...]] = {
    "dataset": _nouns(
        (
            ("数据集", "dataset", 20, "", ""),
            ("统计数据", "statistics", 8, "", ""),
            ("监测数据", "monitoring data", 6, "", ""),
            ("指数", "index", 6, "", ""),
            ("分析数据", "analysis data", 5, "", ""),
            ("数据服务", "data service", 4, "", "platform"),
            ("数据包", "data pack", 4, "", ""),
            ("画像", "profile", 4, "", ""),
            ("开放数据", "open data", 3, "", ""),
            ("监测服务", "monitoring service", 3, "", "platform"),
            ("高质量数据集", "high-quality dataset", 3, "", ""),
            ("标注数据集", "annotated dataset", 3, "", ""),
            ("网格数据", "grid data", 2, "", ""),
            ("名录", "directory", 1.5, "", ""),
            ("驾驶舱", "dashboard", 1.5, "", "platform"),
            ("图层", "map layer", 1, "", ""),
        )
    ),
    "api": _nouns(
        (
            ("查询接口", "query API", 10, "", ""),
            ("接口", "API", 5, "", ""),
            ("预警接口", "alert API", 4, "", ""),
            ("核验接口", "verification API", 3, "", ""),
            ("评分接口", "scoring API", 2, "", ""),
            ("推送接口", "push API", 1, "", ""),
        )
    ),
    "report": _nouns(
        (
            ("分析报告", "analysis report", 10, "", ""),
            ("评估报告", "assessment report", 4, "", ""),
            ("月报", "monthly report", 3, "monthly", ""),
            ("季度报告", "quarterly report", 2, "quarterly", ""),
            ("年度报告", "annual report", 2, "yearly", ""),
            ("专题报告", "special report", 2, "", ""),
            ("研究报告", "research report", 2, "", ""),
            ("快报", "flash report", 1, "", ""),
            ("白皮书", "white paper", 1, "yearly", ""),
        )
    ),
    "model": _nouns(
        (
            ("预测模型", "forecast model", 8, "", ""),
            ("评分模型", "scoring model", 3, "", ""),
            ("预警模型", "early-warning model", 3, "", ""),
            ("识别模型", "recognition model", 2, "", ""),
            ("优化模型", "optimisation model", 1.5, "", ""),
            ("测算模型", "estimation model", 1.5, "", ""),
        )
    ),
    "sandbox": _nouns(
        (
            ("数据沙箱", "data sandbox", 3, "", ""),
            ("隐私计算沙箱", "privacy-computing sandbox", 2.5, "", ""),
            ("联合建模沙箱", "joint modelling sandbox", 1, "", ""),
            ("科研沙箱", "research sandbox", 1, "", ""),
        )
    ),
}

# The seed's mix of product types, and per type its update frequencies, delivery modes and prices.
_FREQUENCIES = ("realtime", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular")
_TYPES = _weighted(("dataset", "api", "report", "model", "sandbox"), (38, 25, 19, 12, 6))
_FREQUENCY_BY_TYPE = {
    "dataset": _weighted(_FREQUENCIES, (1, 16, 10, 26, 22, 24, 26)),
    "api": _weighted(_FREQUENCIES, (31, 22, 5, 16, 6, 1, 0.5)),
    "report": _weighted(_FREQUENCIES, (0.5, 1, 1, 12, 12, 22, 14)),
    "model": _weighted(_FREQUENCIES, (7, 8, 4, 9, 5, 1, 4)),
    "sandbox": _weighted(_FREQUENCIES, (0.5, 4, 1, 10, 3, 3, 2)),
}
_DELIVERY_BY_TYPE = {
    "dataset": _weighted(("file", "platform", "api", "sandbox"), (97, 17, 6, 5)),
    "api": _weighted(("api", "sandbox"), (80, 1)),
    "report": _weighted(("file", "platform", "offline"), (59, 3, 1)),
    "model": _weighted(("platform", "api", "offline", "sandbox"), (30, 4, 2, 2)),
    "sandbox": _weighted(("sandbox", "platform"), (20, 1)),
}
_PRICE_MODELS = ("free", "per_call", "subscription", "one_time", "negotiated")
_PRICE_MODEL_BY_TYPE = {
    "dataset": _weighted(_PRICE_MODELS, (18, 0, 32, 35, 15)),
    "api": _weighted(_PRICE_MODELS, (14, 70, 10, 0, 6)),
    "report": _weighted(_PRICE_MODELS, (10, 0, 10, 75, 5)),
    "model": _weighted(_PRICE_MODELS, (5, 5, 40, 25, 25)),
    "sandbox": _weighted(_PRICE_MODELS, (2, 0, 40, 15, 43)),
}
_PRICE_UNITS = {"per_call": "元/次", "subscription": "元/年", "one_time": "元/份"}
_OPEN_LICENCES = ("cc-by-4.0", "cc0-1.0", "odbl-1.0")
_LICENCE_BY_PRICE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "open": (_OPEN_LICENCES, (70, 20, 10)),
    "free": (
        ("cc-by-4.0", "hadp-internal", "cc0-1.0", "odbl-1.0", "hadp-standard", "hadp-research"),
        (45, 30, 10, 5, 5, 5),
    ),
    "negotiated": (("hadp-standard", "hadp-research", "hadp-internal"), (65, 30, 5)),
    "priced": (("hadp-standard", "hadp-research", "hadp-internal"), (88, 7, 5)),
}
_USAGE_TERMS = _weighted((12, 24, 36, 6), (65, 16, 15, 5))
_SOURCE_COUNTS = _weighted((1, 2, 3), (52, 39, 9))
_TAG_COUNTS = _weighted((2, 3, 4, 5), (15, 40, 35, 10))
_SCENARIO_COUNTS = _weighted((1, 2, 3), (10, 40, 50))
_SENTENCE_COUNTS = _weighted((2, 3, 4), (25, 45, 30))
_PERSONAL_INFO_SHARE = {"healthcare": 0.25, "eldercare": 0.25, "government": 0.2, "employment": 0.2}

# Title qualifiers: from the update frequency (zh, en, then the summary's zh and en), or generic.
_FREQUENCY_WORDS = {
    "realtime": ("实时", "real-time", "实时更新", "updated in real time"),
    "daily": ("逐日", "daily", "每日更新", "updated daily"),
    "weekly": ("周度", "weekly", "每周更新", "updated weekly"),
    "monthly": ("月度", "monthly", "按月更新", "updated monthly"),
    "quarterly": ("季度", "quarterly", "按季度更新", "updated quarterly"),
    "yearly": ("年度", "annual", "每年更新", "updated yearly"),
    "irregular": ("", "", "不定期更新", "updated as sources change"),
}
_QUALIFIERS = _zipf(
    _pairs("""
        分县区 = county-level
        网格化 = grid-level
        多源融合 = multi-source
        历史 = historical
        综合 = integrated
        动态 = dynamic
        精细化 = fine-grained
        分时段 = time-of-day
        标准化 = standardised
        重点区域 = key-area
    """)
)
_EDITIONS = _zipf(
    _pairs("""
        （2025年版） = (2025 edition)
        （标准版） = (standard edition)
        （2026年版） = (2026 edition)
        （县区版） = (county edition)
        （专业版） = (professional edition)
        （2024年版） = (2024 edition)
        （试行） = (pilot)
    """)
)

# Words the description sentences draw from.
_GRAINS = ("区县和月份", "网格和小时", "主体和日期", "站点和时段", "乡镇和季度")
_METHODS = (
    "清洗、去重和口径统一",
    "时空匹配与异常值剔除",
    "多源融合与缺失值插补",
    "人工标注与双人复核",
    "网格化聚合与小样本抑制",
    "标准化编码和质量校验",
    "关联比对与一致性检查",
)
_AGGREGATES = ("按区县和月份汇总", "形成标准化指标", "输出群体层面统计结果", "生成可直接使用的分析底表")
_KEYS = ("区县代码", "网格编号", "统一社会信用代码", "站点编号", "日期", "经纬度")
_OUTPUTS = (
    "未来7天的预测值及置信区间",
    "0至100分的风险评分",
    "三级预警信号和主要影响因素",
    "识别结果与置信度",
)
_VERBS = ("短期预测", "风险评分", "分级预警", "异常识别")
_WEEKDAYS = ("一", "二", "三", "四", "五")
_NOTES = _zipf(
    (
        "对外引用须注明数据来源",
        "单元内样本不足10条的数值不予展示",
        "可按县区拆分订购",
        "支持按需定制统计口径",
        "交付时附数据字典和质量报告",
        "结果仅反映群体特征，不涉及个人",
        "建议与使用方自有业务数据结合使用",
        "首次订购提供一次使用培训",
        "试用期内可免费调用少量样本",
        "字段口径与省级标准保持一致",
    ),
    0.7,
)
_FILLER = "本产品已通过淮安市数据港合规评估，交付前经过质量抽检。"


def _coverage(r: Draw) -> str:
    kind = int(r() * 6)
    if kind == 0:
        return "全市七个县区和三个功能区"
    if kind == 1:
        return f"{_int(r, 20, 120)}个乡镇（街道）"
    if kind == 2:
        return f"中心城区约{_int(r, 80, 350)}平方公里"
    if kind == 3:
        return f"全市{_int(r, 20, 900)}个监测点位"
    if kind == 4:
        return "全市及各县区两级"
    return f"{_int(r, 50, 3000)}家重点单位"


class _Context:
    """What the summary and description templates of one product name."""

    __slots__ = (
        "aud",
        "aud_en",
        "cadence",
        "cadence_en",
        "ds",
        "k",
        "m1",
        "m1_en",
        "m2",
        "m3",
        "nds",
        "sc",
        "scope",
        "scope_en",
        "subj",
        "subj_en",
        "title",
    )

    aud: str
    aud_en: str
    cadence: str
    cadence_en: str
    ds: str  # the title of the first source dataset
    k: int
    m1: str
    m1_en: str
    m2: str
    m3: str
    nds: int  # the number of source datasets
    sc: str  # the first scenario
    scope: str  # the place, or ""
    scope_en: str  # "in <place>", or "across Huai'an"
    subj: str
    subj_en: str
    title: str


Template = Callable[[Draw, _Context], str]

# Summaries: what the product does, per product type, (zh, en).
_WHAT: dict[str, tuple[Callable[[_Context], tuple[str, str]], ...]] = {
    "dataset": (
        lambda v: (
            f"汇总{v.scope}{v.subj}相关的{v.k}项指标",
            f"{v.k} indicators on {v.subj_en} {v.scope_en}",
        ),
        lambda v: (
            f"按区县和月份整理{v.scope}{v.subj}的历史与最新记录",
            f"historical and current {v.subj_en} records {v.scope_en}",
        ),
        lambda v: (
            f"以网格为单元刻画{v.scope}{v.subj}的空间分布",
            f"the grid-level spatial distribution of {v.subj_en} {v.scope_en}",
        ),
        lambda v: (
            f"把{v.scope}{v.subj}与{v.m1}数据关联成一张宽表",
            f"{v.subj_en} linked with {v.m1_en} {v.scope_en} in one wide table",
        ),
    ),
    "api": (
        lambda v: (
            f"按区域或编号查询{v.scope}{v.subj}的最新结果",
            f"looks up the latest {v.subj_en} figures {v.scope_en} by area or code",
        ),
        lambda v: (
            f"返回{v.scope}{v.subj}指标及异常提示",
            f"returns {v.subj_en} indicators and anomaly flags {v.scope_en}",
        ),
        lambda v: (
            f"核验并返回{v.scope}{v.subj}相关状态",
            f"verifies and returns the {v.subj_en} status {v.scope_en}",
        ),
    ),
    "report": (
        lambda v: (
            f"分析{v.scope}{v.subj}的变化趋势与主要成因",
            f"analyses trends in and drivers of {v.subj_en} {v.scope_en}",
        ),
        lambda v: (
            f"对{v.scope}{v.subj}做分区县对标并提出改进建议",
            f"benchmarks {v.subj_en} {v.scope_en} county by county",
        ),
        lambda v: (
            f"梳理{v.scope}{v.subj}与{v.m1}的关联并给出研判结论",
            f"relates {v.subj_en} to {v.m1_en} {v.scope_en}",
        ),
    ),
    "model": (
        lambda v: (
            f"基于历史数据预测{v.scope}{v.subj}的短期走势",
            f"forecasts short-term {v.subj_en} {v.scope_en} from history",
        ),
        lambda v: (
            f"对{v.scope}{v.subj}风险进行评分和分级",
            f"scores and grades {v.subj_en} risk {v.scope_en}",
        ),
        lambda v: (
            f"识别{v.scope}{v.subj}中的异常并给出预警",
            f"detects anomalies in {v.subj_en} {v.scope_en} and raises warnings",
        ),
    ),
    "sandbox": (
        lambda v: (
            f"在隐私计算环境中联合分析{v.scope}{v.subj}数据",
            f"joint analysis of {v.subj_en} data {v.scope_en} in a privacy sandbox",
        ),
        lambda v: (
            f"提供{v.scope}{v.subj}脱敏样本和建模算力",
            f"de-identified {v.subj_en} samples {v.scope_en} with modelling compute",
        ),
    ),
}

# Descriptions: a content sentence per product type, a source sentence, then a cadence sentence per
# update frequency and a usage sentence; two to four of them.
_CONTENT: dict[str, tuple[Template, ...]] = {
    "dataset": (
        lambda r, v: (
            f"{v.title}覆盖{_coverage(r)}，包含{v.m1}、{v.m2}和{v.m3}等{v.k}个字段，"
            f"时间跨度自{_int(r, 2015, 2022)}年起。"
        ),
        lambda r, v: (
            f"数据集以{v.subj}为主题，按{_one(r, _GRAINS)}组织，"
            f"共约{_int(r, 2, 900)}万条记录，覆盖{_coverage(r)}。"
        ),
        lambda r, v: f"本产品整理了{v.scope}{v.subj}的明细与汇总两级数据，并附{v.m1}、{v.m2}两项关联指标。",
    ),
    "api": (
        lambda r, v: (
            f"接口按{_one(r, _KEYS)}返回{v.scope}{v.subj}的{v.m1}、{v.m2}等指标，"
            f"平均响应时间约{10 * _int(r, 3, 30)}毫秒。"
        ),
        lambda r, v: (
            f"调用方传入{_one(r, _KEYS)}即可获得{v.scope}{v.subj}的最新结果，"
            f"并附带{v.m1}和{v.m2}两项参考指标。"
        ),
    ),
    "report": (
        lambda r, v: f"报告围绕{v.scope}{v.subj}展开，逐项分析{v.m1}、{v.m2}和{v.m3}的变化，并给出主要结论。",
        lambda r, v: (
            f"每期报告约{_int(r, 12, 60)}页，包括{v.scope}{v.subj}总体态势、分区县对比和{v.m1}专题。"
        ),
    ),
    "model": (
        lambda r, v: (
            f"模型以{v.scope}{v.subj}的历史记录为训练样本，综合{v.m1}、{v.m2}等特征，"
            f"输出{_one(r, _OUTPUTS)}。"
        ),
        lambda r, v: (
            f"该模型对{v.scope}{v.subj}进行{_one(r, _VERBS)}，"
            f"在{_int(r, 2023, 2025)}年回测中准确率约为{_int(r, 78, 96)}%。"
        ),
    ),
    "sandbox": (
        lambda r, v: (
            f"沙箱预置{v.scope}{v.subj}和{v.m1}等脱敏数据，使用方可在不接触明细的前提下开展建模与统计分析。"
        ),
        lambda r, v: (
            f"使用方在隐私计算环境中上传自有样本，与{v.subj}数据求交后联合训练，结果经审计后方可导出。"
        ),
    ),
}
_SOURCE: tuple[Template, ...] = (
    lambda r, v: f"数据来源于{v.ds}，经{_one(r, _METHODS)}后{_one(r, _AGGREGATES)}。",
    lambda r, v: f"加工时以{v.ds}为基础，经{_one(r, _METHODS)}，{_one(r, _AGGREGATES)}。",
)


def _source_many(r: Draw, v: _Context) -> str:
    return f"底层数据取自{v.ds}等{v.nds}个目录资源，采用{_one(r, _METHODS)}，{_one(r, _AGGREGATES)}。"


_CADENCE: dict[str, tuple[Template, ...]] = {
    "realtime": (
        lambda r, v: f"数据每{_int(r, 1, 15)}分钟刷新一次，服务可用性不低于99.{_int(r, 5, 9)}%。",
        lambda r, v: f"实时数据延迟不超过{_int(r, 5, 60)}秒，每日凌晨进行例行维护。",
    ),
    "daily": (
        lambda r, v: f"每日{_int(r, 2, 9)}点前完成前一日数据更新。",
        lambda r, v: f"按日更新，历史数据可回溯至{_int(r, 2015, 2022)}年。",
    ),
    "weekly": (
        lambda r, v: f"每周{_one(r, _WEEKDAYS)}发布上一周数据，节假日顺延。",
        lambda r, v: "按周更新，每期附与上周的对比说明。",
    ),
    "monthly": (
        lambda r, v: f"每月{_int(r, 3, 15)}日前交付上月数据，历史数据可回溯至{_int(r, 2015, 2022)}年。",
        lambda r, v: "按月更新，遇源数据口径调整时同步发布修订说明。",
    ),
    "quarterly": (
        lambda r, v: f"每季度结束后{_int(r, 5, 20)}个工作日内更新。",
        lambda r, v: "按季度更新，年末另附全年汇总。",
    ),
    "yearly": (
        lambda r, v: f"每年{_int(r, 2, 6)}月发布上一年度成果，年中视需要补充更新。",
        lambda r, v: f"按年度更新，可回溯至{_int(r, 2015, 2022)}年。",
    ),
    "irregular": (
        lambda r, v: "根据源数据更新情况不定期发布新版本，版本说明随交付文件提供。",
        lambda r, v: f"首版于{_int(r, 2023, 2025)}年发布，后续按需修订。",
    ),
}
_USAGE: tuple[Template, ...] = (
    lambda r, v: f"适合{v.aud}用于{v.sc}，{_one(r, _NOTES)}。",
    lambda r, v: f"{v.aud}可据此开展{v.sc}，{_one(r, _NOTES)}。",
    lambda r, v: f"典型用途是{v.sc}，{_one(r, _NOTES)}。",
)

# Terms of use.
_OPEN_PURPOSES = ("不限用途，须署名", "不限用途，须标注数据来源", "不限用途")
_RESTRICTIONS = _zipf(
    (
        "不得转售原始数据",
        "不得尝试识别个人身份",
        "对外发布须注明来源",
        "不得与其他数据关联以推断个体信息",
        "账号仅限订购单位使用，不得转借",
        "报告仅限订购机构内部传阅",
        "不得将结果批量缓存后二次分发",
        "不得用于对企业作出负面公开评价",
        "结果不得作为行政处罚的唯一依据",
        "导出结果须经沙箱审计",
        "不得向第三方转交明细数据",
    ),
    0.8,
)
_EXTRA_TERMS = _zipf(
    (
        "交付周期为下单后10个工作日",
        "含一次线下成果汇报",
        "定制分析另行计费",
        "每个订阅含5个平台账号",
        "含12个月免费模型更新",
        "购买方可申领市级数据应用补贴",
        "每季度提供一次数据质量报告",
        "首年包含两次模型本地化调优",
        "中小企业可使用算力券抵扣部分费用",
    ),
    0.8,
)
_DEID_IDS = (
    "姓名、手机号和证件号",
    "车牌和证件号",
    "姓名、住址和联系电话",
    "身份证号和银行卡号",
    "账号和设备标识",
)
_DEID_TECH = ("加盐哈希替换", "SM3加盐哈希", "掩码与泛化", "不可逆加密替换", "规则加模型双重识别后替换")
_DEID_GRAIN = ("位置精度不高于250米网格", "地址泛化至社区（村）一级", "年龄按五岁分组", "时间仅保留到日")
_DEID_CONTROL = (
    "导出结果须满足k≥10的最小计数要求",
    "仅在隐私计算沙箱内可关联",
    "人工抽检5%样本确认无残留",
    "输出前执行差分隐私噪声检查",
)

# Fields of API products and of some datasets: (name, type, description, unit).
_API_INPUTS = (
    ("region_code", "string", "区县代码，可选", None),
    ("date", "date", "查询日期，默认当天", None),
    ("grid_id", "string", "网格编号", None),
    ("entity_id", "string", "主体编号（脱敏）", None),
    ("start_date", "date", "起始日期", None),
    ("end_date", "date", "截止日期", None),
)
_API_OUTPUTS = (
    ("region_name", "string", "区域名称", None),
    ("yoy", "number", "同比变化", "%"),
    ("rank", "integer", "全市排名", None),
    ("level", "string", "评分或预警等级", None),
    ("updated_at", "datetime", "数据更新时间", None),
)
_SCHEMA = (
    ("region_code", "string", "区县代码", None),
    ("period", "string", "统计期", None),
    ("indicator", "string", "指标名称", None),
    ("value", "number", "指标值", None),
    ("unit", "string", "计量单位", None),
)


# --- the seed --------------------------------------------------------------------------------------
class _Dataset(NamedTuple):
    code: str
    title: str
    provider: str
    sectors: tuple[str, ...]


@dataclass(frozen=True)
class _Sector:
    """What the products of one sector are drawn from; the picks are weighted tables."""

    slug: str
    subjects: tuple[tuple[str, str], ...]
    subject: tuple[int, ...]  # a pick of an index into subjects, Zipf-weighted
    audiences: tuple[tuple[str, str], ...]
    place: tuple[tuple[str, str], ...]  # a pick of a (zh, en) place, ("", "") for none
    datasets: tuple[_Dataset, ...]
    operator: tuple[str, ...]  # a pick of an operator, as often as the seed's products of the sector
    enterprises: tuple[str, ...]
    scenarios: tuple[str, ...]  # those of the seed's products of the sector


@dataclass(frozen=True)
class _Seed:
    sector: tuple[_Sector, ...]  # a pick of a sector, as often as the seed's products are of it
    datasets: tuple[_Dataset, ...]
    departments: frozenset[str]
    licence: dict[str, tuple[str, ...]]  # picks by "open", "free", "negotiated", "priced"
    prices: dict[str, tuple[Any, ...]]  # the seed's prices by price model


def _read(path: Path) -> list[dict[str, Any]]:
    return read_yaml(path) or []


def _read_all(seed_dir: Path, pattern: str) -> list[dict[str, Any]]:
    return [item for path in sorted(seed_dir.glob(pattern)) for item in _read(path)]


def _licence_picks(codes: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The licence tables, keeping only licences the seed has."""
    fallback = "hadp-standard" if "hadp-standard" in codes else codes[0]
    picks = {}
    for key, (names, weights) in _LICENCE_BY_PRICE.items():
        kept = [(name, w) for name, w in zip(names, weights, strict=True) if name in codes]
        picks[key] = _weighted(*zip(*kept, strict=True)) if kept else (fallback,)
    return picks


def _sector(
    slug: str, datasets: Sequence[_Dataset], products: Sequence[dict[str, Any]], orgs: dict[str, str]
) -> _Sector:
    subjects = _pairs(_SUBJECTS[slug])
    places = [((zh, en), w) for zh, en, w in _PLACES]
    if slug in _LANDMARKS:
        places += [(pair, 1.5) for pair in _pairs(_LANDMARKS[slug])]
    mine = [p for p in products if p["sectors"][0] == slug]
    operators = Counter(p["provider"] for p in mine if orgs.get(p["provider"]) == "operator")
    if not operators:
        operators = Counter(o for o, kind in orgs.items() if kind == "operator")
    scenarios = tuple(dict.fromkeys(s for p in mine for s in p.get("scenarios") or ()))
    return _Sector(
        slug=slug,
        subjects=subjects,
        subject=_zipf(range(len(subjects)), 1.05),
        audiences=_pairs(_AUDIENCES[slug]),
        place=_weighted([pair for pair, _ in places], [w for _, w in places]),
        datasets=tuple(datasets),
        operator=_weighted(list(operators), list(operators.values())),
        enterprises=tuple(e for e, sectors in _ENTERPRISE_SECTORS.items() if slug in sectors and e in orgs),
        scenarios=scenarios or tuple(zh for zh, _ in subjects),
    )


@lru_cache(maxsize=4)
def _load(seed_dir: Path) -> _Seed:
    """The seed's references and mix, read once per directory."""
    orgs = {o["slug"]: o["kind"] for o in _read(seed_dir / "organizations.yaml")}
    licences = [str(item["code"]) for item in _read(seed_dir / "licences.yaml")]
    slugs = [s["slug"] for s in _read(seed_dir / "sectors.yaml")]
    datasets = tuple(
        _Dataset(d["code"], d["title"], d["provider"], tuple(d["sectors"]))
        for d in _read_all(seed_dir, "datasets/*.yaml")
        if d["provider"] in orgs and d.get("status", "listed") == "listed"
    )
    products = _read_all(seed_dir, "products/*.yaml")
    share = Counter(p["sectors"][0] for p in products)
    sectors = []
    for slug in slugs:
        mine = [d for d in datasets if slug in d.sectors]
        if slug in _SUBJECTS and mine:
            sectors.append((_sector(slug, mine, products, orgs), share[slug] or 1))
    if not sectors:
        raise ValueError(f"{seed_dir}: no sector with both a vocabulary and datasets")
    prices = {
        m: tuple(p["price"] for p in products if p["price_model"] == m and p["price"]) for m in _PRICE_UNITS
    }
    return _Seed(
        sector=_weighted([s for s, _ in sectors], [w for _, w in sectors]),
        datasets=datasets,
        departments=frozenset(o for o, kind in orgs.items() if kind == "department"),
        licence=_licence_picks(licences),
        prices={m: found or (1,) for m, found in prices.items()},
    )


# --- one product -----------------------------------------------------------------------------------
def _distinct(
    r: Draw, items: Sequence[Any], count: int, limit: int, chosen: list[Any] | None = None
) -> list[Any]:
    """``chosen`` (or nothing) extended by distinct draws from ``items`` to ``count`` items, at most
    ``limit`` (the number of distinct items); weighted if ``items`` is a table. Few draws collide."""
    chosen = [] if chosen is None else chosen
    count = min(count, limit)
    size = len(items)
    while len(chosen) < count:
        item = items[int(r() * size)]
        if item not in chosen:
            chosen.append(item)
    return chosen


def _sources(r: Draw, seed: _Seed, sector: _Sector) -> list[_Dataset]:
    chosen = _distinct(r, sector.datasets, _one(r, _SOURCE_COUNTS), len(sector.datasets))
    if len(chosen) < 3 and r() < 0.08:  # some products also draw on a dataset of another sector
        extra = _one(r, seed.datasets)
        if extra not in chosen:
            chosen.append(extra)
    return chosen


def _sectors(r: Draw, sector: _Sector, sources: Sequence[_Dataset]) -> list[str]:
    if r() < 0.3:
        for dataset in sources:
            for slug in dataset.sectors:
                if slug != sector.slug:
                    return [sector.slug, slug]
    return [sector.slug]


def _provider(r: Draw, seed: _Seed, sector: _Sector, sources: Sequence[_Dataset]) -> tuple[str, str]:
    """The provider's slug and the product's source type: mostly operators, some departments."""
    roll = r()
    if roll < 0.12 and sources[0].provider in seed.departments:
        return sources[0].provider, "self_produced"
    if roll > 0.95 and sector.enterprises:
        return _one(r, sector.enterprises), ("purchased" if r() < 0.5 else "self_produced")
    source_type = "authorized" if roll < 0.9 else ("self_produced" if roll < 0.925 else "public")
    return _one(r, sector.operator), source_type


@cache
def _slug_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", text.lower())).strip("-")


def _title(
    r: Draw, place: tuple[str, str], subjects: Sequence[tuple[str, str]], noun: _Noun, frequency: str
) -> tuple[str, str, str]:
    """Title, English title and the slug's base (the English title's words, hyphenated)."""
    if len(subjects) == 1:
        subject_zh, subject_en = subjects[0]
    else:
        subject_zh = "与".join(zh for zh, _ in subjects)
        subject_en = " and ".join(en for _, en in subjects)
    qualifier = ("", "")
    roll = r()
    if roll < 0.3 and not noun.frequency and frequency != "irregular":
        qualifier = _FREQUENCY_WORDS[frequency][:2]
    elif roll > 0.78:
        qualifier = _one(r, _QUALIFIERS)
    edition = _one(r, _EDITIONS) if r() < 0.06 else ("", "")
    words = [w for w in (place[1], qualifier[1], subject_en, noun.en, edition[1]) if w]
    en = " ".join(words)
    base = "-".join(map(_slug_word, words))
    if len(base) > 96:
        base = base[:96].rsplit("-", 1)[0]
    return f"{place[0]}{qualifier[0]}{subject_zh}{noun.zh}{edition[0]}", en[0].upper() + en[1:], base


def _context(
    r: Draw, sector: _Sector, subject: int, place: tuple[str, str], sources: Sequence[_Dataset]
) -> _Context:
    names = sector.subjects
    picked = _distinct(r, range(len(names)), 4, len(names), [subject])
    v = _Context()
    v.subj, v.subj_en = names[subject]
    v.m1, v.m1_en = names[picked[1]]
    v.m2 = names[picked[2]][0]
    v.m3 = names[picked[3]][0]
    v.aud, v.aud_en = _one(r, sector.audiences)
    v.scope = place[0]
    v.scope_en = f"in {place[1]}" if place[1] else "across Huai'an"
    v.ds = sources[0].title
    v.nds = len(sources)
    v.k = _int(r, 6, 48)
    return v


def _summary(r: Draw, ptype: str, v: _Context) -> tuple[str, str]:
    """30 to 80 characters of Chinese and one English sentence."""
    what_zh, what_en = _one(r, _WHAT[ptype])(v)
    zh = f"{what_zh}，供{v.aud}用于{v.sc}。"
    if len(zh) > 80:
        zh = f"{what_zh}，供{v.aud}使用。"
    if len(zh) < 30:
        zh = f"{what_zh}，{v.cadence}，供{v.aud}用于{v.sc}。"
    if len(zh) < 30:
        zh = f"{zh[:-1]}，数据来自淮安市数据港授权运营目录。"
    return zh, f"{what_en[0].upper()}{what_en[1:]}, {v.cadence_en}, for {v.aud_en}."


def _description(r: Draw, ptype: str, frequency: str, v: _Context) -> str:
    """Two to four sentences, 100 to 250 characters: content, sources, then cadence and usage."""
    sentences = [
        _one(r, _CONTENT[ptype])(r, v),
        (_source_many if v.nds > 1 and r() < 0.5 else _one(r, _SOURCE))(r, v),
    ]
    optional = [_CADENCE[frequency], _USAGE] if r() < 0.6 else [_USAGE, _CADENCE[frequency]]
    wanted = _one(r, _SENTENCE_COUNTS)
    length = len(sentences[0]) + len(sentences[1])
    while optional and (len(sentences) < wanted or length < 100):
        sentences.append(_one(r, optional.pop(0))(r, v))
        length += len(sentences[-1])
    while len(sentences) > 2 and length > 250:
        length -= len(sentences.pop())
    text = "".join(sentences)
    return text if length >= 100 else text + _FILLER


def _terms(r: Draw, seed: _Seed, ptype: str, noun: _Noun) -> tuple[str, str, Any, str | None]:
    """Licence, price model, price and price unit."""
    model = "free" if noun.open_data else _one(r, _PRICE_MODEL_BY_TYPE[ptype])
    if model not in _PRICE_UNITS:
        return _one(r, seed.licence["open" if noun.open_data else model]), model, None, None
    unit = "元/套" if model == "one_time" and ptype == "model" else _PRICE_UNITS[model]
    return _one(r, seed.licence["priced"]), model, _one(r, seed.prices[model]), unit


def _privacy(r: Draw, sector: str, open_licence: bool) -> tuple[str, bool, str | None]:
    """Security grade, whether personal information is in it, and the de-identification statement."""
    if open_licence:
        return "general", False, None
    if r() >= _PERSONAL_INFO_SHARE.get(sector, 0.06):
        return ("important" if r() < 0.2 else "general"), False, None
    statement = (
        f"{_one(r, _DEID_IDS)}经{_one(r, _DEID_TECH)}处理，{_one(r, _DEID_GRAIN)}；{_one(r, _DEID_CONTROL)}。"
    )
    return ("important" if r() < 0.6 else "general"), True, statement


def _purpose(r: Draw, licence: str, scenarios: Sequence[str], audience: str) -> str:
    if licence in _OPEN_LICENCES:
        return _one(r, _OPEN_PURPOSES)
    if licence == "hadp-research":
        return f"仅限{audience}开展非商业性科学研究与教学"
    if licence == "hadp-internal":
        return f"仅限{audience}内部决策参考"
    roll = r()
    if len(scenarios) > 1 and roll < 0.5:
        return f"仅限{scenarios[0]}、{scenarios[1]}使用"
    if roll < 0.7:
        return f"用于{scenarios[0]}及相关研究"
    return f"限于订购方自身{scenarios[0]}业务使用" if roll < 0.85 else f"用于{scenarios[0]}，不得用于其他用途"


def _fields(rows: Sequence[tuple[str, str, str, str | None]]) -> list[dict[str, Any]]:
    return [
        {"name": n, "type": t, "description": d, "unit": u} if u else {"name": n, "type": t, "description": d}
        for n, t, d, u in rows
    ]


def _add_fields(r: Draw, product: dict[str, Any], subject: str) -> None:
    """Request and response fields of API products, a schema for some datasets."""
    if product["product_type"] == "api":
        product["input_fields"] = _fields(_distinct(r, _API_INPUTS, 2, len(_API_INPUTS)))
        value = ("value", "number", f"{subject}指标值", None)
        product["output_fields"] = _fields(_distinct(r, _API_OUTPUTS, _int(r, 3, 5), 6, [value]))
    elif product["product_type"] == "dataset" and r() < 0.15:
        product["schema"] = _fields(_SCHEMA)


# Every listing date, drawn skewed towards the later ones (the catalog grows).
_LISTING_DATES = tuple(
    FIRST_LISTED + dt.timedelta(days=d) for d in range((LAST_LISTED - FIRST_LISTED).days + 1)
)


def _product(r: Draw, seed: _Seed, number: int) -> dict[str, Any]:
    sector = _one(r, seed.sector)
    ptype = _one(r, _TYPES)
    noun = _one(r, _NOUNS[ptype])
    frequency = noun.frequency or _one(r, _FREQUENCY_BY_TYPE[ptype])
    count = len(sector.subjects)
    in_title = [_one(r, sector.subject)]
    if r() < 0.12:  # two subjects: 公交客流与换乘
        _distinct(r, sector.subject, 2, count, in_title)
    main = sector.subjects[in_title[0]][0]
    place = _one(r, sector.place)
    if place[0] and main.startswith(place[0][:2]):
        place = ("", "")  # not 淮安淮安大米 or 洪泽湖洪泽湖大闸蟹
    sources = _sources(r, seed, sector)
    provider, source_type = _provider(r, seed, sector, sources)
    licence, price_model, price, price_unit = _terms(r, seed, ptype, noun)
    open_licence = licence in _OPEN_LICENCES
    security, personal, deidentification = _privacy(r, sector.slug, open_licence)
    scenarios = _distinct(r, sector.scenarios, _one(r, _SCENARIO_COUNTS), len(sector.scenarios))
    tags = _distinct(r, sector.subject, _one(r, _TAG_COUNTS), count, list(in_title))
    title, title_en, base = _title(r, place, [sector.subjects[i] for i in in_title], noun, frequency)
    v = _context(r, sector, in_title[0], place, sources)
    v.title, v.sc = title, scenarios[0]
    v.cadence, v.cadence_en = _FREQUENCY_WORDS[frequency][2:]
    summary, summary_en = _summary(r, ptype, v)
    product: dict[str, Any] = {
        "slug": f"bench-{number}-{base}",
        "title": title,
        "title_en": title_en,
        "summary": summary,
        "summary_en": summary_en,
        "description": _description(r, ptype, frequency, v),
        "provider": provider,
        "source_datasets": [d.code for d in sources],
        "sectors": _sectors(r, sector, sources),
        "tags": [sector.subjects[i][0] for i in tags],
        "scenarios": scenarios,
        "product_type": ptype,
        "delivery_mode": noun.delivery or _one(r, _DELIVERY_BY_TYPE[ptype]),
        "update_frequency": frequency,
        "source_type": "public" if open_licence and r() < 0.4 else source_type,
        "security_grade": security,
        "personal_info": personal,
        "deidentification": deidentification,
        "permitted_purpose": _purpose(r, licence, scenarios, v.aud),
        "usage_term_months": _one(r, _USAGE_TERMS),
        "other_restrictions": None if r() < 0.25 else _one(r, _RESTRICTIONS),
        "license": licence,
        "extra_terms": _one(r, _EXTRA_TERMS) if r() < 0.2 else None,
        "price_model": price_model,
        "price": price,
        "price_unit": price_unit,
        "status": "listed",
        "listed_at": _LISTING_DATES[int(r() ** 0.85 * len(_LISTING_DATES))],
    }
    _add_fields(r, product, main)
    return product


def generate_products(n: int, seed: int = 2027, seed_dir: Path = SEED_DIR) -> Iterator[dict[str, Any]]:
    """``n`` listed products in the format of ``seed/products/*.yaml``, the same for the same arguments.

    Providers, sectors, licences and source datasets are real entries of ``seed_dir``; slugs are
    ``bench-<number>-<words of title_en>``, numbered from 1. The seed files are read once per directory.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    loaded = _load(Path(seed_dir).resolve())
    r = Random(seed).random
    for number in range(1, n + 1):
        yield _product(r, loaded, number)
