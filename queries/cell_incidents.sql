-- The incidents inside one cell (res 7-10) for a filter, newest first: id, time, category, status (no personal data).
SELECT id, occurred_at, category, status
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
WHERE located
  AND CASE $res WHEN 7 THEN h3_r7 WHEN 8 THEN h3_r8 WHEN 9 THEN h3_r9 WHEN 10 THEN h3_r10 END = $cell
ORDER BY occurred_at DESC, id;
