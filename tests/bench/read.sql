-- pgbench: the app's read by digest (lib/db-models.c SQL_READ), one version.
SELECT status, key_id, digest, version_index, created_at, deleted_at, val, source_digest, source, NULL::text FROM model_read(:kh, :entity, :project, :oid, :ref);
