-- The store's canonical tables; applied idempotently whenever a store is opened for writing.
--
-- Conventions (stated once):
-- * Coordinates are WGS84 degrees after conversion: lat, lon. Projected input keeps x, y as given.
-- * Times are the bureau's local wall-clock time (meta 'timezone', Asia/Shanghai by default),
--   stored as TIMESTAMP without zone; sources with an explicit UTC offset are converted on ingest.
-- * H3 cells are signed 64-bit integers (BIGINT): Spark and Arrow engines have no unsigned type.
--   h3_r7 .. h3_r10 are the cells that contain a point at the map resolutions, computed from its
--   position: a parent cell is NOT always the cell at r that contains the point (H3 cells do not nest
--   exactly; they differ for ~6 % of points), so no cell here is derived with h3_parent.
-- * Geometries are WKB blobs (shapely.from_wkb reads them) with a bounding box beside them.
-- * located: the row has a plausible WGS84 position (not missing, not zero, inside the store's area).

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR,   -- setting name: timezone, area_bbox, schema_version, ...
    value VARCHAR    -- setting value as text
);

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id         BIGINT,     -- 1, 2, ... in the order ingests were committed
    kind           VARCHAR,    -- ingest kind: incidents, cameras, checkpoints, patrols, boundaries, places, roads
    source_file    VARCHAR,    -- file name as given on the command line ("demo:<kind>" for the demo)
    file_sha256    VARCHAR,    -- content hash: the same file with the same mapping is never ingested twice
    mapping_sha256 VARCHAR,    -- hash of the mapping and CRS the file was read with
    started_at     TIMESTAMP,  -- when the ingest began (local time of the machine)
    finished_at    TIMESTAMP,  -- when it committed
    rows_read      BIGINT,     -- source rows seen (= loaded + duplicates + rejected)
    loaded         BIGINT,     -- rows added to the kind's table (= located + unlocated)
    located        BIGINT,     -- loaded rows with a plausible position
    unlocated      BIGINT,     -- loaded rows without one: counted in totals, never drawn
    duplicates     BIGINT,     -- rows whose key was already stored or repeated earlier in the file
    rejected       BIGINT      -- rows sent to quarantine
);

CREATE TABLE IF NOT EXISTS quarantine (
    run_id      BIGINT,   -- the ingest that rejected the row
    kind        VARCHAR,  -- ingest kind
    source_file VARCHAR,  -- file the row came from
    line        BIGINT,   -- physical line in a text file (1 = header); feature/row number otherwise
    reason      VARCHAR,  -- stable reason code, e.g. unparseable_time, missing_required, malformed_row
    detail      VARCHAR,  -- human-readable: which column, which value
    raw         VARCHAR   -- the source line as read (JSON of the record for non-text formats)
);

CREATE TABLE IF NOT EXISTS jurisdictions (
    id        VARCHAR,   -- jurisdiction id (station code, community code, ...)
    name      VARCHAR,   -- display name, e.g. 绥山派出所
    level     VARCHAR,   -- bureau | station | community | grid | ring
    parent_id VARCHAR,   -- id of the enclosing jurisdiction (station of a community, ...)
    geometry  BLOB,      -- polygon or multipolygon, WKB, WGS84
    min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE,  -- bounding box
    area_km2  DOUBLE,    -- geodesic area
    run_id    BIGINT     -- ingest that loaded it
);

CREATE TABLE IF NOT EXISTS incidents (
    id              VARCHAR,    -- source id, or a stable hash of the source row when the source has none
    occurred_at     TIMESTAMP,  -- when it happened (required)
    reported_at     TIMESTAMP,  -- when it was reported (110 call, report)
    dispatched_at   TIMESTAMP,  -- when a unit was dispatched
    arrived_at      TIMESTAMP,  -- when the first unit arrived
    closed_at       TIMESTAMP,  -- when the case was closed
    category        VARCHAR,    -- canonical category (theft, robbery, ...; see data_pipeline.kinds)
    source_category VARCHAR,    -- category as written in the source
    status          VARCHAR,    -- case status as given (open, processing, closed, ...)
    source          VARCHAR,    -- call_110 | patrol | grid_report | video_patrol | other
    source_station  VARCHAR,    -- station/district as written in the source (kept for reconciliation)
    lat DOUBLE, lon DOUBLE,     -- WGS84 after conversion; NULL when unlocated
    x DOUBLE, y DOUBLE,         -- projected input coordinates, as given
    located         BOOLEAN,    -- plausible position
    h3_r7 BIGINT, h3_r8 BIGINT, h3_r9 BIGINT, h3_r10 BIGINT,  -- cells containing the point
    station_id      VARCHAR,    -- station jurisdiction containing the point (assigned by location)
    community_id    VARCHAR,    -- community/village jurisdiction containing the point
    grid_id         VARCHAR,    -- grid containing the point
    run_id          BIGINT      -- ingest that loaded it
);

