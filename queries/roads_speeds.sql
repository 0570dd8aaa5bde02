-- Road segments with class, travel speed (NULL: the class default applies) and WKB geometry, for routing.
SELECT road_class, speed_kmh, geometry FROM roads ORDER BY id;
