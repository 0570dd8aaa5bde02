-- Rejected rows per ingest kind and reason code.
SELECT kind, reason, count(*)::BIGINT AS n
FROM quarantine
GROUP BY kind, reason
ORDER BY kind, n DESC, reason;
