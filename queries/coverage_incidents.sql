-- Per map cell (res 7-10): incidents of the filter, those inside an online camera's sector, and inside any camera's.
SELECT CASE $res WHEN 7 THEN i.h3_r7 WHEN 8 THEN i.h3_r8 WHEN 9 THEN i.h3_r9 ELSE i.h3_r10 END AS cell,
       count(*)::BIGINT AS incidents,
       count(*) FILTER (WHERE c.online)::BIGINT AS covered_incidents,
       count(c.id)::BIGINT AS covered_any
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope) i
LEFT JOIN incident_coverage c ON c.id = i.id
WHERE i.located
GROUP BY cell
ORDER BY cell;
