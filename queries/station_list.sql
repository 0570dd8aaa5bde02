-- Station jurisdictions (id, name) a caller may choose from: within the caller's scope and the $stations list (NULL: all).
SELECT id, name
FROM jurisdictions
WHERE level = 'station'
  AND in_scope(id, CAST($scope AS VARCHAR[]))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), id))
ORDER BY id;
