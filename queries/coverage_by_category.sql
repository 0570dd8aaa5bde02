-- Per map cell (res 7-10) and category: incidents of the filter and those outside every online camera's sector (for blind-spot scores).
SELECT CASE $res WHEN 7 THEN i.h3_r7 WHEN 8 THEN i.h3_r8 WHEN 9 THEN i.h3_r9 ELSE i.h3_r10 END AS cell,
       i.category,
       count(*)::BIGINT AS incidents,
       count(*) FILTER (WHERE c.online IS NOT TRUE)::BIGINT AS uncovered
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope) i
LEFT JOIN incident_coverage c ON c.id = i.id
WHERE i.located
GROUP BY ALL
ORDER BY cell, i.category;
