-- The store's local time zone (meta 'timezone'): every stored time is wall-clock time there.
SELECT value FROM meta WHERE key = 'timezone';
