-- Road segments (WKB) with name and class, for the basemap.
SELECT id, name, road_class, geometry FROM roads ORDER BY id;
