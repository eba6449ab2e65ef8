-- pgbench: the app's delete statement (lib/db-models.c SQL_DELETE) for a version
-- that does not exist: the 404 after the full round trip.
SELECT status, num_deleted, message, key_id FROM delete_model(:kh, :entity, :project, :oid, :refs, :rid);
