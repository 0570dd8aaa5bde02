-- Located key places with name and kind, for the places layer.
SELECT id, name, kind, lat, lon FROM places WHERE located ORDER BY id;