CREATE TABLE IF NOT EXISTS incident_cells (
    res        TINYINT,    -- H3 resolution (7..10)
    station_id VARCHAR,    -- station of the incidents (NULL: outside every station)
    hour       TIMESTAMP,  -- local hour the incidents occurred in (day = date_trunc('day', hour))
    category   VARCHAR,    -- canonical category
    cell       BIGINT,     -- H3 cell at resolution res
    incidents  INTEGER     -- count; rows are additive (an ingest appends, compaction merges)
);

CREATE TABLE IF NOT EXISTS cameras (
    id           VARCHAR,   -- camera id
    lat DOUBLE, lon DOUBLE, -- WGS84
    x DOUBLE, y DOUBLE,     -- projected input coordinates, as given
    kind         VARCHAR,   -- video | face | vehicle | structured | other
    owner        VARCHAR,   -- police | social
    azimuth_deg  DOUBLE,    -- viewing direction, degrees clockwise from north; NULL = 360° (dome/PTZ)
    fov_deg      DOUBLE,    -- horizontal field of view in degrees
    range_m      DOUBLE,    -- useful viewing distance in metres
    status       VARCHAR,   -- online | offline | maintenance
    installed_at DATE,      -- installation / go-live date
    located      BOOLEAN,
    h3_r7 BIGINT, h3_r8 BIGINT, h3_r9 BIGINT, h3_r10 BIGINT,  -- cells containing the point
    station_id   VARCHAR,
    run_id       BIGINT
);

CREATE TABLE IF NOT EXISTS checkpoints (
    id         VARCHAR,   -- checkpoint id
    name       VARCHAR,   -- display name
    lat DOUBLE, lon DOUBLE,
    x DOUBLE, y DOUBLE,
    ring       VARCHAR,   -- name of the ring it belongs to
    kind       VARCHAR,   -- station (站) | post (岗) | point (点) | vehicle (卡口)
    duty       VARCHAR,   -- lowest duty level at which it is staffed: routine | emergency | wartime
    located    BOOLEAN,
    h3_r7 BIGINT, h3_r8 BIGINT, h3_r9 BIGINT, h3_r10 BIGINT,  -- cells containing the point
    station_id VARCHAR,
    run_id     BIGINT
);

CREATE TABLE IF NOT EXISTS patrol_pings (
    unit_id    VARCHAR,    -- patrol unit (vehicle or team), never a person
    unit_kind  VARCHAR,    -- car | motorbike | foot | other
    ts         TIMESTAMP,  -- local time of the ping
    lat DOUBLE, lon DOUBLE,
    x DOUBLE, y DOUBLE,
    located    BOOLEAN,
    h3_r7 BIGINT, h3_r8 BIGINT, h3_r9 BIGINT, h3_r10 BIGINT,  -- cells containing the point
    station_id VARCHAR,
    run_id     BIGINT
);

CREATE TABLE IF NOT EXISTS places (
    id         VARCHAR,   -- place id
    name       VARCHAR,   -- display name
    kind       VARCHAR,   -- school | hospital | night_market | hotel | transport_hub | government | mall | other
    lat DOUBLE, lon DOUBLE,
    x DOUBLE, y DOUBLE,
    located    BOOLEAN,
    h3_r7 BIGINT, h3_r8 BIGINT, h3_r9 BIGINT, h3_r10 BIGINT,  -- cells containing the point
    station_id VARCHAR,
    run_id     BIGINT
);

CREATE TABLE IF NOT EXISTS roads (
    id         VARCHAR,   -- road segment id
    name       VARCHAR,   -- road name
    road_class VARCHAR,   -- motorway | trunk | primary | secondary | tertiary | residential | service | path | track | other
    speed_kmh  DOUBLE,    -- travel speed (source value, or the class default)
    geometry   BLOB,      -- linestring, WKB, WGS84
    min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE,
    length_m   DOUBLE,    -- geodesic length
    run_id     BIGINT
);

