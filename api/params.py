"""HTTP query parameters → the domain's requests (ISO dates, repeated or comma-separated lists)."""
from __future__ import annotations

from data_pipeline.export import parse_when, split_list
from layers.heatmap import COMPARISONS, HeatRequest
from queries.incidents import EARLIEST, LATEST, IncidentFilter


class BadRequest(ValueError):
    """A parameter the API cannot use; the message says which."""


def incident_filter(args) -> IncidentFilter:
    try:
        from_ts, to_ts = parse_when(args.get("from"), EARLIEST), parse_when(args.get("to"), LATEST)
    except ValueError as err:
        raise BadRequest(str(err)) from None
    hours = split_list(_all(args, "hours"))
    try:
        hour_list = [int(h) for h in hours] if hours else None
    except ValueError:
        raise BadRequest("hours must be whole hours 0-23") from None
    return IncidentFilter(from_ts, to_ts, split_list(_all(args, "category")), split_list(_all(args, "station")),
                          hour_list)


def heat_request(args) -> HeatRequest:
    try:
        res = int(args.get("resolution", ""))
    except ValueError:
        raise BadRequest("resolution is required: an H3 resolution 0-15") from None
    if not 0 <= res <= 15:
        raise BadRequest("resolution must be 0-15")
    compare = args.get("compare") or None
    if compare is not None and compare not in COMPARISONS:
        raise BadRequest(f"compare must be one of {', '.join(COMPARISONS)}")
    return HeatRequest(res, incident_filter(args), _bbox(args.get("bbox")), compare)


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
