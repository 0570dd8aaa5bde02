-- Jurisdiction outlines of one level (WKB) with id, name and parent, for the basemap: those in the caller's scope.
SELECT j.id, j.name, j.parent_id, j.geometry
FROM jurisdictions j
LEFT JOIN jurisdictions parent ON parent.id = j.parent_id
WHERE j.level = $level
  AND (in_scope(j.id, CAST($scope AS VARCHAR[])) OR in_scope(j.parent_id, CAST($scope AS VARCHAR[]))
       OR in_scope(parent.parent_id, CAST($scope AS VARCHAR[])))
ORDER BY j.id;
