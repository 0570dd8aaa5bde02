"""The statistical profile of incidents: category mix, sub-types, hours, sources, delays.

Tables only, no logic: :mod:`.incidents` draws from them.  Categories are the canonical
ones of the product; sub-types are written the way a bureau's own system (警综平台) would.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("theft", "robbery", "fraud", "telecom_fraud", "dispute", "violence", "public_order",
              "drugs_vice", "traffic", "fire_hazard", "assistance", "other")
SOURCES = ("call_110", "patrol", "grid_report", "video_patrol")
STATUSES = ("open", "processing", "closed")

# Where incidents happen: each group has its own anchors (see incidents.build_anchors).
GROUPS = ("urban", "night_market", "scenic", "traffic", "town", "village")
RURAL_GROUPS = ("town", "village")
# Share of all incidents per group on an ordinary weekday.
GROUP_SHARE = {"urban": 0.42, "night_market": 0.05, "scenic": 0.07, "traffic": 0.13, "town": 0.18,
               "village": 0.15}
# Spread (m) of incidents around an anchor of the group.
GROUP_SIGMA_M = {"urban": 35.0, "night_market": 60.0, "scenic": 90.0, "traffic": 12.0, "town": 250.0,
                 "village": 450.0}

# Category mix per group (rows in GROUPS order, columns in CATEGORIES order).  Property
# crime (盗抢骗 + telecom fraud) is the largest block, as in every seed report.
CATEGORY_MIX = np.array([
    # theft rob  fraud tele  disp  viol  order drugs traf  fire  assist other
    [0.30, 0.015, 0.06, 0.10, 0.15, 0.03, 0.08, 0.02, 0.06, 0.02, 0.12, 0.045],  # urban
    [0.18, 0.02, 0.03, 0.01, 0.25, 0.12, 0.25, 0.06, 0.02, 0.01, 0.04, 0.01],  # night market
    [0.28, 0.01, 0.12, 0.03, 0.12, 0.02, 0.10, 0.01, 0.06, 0.02, 0.20, 0.03],  # scenic
    [0.03, 0.005, 0.0, 0.0, 0.04, 0.01, 0.02, 0.0, 0.85, 0.01, 0.03, 0.005],  # traffic
    [0.28, 0.01, 0.05, 0.10, 0.22, 0.03, 0.07, 0.02, 0.05, 0.04, 0.10, 0.03],  # town
    [0.22, 0.005, 0.03, 0.08, 0.32, 0.03, 0.04, 0.01, 0.03, 0.10, 0.10, 0.035],  # village
])

# Multipliers of a group's daily volume by kind of day (seasons.DAY_KINDS).
SEASON_FACTOR = {
    "urban": {"summer": 1.05, "golden_week": 1.10, "may_day": 1.05, "spring_festival": 1.10,
              "winter": 0.95},
    "night_market": {"summer": 1.40, "golden_week": 1.50, "may_day": 1.30, "spring_festival": 1.20,
                     "winter": 0.75},
    "scenic": {"summer": 2.20, "golden_week": 3.50, "may_day": 2.50, "spring_festival": 2.00,
               "winter": 0.70},
    "traffic": {"summer": 1.15, "golden_week": 1.50, "may_day": 1.30, "spring_festival": 1.40},
    "town": {"spring_festival": 1.50},
    "village": {"spring_festival": 1.60, "summer": 1.05},
}
# Monday .. Sunday; tourists add a weekend bump in the scenic area.
WEEKDAY_FACTOR = np.array([0.95, 0.94, 0.95, 0.97, 1.05, 1.10, 1.04])
SCENIC_WEEKEND_FACTOR = 1.30


def _profile(base: float, *peaks: tuple[float, float, float]) -> np.ndarray:
    """A 24-hour weight profile: ``base`` plus circular Gaussian bumps (hour, height, width)."""
    hours = np.arange(24) + 0.5
    weights = np.full(24, base)
    for centre, height, width in peaks:
        d = np.abs((hours - centre + 12) % 24 - 12)
        weights += height * np.exp(-(d**2) / (2 * width**2))
    return weights / weights.sum()


HOUR_PROFILES = {
    "property": _profile(0.30, (11, 1.0, 2.5), (19, 1.2, 2.5), (3, 0.4, 1.5)),
    "daytime": _profile(0.10, (10.5, 1.0, 2.0), (15.5, 1.0, 2.0)),
    "evening": _profile(0.25, (11, 0.6, 2.0), (20, 1.2, 2.5)),
    "late": _profile(0.15, (23, 1.2, 2.5), (2, 0.6, 1.5)),
    "traffic": _profile(0.20, (8, 1.0, 1.2), (18, 1.1, 1.5), (12, 0.5, 1.5)),
    "fire": _profile(0.15, (14, 1.0, 3.0), (19, 0.5, 2.0)),
    "assist": _profile(0.20, (11, 1.0, 3.0), (17, 0.8, 3.0)),
    "flat": _profile(1.0),
    "night_market": _profile(0.05, (22, 1.0, 2.0), (0.5, 0.8, 1.5)),  # stalls open 19-02 h
}
CATEGORY_HOURS = {"theft": "property", "robbery": "late", "fraud": "daytime", "telecom_fraud": "daytime",
                  "dispute": "evening", "violence": "late", "public_order": "late", "drugs_vice": "late",
                  "traffic": "traffic", "fire_hazard": "fire", "assistance": "assist", "other": "flat"}

SUBTYPES = {
    "theft": (("盗窃电动车", 0.25), ("入室盗窃", 0.15), ("扒窃", 0.15), ("盗窃车内财物", 0.10),
              ("盗窃手机", 0.10), ("盗窃自行车", 0.05), ("盗窃农用物资", 0.05), ("其他盗窃", 0.15)),
    "robbery": (("抢夺", 0.6), ("抢劫", 0.4)),
    "fraud": (("诈骗-冒充熟人", 0.20), ("诈骗-街头骗局", 0.25), ("合同诈骗", 0.10), ("旅游消费欺诈", 0.20),
              ("诈骗-其他", 0.25)),
    "telecom_fraud": (("电信诈骗-刷单返利", 0.30), ("电信诈骗-虚假投资理财", 0.20), ("电信诈骗-冒充客服", 0.15),
                      ("电信诈骗-冒充公检法", 0.10), ("电信诈骗-网络贷款", 0.15), ("电信诈骗-网络游戏交易", 0.10)),
    "dispute": (("邻里纠纷", 0.25), ("家庭纠纷", 0.20), ("经济纠纷", 0.15), ("消费纠纷", 0.12), ("劳资纠纷", 0.10),
                ("土地山林纠纷", 0.08), ("交通纠纷", 0.10)),
    "violence": (("殴打他人", 0.5), ("故意伤害", 0.2), ("家庭暴力", 0.2), ("寻衅滋事", 0.1)),
    "public_order": (("醉酒滋事", 0.25), ("噪音扰民", 0.25), ("强拉客/强买强卖", 0.15), ("聚众斗殴", 0.05),
                     ("违规燃放烟花爆竹", 0.10), ("其他治安案件", 0.20)),
    "drugs_vice": (("涉赌", 0.45), ("涉黄", 0.30), ("涉毒", 0.25)),
    "traffic": (("交通事故-轻微", 0.60), ("交通事故-伤人", 0.20), ("交通事故-逃逸", 0.05), ("交通堵塞", 0.10),
                ("酒驾醉驾", 0.05)),
    "fire_hazard": (("火灾隐患", 0.30), ("野外用火/焚烧秸秆", 0.40), ("电动车违规充电", 0.20), ("火情", 0.10)),
    "assistance": (("求助-走失", 0.25), ("求助-遗失物品", 0.30), ("求助-开锁", 0.10), ("求助-困难救助", 0.15),
                   ("求助-游客求助", 0.20)),
    "other": (("其他警情", 0.6), ("重复报警", 0.2), ("无效警情", 0.2)),
}

# Source mix per category in town (call_110, patrol, grid_report, video_patrol).
SOURCE_MIX = {
    "theft": (0.75, 0.08, 0.07, 0.10), "robbery": (0.80, 0.08, 0.02, 0.10),
    "fraud": (0.85, 0.05, 0.05, 0.05), "telecom_fraud": (0.90, 0.0, 0.10, 0.0),
    "dispute": (0.65, 0.08, 0.22, 0.05), "violence": (0.75, 0.10, 0.05, 0.10),
    "public_order": (0.50, 0.25, 0.05, 0.20), "drugs_vice": (0.35, 0.35, 0.10, 0.20),
    "traffic": (0.85, 0.08, 0.02, 0.05), "fire_hazard": (0.50, 0.15, 0.30, 0.05),
    "assistance": (0.85, 0.08, 0.05, 0.02), "other": (0.80, 0.08, 0.07, 0.05),
}
# In towns and villages grid workers report more and video sees less.
RURAL_SOURCE_MULTIPLIER = np.array([1.0, 0.8, 2.5, 0.2])

# Median delay (s) from occurrence to report for 110 calls and grid reports, and its
# log-normal spread; thefts and frauds are noticed late, fights and crashes at once.
REPORT_DELAY_MEDIAN_S = {"theft": 1800, "robbery": 300, "fraud": 7200, "telecom_fraud": 14400,
                         "dispute": 300, "violence": 240, "public_order": 300, "drugs_vice": 600,
                         "traffic": 180, "fire_hazard": 240, "assistance": 420, "other": 300}
REPORT_DELAY_SIGMA = 1.1
ON_SCENE_DELAY_MEDIAN_S = 60  # patrol and video patrol see it happen

# Probability that a unit is dispatched, by source; telecom fraud is mostly handled by the
# anti-fraud centre by phone, so few cases see a unit.
DISPATCH_SHARE = {"call_110": 0.93, "patrol": 1.0, "grid_report": 0.35, "video_patrol": 0.90}
DISPATCH_CATEGORY_FACTOR = {"telecom_fraud": 0.35, "fraud": 0.70}
DISPATCH_DELAY_MEDIAN_S = {"call_110": 60, "patrol": 0, "grid_report": 600, "video_patrol": 90}  # 一分钟派警
DISPATCH_DELAY_SIGMA = 0.5

ROAD_DETOUR = 1.3  # road distance / straight-line distance
RESPONSE_SPEED_MS = 30 / 3.6  # 30 km/h average with lights through town and village roads
RESPONSE_OVERHEAD_S = 60  # getting into the car
ROAMING_UNIT_MEAN_M = 1_500.0  # 动中出警: nearest moving unit in town/scenic/night market
ROAMING_GROUPS = ("urban", "night_market", "scenic")

# Median hours from arrival (or report) to closure, and the share never closed (unsolved
# cases stay "processing").
CLOSE_MEDIAN_H = {"theft": 96, "robbery": 240, "fraud": 480, "telecom_fraud": 720, "dispute": 1.5,
                  "violence": 48, "public_order": 3, "drugs_vice": 72, "traffic": 1.5,
                  "fire_hazard": 2, "assistance": 0.75, "other": 0.5}
CLOSE_SIGMA = 1.0
UNSOLVED_SHARE = {"theft": 0.35, "robbery": 0.10, "fraud": 0.40, "telecom_fraud": 0.65,
                  "violence": 0.10, "drugs_vice": 0.10}
UNSOLVED_DEFAULT = 0.02
