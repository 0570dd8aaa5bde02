-- Time of the newest incident the caller may see, and how many incidents that is.
SELECT max(occurred_at) AS latest, count(*)::BIGINT AS incidents
FROM incidents
WHERE in_scope(station_id, CAST($scope AS VARCHAR[]));
