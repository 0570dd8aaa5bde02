-- Station jurisdictions (id, name) a caller may choose from; NULL list means all.
SELECT id, name
FROM jurisdictions
WHERE level = 'station'
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), id))
ORDER BY id;
