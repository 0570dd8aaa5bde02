"""The store's ingest report: per kind, what was read and where every row went."""
from __future__ import annotations

import queries

REPORT_FIELDS = ("rows_read", "loaded", "located", "unlocated", "duplicates", "rejected")


def store_report(con) -> dict:
    """``{"kinds": {kind: counts and rejected_by_reason}, "incidents_station": ..., "ok": bool}``.

    ``ok`` is the reconciliation: rows_read = loaded + duplicates + rejected and
    loaded = located + unlocated for every kind.
    """
    kinds: dict[str, dict] = {}
    for row in queries.run(con, "report").fetchall():
        counts = dict(zip(("kind", *REPORT_FIELDS, "runs"), row, strict=True))
        kinds[counts.pop("kind")] = counts | {"rejected_by_reason": {}}
    for kind, reason, n in queries.run(con, "report_rejections").fetchall():
        kinds.setdefault(kind, {f: 0 for f in REPORT_FIELDS} | {"runs": 0, "rejected_by_reason": {}})
        kinds[kind]["rejected_by_reason"][reason] = n
    with_station, without_station = queries.run(con, "report_assignment").fetchone()
    return {
        "kinds": kinds,
        "incidents_with_station": with_station,
        "incidents_located_without_station": without_station,
        "ok": all(reconciles(c) for c in kinds.values()),
    }


def reconciles(counts: dict) -> bool:
    """The two counting invariants of one kind."""
    return (counts["rows_read"] == counts["loaded"] + counts["duplicates"] + counts["rejected"]
            and counts["loaded"] == counts["located"] + counts["unlocated"]
            and counts["rejected"] == sum(counts["rejected_by_reason"].values()))
