-- pgbench: the app's key check before a 422 (lib/db-models.c SQL_CHECK_KEY).
SELECT status, key_id FROM authorize(:kh, NULL, false);
