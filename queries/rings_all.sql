-- Ring boundaries (jurisdictions of level ring) with name and WKB geometry: the county-level checkpoint rings.
SELECT id, name, geometry
FROM jurisdictions
WHERE level = 'ring'
ORDER BY id;
