"""HTTP query parameters → the domain's requests (ISO dates, repeated or comma-separated lists)."""
from __future__ import annotations

from data_pipeline.export import parse_when, split_list
from data_pipeline.h3cells import MAP_RESOLUTIONS
from data_pipeline.kinds import CAMERA_KINDS, CAMERA_OWNERS, DUTY_LEVELS
from layers.coverage import CameraFilter
from layers.heatmap import COMPARISONS, HeatRequest, baseline_filter
from queries.incidents import EARLIEST, LATEST, IncidentFilter


class BadRequest(ValueError):
    """A parameter the API cannot use; the message says which."""


def incident_filter(args) -> IncidentFilter:
    from_ts, to_ts = _when(args, "from", EARLIEST), _when(args, "to", LATEST)
    return IncidentFilter(from_ts, to_ts, split_list(_all(args, "category")), split_list(_all(args, "station")),
                          _hours(args), split_list(_all(args, "zone")))


def heat_request(args) -> HeatRequest:
    try:
        res = int(args.get("resolution", ""))
    except ValueError:
        raise BadRequest("resolution is required: a whole H3 resolution 0-15") from None
    if not 0 <= res <= 15:
        raise BadRequest("resolution must be 0-15")
    compare = args.get("compare") or None
    if compare is not None and compare not in COMPARISONS:
        raise BadRequest(f"compare must be one of {', '.join(COMPARISONS)}")
    flt = incident_filter(args)
    if compare is not None:
        try:
            baseline_filter(flt, compare)
        except (OverflowError, ValueError):   # e.g. from=0001-01-01: no year before it
            raise BadRequest("compare needs a from/to window whose comparison window is a valid date") from None
    return HeatRequest(res, flt, _bbox(args.get("bbox")), compare)


def map_resolution(args, default: int | None = None) -> int:
    """A map resolution (7-10) for the coverage layers."""
    text = args.get("resolution") or (str(default) if default else "")
    if text not in {str(r) for r in MAP_RESOLUTIONS}:
        raise BadRequest(f"resolution must be one of {', '.join(map(str, MAP_RESOLUTIONS))}")
    return int(text)


def camera_filter(args) -> CameraFilter:
    """status=online (default) | all, kind=, owner= (repeatable or comma-separated)."""
    status = args.get("status", "online")
    if status not in ("online", "all"):
        raise BadRequest("status must be online or all")
    kinds, owners = split_list(_all(args, "kind")), split_list(_all(args, "owner"))
    for name, values, allowed in (("kind", kinds, CAMERA_KINDS), ("owner", owners, CAMERA_OWNERS)):
        if values and not set(values) <= set(allowed):
            raise BadRequest(f"{name} must be among {', '.join(allowed)}")
    return CameraFilter(("online",) if status == "online" else None, tuple(kinds) if kinds else None,
                        tuple(owners) if owners else None)


def whole_number(args, name: str, default: int | None, low: int, high: int) -> int | None:
    text = args.get(name)
    if not text:
        return default
    if not text.isdecimal() or not low <= int(text) <= high:
        raise BadRequest(f"{name} must be a whole number {low}-{high}")
    return int(text)


def positive_number(args, name: str) -> float | None:
    text = args.get(name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadRequest(f"{name} must be a number") from None
    if not 0 < value < 10_000:
        raise BadRequest(f"{name} must be positive")
    return value


def duty_mode(args) -> str:
    mode = args.get("duty", "routine")
    if mode not in DUTY_LEVELS:
        raise BadRequest(f"duty must be one of {', '.join(DUTY_LEVELS)}")
    return mode


def coordinate(args, name: str, limit: float) -> float:
    try:
        value = float(args.get(name, ""))
    except ValueError:
        raise BadRequest(f"{name} is required: degrees") from None
    if not -limit <= value <= limit:
        raise BadRequest(f"{name} must be within ±{limit}°")
    return value


def moment(args, name: str = "at"):
    """A required ISO timestamp (local time)."""
    value = _when(args, name, None)
    if value is None:
        raise BadRequest(f"{name} is required: an ISO timestamp")
    return value


def bbox(args):
    return _bbox(args.get("bbox"))


def _when(args, name: str, default):
    try:
        return parse_when(args.get(name), default)
    except ValueError as err:
        raise BadRequest(f"{name}: {err}") from None


def _hours(args) -> list[int] | None:
    hours = split_list(_all(args, "hours"))
    if not hours:
        return None
    if not all(h.isdecimal() and int(h) <= 23 for h in hours):
        raise BadRequest("hours must be whole hours 0-23")
    return [int(h) for h in hours]


def _all(args, name: str) -> list[str] | None:
    values = args.getlist(name) if hasattr(args, "getlist") else ([args[name]] if name in args else [])
    return [v for v in values if v] or None


def _bbox(text: str | None):
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise BadRequest("bbox is west,south,east,north in degrees") from None
    return west, south, east, north
