"""UI strings in zh-CN (default) and English; numbers and dates formatted per language."""
from __future__ import annotations

from datetime import datetime

from data_pipeline.kinds import CATEGORIES

DEFAULT_LANG = "zh"

STRINGS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app_title": ("治安态势感知", "Public-security situational awareness"),
    "nav_workspace": ("派出所工作台", "Station workspace"),
    "nav_wall": ("指挥大屏", "Wall display"),
    "nav_plan": ("研判规划", "Planner"),
    "lang_switch": ("English", "中文"),
    "period": ("时段", "Period"),
    "period_24h": ("近24小时", "Last 24 h"),
    "period_7d": ("近7天", "Last 7 days"),
    "period_28d": ("近28天", "Last 28 days"),
    "period_365d": ("近一年", "Last 365 days"),
    "period_custom": ("自定义", "Custom"),
    "date_from": ("开始日期", "From"),
    "date_to": ("结束日期", "To"),
    "categories": ("案件类别", "Categories"),
    "all_categories": ("全部类别", "All categories"),
    "station": ("辖区", "Jurisdiction"),
    "all_stations": ("全部辖区", "All jurisdictions"),
    "zone": ("社区/网格", "Community / grid"),
    "all_zones": ("全部社区网格", "All communities and grids"),
    "hours": ("时间段（时）", "Time of day (h)"),
    "compare": ("对比", "Compare"),
    "compare_none": ("不对比", "None"),
    "compare_previous": ("环比（上一时段）", "Previous period"),
    "compare_last_year": ("同比（去年同期）", "Same period last year"),
    "layer_incidents": ("案件热力", "Case heatmap"),
    "layer_change": ("案件变化", "Change in cases"),
    "outlines": ("辖区边界", "Boundaries"),
    "level_station": ("派出所", "Stations"),
    "level_community": ("社区/村", "Communities"),
    "level_grid": ("网格", "Grids"),
    "places": ("重点部位", "Key places"),
    "place_school": ("学校", "School"),
    "place_hospital": ("医院", "Hospital"),
    "place_night_market": ("夜市", "Night market"),
    "place_hotel": ("宾馆酒店", "Hotel"),
    "place_transport_hub": ("交通枢纽", "Transport hub"),
    "place_government": ("党政机关", "Government"),
    "place_mall": ("商场", "Shopping centre"),
    "place_other": ("其他", "Other"),
    "legend_incidents": ("案件数（每个六边形）", "Incidents per hexagon"),
    "legend_change": ("变化（起）", "Change (cases)"),
    "incidents": ("案件", "Incidents"),
    "trend": ("趋势", "Trend"),
    "by_category": ("类别构成", "By category"),
    "matrix": ("高发时段（小时 × 星期）", "Peak hours (hour × weekday)"),
    "hottest": ("热点网格排名", "Hottest cells"),
    "cell": ("网格编号", "Cell"),
    "latest": ("最新警情", "Latest incidents"),
    "time": ("时间", "Time"),
    "status": ("状态", "Status"),
    "id": ("编号", "ID"),
    "click_hex": ("点击地图上的六边形查看详情", "Click a hexagon on the map for details"),
    "kpi_24h": ("近24小时警情", "Incidents, last 24 h"),
    "kpi_7d": ("近7天警情", "Incidents, last 7 days"),
    "kpi_28d": ("近28天警情", "Incidents, last 28 days"),
    "vs_previous": ("环比", "vs previous"),
    "vs_last_year": ("同比", "vs last year"),
    "top_categories": ("主要案件类别（近7天）", "Top categories (7 days)"),
    "updated": ("数据更新", "Data as of"),
    "no_data": ("无数据", "No data"),
    "weekday_names": ("一,二,三,四,五,六,日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "hour": ("时", "h"),
    "week": ("周", "Week"),
    "logout": ("退出", "Sign out"),
    "nav_patrol": ("巡逻防控", "Patrols"),
    "layer_presence": ("巡逻覆盖（分钟）", "Patrol presence (minutes)"),
    "layer_reach": ("1-3-5分钟响应圈", "1-3-5 minute reach"),
    "legend_presence": ("巡逻时长（单位·分钟，每个六边形）", "Patrol unit-minutes per hexagon"),
    "legend_reach": ("最近警力到达时间", "Minutes from the nearest unit"),
    "reach_1": ("1分钟内", "within 1 min"), "reach_3": ("3分钟内", "within 3 min"),
    "reach_5": ("5分钟内", "within 5 min"),
    "playback": ("回放时刻", "Playback time"),
    "play": ("▶ 播放", "▶ Play"),
    "pause": ("❚❚ 暂停", "❚❚ Pause"),
    "patrol_kpis": ("快速响应", "Rapid response"),
    "wall_readiness": ("视频覆盖 · 快速响应", "Camera coverage · rapid response"),
    "kpi_reach_modelled": ("案件处于5分钟响应圈（模型）", "incidents within 5 min of a unit (modelled)"),
    "kpi_response_median": ("实际到场中位数（分钟）", "actual arrival, median (min)"),
    "kpi_response_p90": ("实际到场P90（分钟）", "actual arrival, p90 (min)"),
    "kpi_response_share": ("实际5分钟内到场", "arrived within 5 min"),
    "hot_unpatrolled": ("高发但巡逻不足", "Hot but unpatrolled"),
    "col_patrol_min": ("巡逻分钟", "Patrol min"),
    "col_deficit_min": ("缺口分钟", "Short by (min)"),
    "dosage": ("热点巡逻剂量（建议每约2小时停留10–16分钟）", "Hot-spot dosage (10–16 min about every 2 h)"),
    "col_visits": ("到访次数", "Visits"),
    "col_visit_min": ("平均停留", "Mean stay"),
    "col_interval_min": ("平均间隔", "Mean interval"),
    "col_meets": ("达标", "Meets"),
    "response_by_station": ("实际到场（按辖区）", "Actual response by station"),
    "col_group": ("分组", "Group"),
    "col_median": ("中位数", "Median"),
    "col_p90": ("P90", "p90"),
    "col_within5": ("5分钟内", "≤ 5 min"),
    "col_modelled": ("模型5分钟圈", "Modelled ≤ 5 min"),
    "minutes_vs_incidents": ("巡逻时长与案件（按小时）", "Patrol minutes and incidents by hour"),
    "units_on_patrol": ("在巡警力", "units on patrol"),
    "yes": ("是", "yes"), "no": ("否", "no"),
    "layer": ("图层", "Layer"),
    "layer_coverage": ("视频覆盖率", "Camera coverage"),
    "layer_rings": ("查控圈", "Checkpoint rings"),
    "duty": ("勤务等级", "Duty"),
    "duty_routine": ("常态", "routine"),
    "duty_emergency": ("应急", "emergency"),
    "duty_wartime": ("战时", "wartime"),
    "rings_title": ("查控圈（入口覆盖）", "Checkpoint rings (entries covered)"),
    "ring_entries": ("{covered} / {entries} 个入口有卡点", "{covered} / {entries} entries covered"),
    "leaks": ("漏洞排名", "Leaks"),
    "col_ring": ("圈层", "Ring"),
    "col_road": ("道路等级", "Road"),
    "col_nearby": ("周边案件", "Incidents nearby"),
    "col_nearest": ("最近卡点（米）", "Nearest checkpoint (m)"),
    "road_motorway": ("高速", "motorway"), "road_trunk": ("国道/快速路", "trunk"),
    "road_primary": ("主干道", "primary"), "road_secondary": ("次干道", "secondary"),
    "road_tertiary": ("支路", "tertiary"), "road_residential": ("街巷", "residential"),
    "road_service": ("辅路", "service"), "road_path": ("步道", "path"), "road_track": ("乡村道路", "track"),
    "road_other": ("其他道路", "other"),
    "intercept_hint": ("选中“查控圈”图层后，点击地图上的案发地点，计算拦截。",
                       "With the checkpoint-ring layer, click the incident's location on the map "
                       "to compute interception."),
    "intercept_result": ("从该点出发，最近入口 {minutes} 分钟可达；"
                         "{reachable} 个入口可在封控前驶出，其中 {leaks} 个为漏洞。",
                         "From here the nearest entry is {minutes} min away; {reachable} entries can be crossed before "
                         "they close, {leaks} of them leaks."),
    "layer_blind": ("视频盲区", "Blind spots"),
    "legend_coverage": ("覆盖率（%，每个六边形）", "Covered share (%, per hexagon)"),
    "legend_blind": ("盲区优先级（分）", "Blind-spot priority (score)"),
    "legend_blind_places": ("重点部位无视频覆盖", "Key place out of camera sight"),
    "legend_blind_roads": ("主干道无视频覆盖", "Main road out of camera sight"),
    "cameras_shown": ("显示摄像机", "Show cameras"),
    "camera_status": ("摄像机状态", "Cameras counted"),
    "status_online": ("仅在线", "online only"),
    "status_all": ("若离线修复", "if offline ones were repaired"),
    "camera_kind": ("类型", "Kind"),
    "camera_owner": ("权属", "Owner"),
    "all_kinds": ("全部类型", "All kinds"),
    "all_owners": ("全部权属", "All owners"),
    "kind_video": ("视频监控", "video"),
    "kind_face": ("人脸", "face"),
    "kind_vehicle": ("车辆卡口", "vehicle"),
    "kind_structured": ("结构化", "structured"),
    "kind_other": ("其他", "other"),
    "owner_police": ("公安自建", "police"),
    "owner_social": ("社会资源", "social"),
    "state_online": ("在线", "online"),
    "state_offline": ("离线", "offline"),
    "state_maintenance": ("维修中", "maintenance"),
    "coverage_kpis": ("视频覆盖", "Camera coverage"),
    "kpi_incidents_covered": ("案件处于视频范围", "incidents in camera sight"),
    "kpi_places_covered": ("重点部位有覆盖", "key places in sight"),
    "kpi_roads_covered": ("主干道覆盖长度", "main-road length in sight"),
    "kpi_cameras_online": ("摄像机在线", "cameras online"),
    "blind_spots": ("盲区排名（优先级）", "Blind spots by priority"),
    "col_score": ("优先级", "Score"),
    "col_uncovered": ("未覆盖案件", "Uncovered"),
    "col_coverage": ("覆盖率", "Coverage"),
    "export_geojson": ("导出GeoJSON", "Export GeoJSON"),
    "plan_title": ("布点建议", "Where new cameras should go"),
    "plan_n": ("新增数量", "Cameras to add"),
    "plan_run": ("计算", "Compute"),
    "plan_before_after": ("视频范围内案件：{before} → {after}（新增 {gain} 起）",
                          "Incidents in camera sight: {before} → {after} (+{gain})"),
    "plan_gain": ("新增覆盖", "Newly covered"),
    "plan_heading": ("朝向", "Heading"),
    "heading_dome": ("全向", "all-round"),
    "no_access": ("您的账号无权访问此页面。", "Your account may not open this page."),
    "role_leader": ("局领导", "leadership"),
    "role_planner": ("研判规划", "planner"),
    "role_station_chief": ("派出所所长", "station chief"),
    "role_admin": ("系统管理员", "administrator"),
    "role_kiosk": ("大屏", "wall display"),
    "nav_admin": ("系统管理", "Administration"),
    "users": ("用户", "Users"),
    "kiosks": ("大屏链接", "Wall-display links"),
    "audit_log": ("审计日志", "Audit log"),
    "audit_event": ("事件", "Event"),
    "all_events": ("全部事件", "All events"),
    "col_time": ("时间", "Time"),
    "col_outcome": ("结果", "Outcome"),
    "col_actor": ("操作者", "Actor"),
    "col_ip": ("地址", "Address"),
    "col_path": ("路径", "Path"),
    "col_detail": ("详情", "Detail"),
    "col_name": ("名称", "Name"),
    "col_role": ("角色", "Role"),
    "col_station": ("辖区", "Station"),
    "col_state": ("状态", "State"),
    "col_scope": ("范围", "Scope"),
    "state_active": ("启用", "active"),
    "state_disabled": ("停用", "disabled"),
    "state_revoked": ("已撤销", "revoked"),
    "manage_hint": ("用户、令牌和大屏链接通过命令行管理：python app.py users … / kiosk …",
                    "Users, tokens and wall-display links are managed on the command line: "
                    "python app.py users … / kiosk …"),
    "export_csv": ("导出CSV", "Export CSV"),
    "export_shared": ("导出CSV（小数值隐藏）", "Export CSV (small counts hidden)"),
}


