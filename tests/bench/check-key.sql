-- pgbench: the app's key check before a 422 (lib/db.c SQL_CHECK_KEY).
SELECT id FROM api_keys WHERE key_hash = :kh AND revoked_at IS NULL;
