"""Component ids, in one place (pattern-matching ids for per-layer controls)."""

LANG = "lang"                    # dcc.Store: "zh" | "en"
LANG_SWITCH = "lang-switch"
URL = "url"

# Map and its layers
MAP = "map"
HEX_LAYER = "hex-layer"
OUTLINE_LAYER = "outline-layer"          # dict id: {"type": OUTLINE_LAYER, "level": ...}
OUTLINE_LABELS = "outline-labels"       # dict id, like OUTLINE_LAYER
OUTLINE_TOGGLE = "outline-toggle"
PLACES_LAYER = "places-layer"
PLACES_TOGGLE = "places-toggle"
ROADS_LAYER = "roads-layer"
LEGEND = "legend"

# Filter bar
PERIOD = "period"
CUSTOM_RANGE = "custom-range"
CATEGORIES = "categories"
STATION = "station"
ZONE = "zone"
HOURS = "hours"
COMPARE = "compare"

# Side panel and charts
PANEL = "panel"
TREND_CHART = "trend-chart"
CATEGORY_CHART = "category-chart"
MATRIX_CHART = "matrix-chart"
HOTTEST_TABLE = "hottest-table"

# Wall display
WALL_TICK = "wall-tick"
WALL_KPIS = "wall-kpis"
WALL_MAP_LAYER = "wall-map-layer"
WALL_MATRIX = "wall-matrix"
WALL_UPDATED = "wall-updated"
WALL_COVERAGE = "wall-coverage"

# Accounts
LOGOUT = "logout"
AUDIT_TABLE = "audit-table"
AUDIT_EVENT = "audit-event"

# Planner
PLAN_MAP = "plan-map"
PLAN_HEX = "plan-hex"
PLAN_LEGEND = "plan-legend"
PLAN_PERIOD = "plan-period"
PLAN_LAYER = "plan-layer"                # incidents | coverage | blind
PLAN_STATUS = "plan-status"              # online | all ("if the offline cameras were repaired")
PLAN_KIND = "plan-kind"
PLAN_OWNER = "plan-owner"
PLAN_CAMERAS_TOGGLE = "plan-cameras-toggle"
PLAN_CAMERA_POINTS = "plan-camera-points"
PLAN_CAMERA_SECTORS = "plan-camera-sectors"
PLAN_KPIS = "plan-kpis"
BLIND_TABLE = "blind-table"
PLAN_EXPORTS = "plan-exports"
PLAN_N = "plan-n"
PLAN_CAMERA_KIND = "plan-camera-kind"
PLAN_RUN = "plan-run"
PLAN_RESULT = "plan-result"
PLAN_RESULT_LAYER = "plan-result-layer"
BLIND_PLACES = "blind-places"
BLIND_ROADS = "blind-roads"
PLAN_DUTY = "plan-duty"                  # routine | emergency | wartime
RINGS_LAYER = "rings-layer"
INTERCEPT_LAYER = "intercept-layer"
RING_KPIS = "ring-kpis"
LEAK_TABLE = "leak-table"
LEAK_EXPORT = "leak-export"
INTERCEPT_RESULT = "intercept-result"

# Patrols
PATROL_MAP = "patrol-map"
PATROL_HEX = "patrol-hex"
PATROL_LEGEND = "patrol-legend"
PATROL_PERIOD = "patrol-period"
PATROL_HOURS = "patrol-hours"
PATROL_LAYER = "patrol-layer"            # presence | reach
PATROL_TIME = "patrol-time"              # minutes before the end of the playback day
PATROL_PLAY = "patrol-play"
PATROL_TICK = "patrol-tick"
PATROL_CLOCK = "patrol-clock"
PATROL_TRACKS = "patrol-tracks"
PATROL_UNITS = "patrol-units"
PATROL_KPIS = "patrol-kpis"
HOT_UNPATROLLED = "hot-unpatrolled"
DOSAGE_TABLE = "dosage-table"
RESPONSE_TABLE = "response-table"
PATROL_HOUR_CHART = "patrol-hour-chart"
WORKSPACE_HOT = "workspace-hot"
PLAN_HOT = "plan-hot"
