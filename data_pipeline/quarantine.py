"""Stage: rejected rows → ``quarantine``, each with its reason, source line and raw text."""
from __future__ import annotations

import pyarrow as pa

from data_pipeline.read import Source, raw_records


def quarantine_rows(con, source: Source, kind: str, run_id: int, label: str) -> dict[str, int]:
    """Store malformed and rejected rows of this run; return counts by reason."""
    rows = con.execute("SELECT _rec, _reason, _detail FROM norm WHERE _reason IS NOT NULL ORDER BY _rec").fetchall()
    raw = _raw_text(con, source, [r[0] for r in rows])
    records = [(line, reason, detail, text) for rec, reason, detail in rows for line, text in [raw[rec]]]
    records += [(m.line, "malformed_row", m.detail, m.raw) for m in source.malformed]
    if records:
        table = pa.table({
            "run_id": pa.array([run_id] * len(records), pa.int64()),
            "kind": pa.array([kind] * len(records)),
            "source_file": pa.array([label] * len(records)),
            "line": pa.array([r[0] for r in records], pa.int64()),
            "reason": pa.array([r[1] for r in records]),
            "detail": pa.array([r[2] for r in records]),
            "raw": pa.array([r[3] for r in records]),
        })
        con.register("quarantine_batch", table)
        con.execute("INSERT INTO quarantine SELECT * FROM quarantine_batch")
        con.unregister("quarantine_batch")
    counts: dict[str, int] = {}
    for r in records:
        counts[r[1]] = counts.get(r[1], 0) + 1
    return counts


def _raw_text(con, source: Source, recs: list[int]) -> dict[int, tuple[int, str]]:
    """(line, raw text) per record: the physical line of a text file, the record as JSON otherwise."""
    if not recs:
        return {}
    if source.format == "csv":
        return raw_records(source, recs)
    con.register("wanted_recs", pa.table({"_rec": pa.array(recs, pa.int64())}))
    rows = con.execute("SELECT s._rec, to_json(s)::VARCHAR FROM src s JOIN wanted_recs USING (_rec)").fetchall()
    con.unregister("wanted_recs")
    # Feature/row numbers count from 1, as a GIS user sees them in an attribute table.
    return {rec: (rec + 1, text) for rec, text in rows}