-- Camera coverage (issue 5), filled by the coverage stage (data_pipeline/coverage.py) after each load.
CREATE TABLE IF NOT EXISTS camera_cells (
    camera_id VARCHAR,   -- camera whose sector holds the fine cell's centre
    cell      BIGINT,    -- H3 res-12 cell (~300 m²): the coverage raster
    r7 BIGINT, r8 BIGINT, r9 BIGINT, r10 BIGINT,  -- map cells containing the fine cell's centre
    run_id    BIGINT     -- ingest that loaded the camera
);

CREATE TABLE IF NOT EXISTS coverage_capacity (
    res        TINYINT,  -- map resolution (7..10)
    cell       BIGINT,   -- map cell touched by some camera
    fine_cells DOUBLE    -- fine cells that make the whole map cell: coverage = covered fine cells / this
);

CREATE TABLE IF NOT EXISTS incident_coverage (
    id     VARCHAR,      -- incident whose point lies in at least one camera's sector (absent: in none)
    online BOOLEAN       -- true if one of those cameras is online (false: only offline / maintenance ones)
);

-- Patrol presence (issue 7), rebuilt by the presence stage (data_pipeline/presence.py) after each patrols load.
CREATE TABLE IF NOT EXISTS patrol_presence (
    res        TINYINT,    -- H3 resolution (7..10)
    station_id VARCHAR,    -- station of the pings (NULL: outside every station)
    hour       TIMESTAMP,  -- local clock hour the minutes fall in
    unit_kind  VARCHAR,    -- car | motorbike | foot | other
    cell       BIGINT,     -- H3 cell at resolution res containing the pings
    minutes    DOUBLE      -- unit-minutes (two units for ten minutes: twenty)
);

-- Parent of an H3 cell (BIGINT) at a coarser resolution, by bit arithmetic on the index:
-- bits 52-55 hold the resolution, and every digit finer than it is set to 7 (binary 111).
CREATE OR REPLACE MACRO h3_parent(cell, r) AS
    (cell & ~(15::BIGINT << 52)) | (r::BIGINT << 52) | ((1::BIGINT << ((15 - r) * 3)) - 1);


-- Incidents per (station, hour, category, cell) at one map resolution r (7-10), from each point's stored
-- cell; one ingest run's incidents, or all of them when run is NULL. One resolution at a time keeps a
-- ten-million-row aggregation within the writer's memory budget.
CREATE OR REPLACE MACRO incident_cell_counts(r, run) AS TABLE
    SELECT r::TINYINT AS res, station_id, date_trunc('hour', occurred_at) AS hour, category,
           CASE r WHEN 7 THEN h3_r7 WHEN 8 THEN h3_r8 WHEN 9 THEN h3_r9 ELSE h3_r10 END AS cell,
           count(*)::INTEGER AS incidents
    FROM incidents
    WHERE located AND (run IS NULL OR run_id = run)
    GROUP BY ALL;

-- The dashboard's filter on one incident (or aggregate row): NULL lists mean "all".
CREATE OR REPLACE MACRO matches_filter(category, station_id, hour_of_day, categories, stations, hours) AS
    (categories IS NULL OR list_contains(categories, category))
    AND (stations IS NULL OR list_contains(stations, station_id))
    AND (hours IS NULL OR list_contains(hours, hour_of_day));

-- Drill-down below the station: the incident lies in one of these communities/villages or grids (NULL: all).
CREATE OR REPLACE MACRO in_zones(community_id, grid_id, zones) AS
    (zones IS NULL OR list_contains(zones, community_id) OR list_contains(zones, grid_id));

-- The caller's access scope (issue 4): the stations whose data they may read; NULL = every station.
-- Rows outside every station (station_id NULL) are visible only to callers with the whole scope.
CREATE OR REPLACE MACRO in_scope(station_id, scope) AS
    (scope IS NULL OR coalesce(list_contains(scope, station_id), false));

-- The incidents of a dashboard filter that the caller may see: period [from_ts, to_ts), categories, stations,
-- hours of the day, communities/grids (NULL lists: all) and the caller's scope. Every per-incident query of the
-- dashboard reads through it, so none can leave out a clause, the scope least of all.
CREATE OR REPLACE MACRO filtered_incidents(from_ts, to_ts, categories, stations, hours, zones, scope) AS TABLE
    SELECT *
    FROM incidents
    WHERE occurred_at >= from_ts AND occurred_at < to_ts
      AND matches_filter(category, station_id, hour(occurred_at)::INTEGER, CAST(categories AS VARCHAR[]),
                         CAST(stations AS VARCHAR[]), CAST(hours AS INTEGER[]))
      AND in_zones(community_id, grid_id, CAST(zones AS VARCHAR[]))
      AND in_scope(station_id, CAST(scope AS VARCHAR[]));
