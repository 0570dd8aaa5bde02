-- Located key places with name and kind, for the places layer: those in the caller's scope.
SELECT id, name, kind, lat, lon
FROM places
WHERE located AND in_scope(station_id, CAST($scope AS VARCHAR[]))
ORDER BY id;
