-- Jurisdiction outlines of one level (WKB) with id, name and parent, for the basemap.
SELECT id, name, parent_id, geometry
FROM jurisdictions
WHERE level = $level
ORDER BY id;
