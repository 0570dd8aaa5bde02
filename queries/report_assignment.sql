-- Located incidents with and without a station (stations are assigned by location).
SELECT count(*) FILTER (WHERE located AND station_id IS NOT NULL)::BIGINT AS with_station,
       count(*) FILTER (WHERE located AND station_id IS NULL)::BIGINT     AS without_station
FROM incidents;
