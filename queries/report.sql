-- Per ingest kind: rows read, loaded, located, unlocated, duplicates, rejected, over all runs.
SELECT kind,
       sum(rows_read)::BIGINT  AS rows_read,
       sum(loaded)::BIGINT     AS loaded,
       sum(located)::BIGINT    AS located,
       sum(unlocated)::BIGINT  AS unlocated,
       sum(duplicates)::BIGINT AS duplicates,
       sum(rejected)::BIGINT   AS rejected,
       count(*)::BIGINT        AS runs
FROM ingest_runs
GROUP BY kind
ORDER BY kind;
