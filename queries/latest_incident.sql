-- Time of the newest incident in the store, and how many incidents it holds.
SELECT max(occurred_at) AS latest, count(*)::BIGINT AS incidents FROM incidents;
