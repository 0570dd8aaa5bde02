"""The presence stage: patrol minutes per map cell and clock hour, kept in the store (``patrol_presence``).

Runs after every patrols load and rebuilds the table from all pings, because a new file can hold pings of a
unit that fall between pings already stored (each ping's time runs to the unit's next ping, at most
``analysis.tracks.GAP_MINUTES``). Every ping is attributed to the cell that contains it at each map
resolution and to its station; spans are split at the hour, so any whole-hour window and time-of-day band
adds up exactly from the rows, and a 28-day presence map is one aggregate query.
"""
from __future__ import annotations

import pyarrow as pa

from analysis.tracks import hourly_spans
from data_pipeline.h3cells import MAP_RESOLUTIONS


def rebuild_presence(con) -> None:
    pings = con.execute("SELECT unit_id, unit_kind, station_id, ts, lat, lon, h3_r7, h3_r8, h3_r9, h3_r10 "
                        "FROM patrol_pings WHERE located ORDER BY unit_id, ts").fetch_arrow_table()
    con.execute("DELETE FROM patrol_presence")
    if pings.num_rows == 0:
        return
    spans = hourly_spans(pings.select(["unit_id", "ts", "lat", "lon"]).to_pandas())
    rows = pa.array(spans["row"].to_numpy())
    table = pa.table({"hour": spans["hour"].to_numpy().astype("datetime64[ns]"), "minutes": spans["minutes"],
                      "station_id": pings["station_id"].take(rows), "unit_kind": pings["unit_kind"].take(rows),
                      **{f"r{res}": pings[f"h3_r{res}"].take(rows) for res in MAP_RESOLUTIONS}})
    con.register("spans", table)
    for res in MAP_RESOLUTIONS:
        con.execute(f"""
            INSERT INTO patrol_presence
            SELECT {res}::TINYINT, station_id, hour, unit_kind, r{res}, sum(minutes)
            FROM spans GROUP BY ALL ORDER BY station_id, hour""")
    con.unregister("spans")