def t(key: str, lang: str = DEFAULT_LANG) -> str:
    """The string for ``key`` in ``lang`` (zh or en)."""
    zh, en = STRINGS[key]
    return en if lang == "en" else zh


def category_label(category: str, lang: str = DEFAULT_LANG) -> str:
    zh, en = CATEGORIES.get(category, (category, category))
    return en if lang == "en" else zh


def weekdays(lang: str = DEFAULT_LANG) -> list[str]:
    return t("weekday_names", lang).split(",")


def number(value: float | int | None, lang: str = DEFAULT_LANG) -> str:
    """Thousands-separated; Chinese uses 万 above ten thousand, as bureau reports do."""
    if value is None:
        return "—"
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent(value: float | None, lang: str = DEFAULT_LANG) -> str:
    if value is None:
        return "—"
    arrow = "▲" if value > 0 else "▼" if value < 0 else "■"
    return f"{arrow} {abs(value):.1f}%"


def percent_share(part: float, whole: float, lang: str = DEFAULT_LANG) -> str:
    """A share as a percentage with one decimal ("—" when there is no whole)."""
    return f"{100 * part / whole:.1f}%" if whole else "—"


def timestamp(moment: datetime | None, lang: str = DEFAULT_LANG) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%Y年%m月%d日 %H:%M") if lang == "zh" else moment.strftime("%d %b %Y %H:%M")
