-- Communities/villages and grids inside one station jurisdiction, for the drill-down filter.
SELECT z.id, z.name, z.level
FROM jurisdictions z
LEFT JOIN jurisdictions parent ON parent.id = z.parent_id
WHERE z.level IN ('community', 'grid')
  AND (z.parent_id = $station OR parent.parent_id = $station)
  AND in_scope($station, CAST($scope AS VARCHAR[]))
ORDER BY z.id;
