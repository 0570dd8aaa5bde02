-- Covered share of each map cell (res 7-10) by the chosen cameras: status, kind and owner lists (NULL: all), in the caller's scope.
WITH chosen AS (
    SELECT id
    FROM cameras
    WHERE located
      AND (CAST($statuses AS VARCHAR[]) IS NULL OR list_contains(CAST($statuses AS VARCHAR[]), status))
      AND (CAST($kinds AS VARCHAR[]) IS NULL OR list_contains(CAST($kinds AS VARCHAR[]), kind))
      AND (CAST($owners AS VARCHAR[]) IS NULL OR list_contains(CAST($owners AS VARCHAR[]), owner))
      AND in_scope(station_id, CAST($scope AS VARCHAR[]))
),
covered AS (
    SELECT CASE $res WHEN 7 THEN cc.r7 WHEN 8 THEN cc.r8 WHEN 9 THEN cc.r9 ELSE cc.r10 END AS cell,
           count(DISTINCT cc.cell) AS fine_covered
    FROM camera_cells cc
    JOIN chosen ON chosen.id = cc.camera_id
    GROUP BY 1
)
SELECT covered.cell, least(1.0, covered.fine_covered / cap.fine_cells) AS coverage
FROM covered
JOIN coverage_capacity cap ON cap.res = $res AND cap.cell = covered.cell
ORDER BY covered.cell;
