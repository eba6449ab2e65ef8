-- pgbench: the app's /health statement (lib/db-models.c SQL_HEALTH).
SELECT 1;
