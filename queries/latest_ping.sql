-- Time of the newest located patrol ping the caller may see (the end of the playback).
SELECT max(ts) AS latest
FROM patrol_pings
WHERE located AND in_scope(station_id, CAST($scope AS VARCHAR[]));
