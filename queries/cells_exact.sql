-- Incidents per cell (res 7-10) for a to-the-second period, counted from the incidents table.
SELECT CASE $res WHEN 7 THEN h3_r7 WHEN 8 THEN h3_r8 WHEN 9 THEN h3_r9 WHEN 10 THEN h3_r10 END AS cell,
       count(*)::BIGINT AS incidents
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
WHERE located
GROUP BY cell
ORDER BY incidents DESC, cell;
