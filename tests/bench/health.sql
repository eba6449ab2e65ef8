-- pgbench: the app's /health statement (lib/db.c SQL_HEALTH).
SELECT 1;
