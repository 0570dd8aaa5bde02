-- Actual response per station or category ($by): minutes from the report (or, without one, the dispatch) to arrival.
WITH timed AS (
    SELECT CASE $by WHEN 'station' THEN coalesce(station_id, '(none)') ELSE category END AS grp,
           epoch(arrived_at - coalesce(reported_at, dispatched_at)) / 60.0 AS minutes
    FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
)
SELECT grp,
       count(*) FILTER (WHERE minutes >= 0)::BIGINT AS n,
       median(minutes) FILTER (WHERE minutes >= 0) AS median_min,
       quantile_cont(minutes, 0.9) FILTER (WHERE minutes >= 0) AS p90_min,
       avg(CASE WHEN minutes <= 5 THEN 1.0 ELSE 0.0 END) FILTER (WHERE minutes >= 0) AS share_within_5min,
       count(*) FILTER (WHERE minutes IS NULL)::BIGINT AS left_out_missing,
       count(*) FILTER (WHERE minutes < 0)::BIGINT AS left_out_negative
FROM timed
GROUP BY grp
ORDER BY grp;
