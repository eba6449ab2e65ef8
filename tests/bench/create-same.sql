-- pgbench: the app's create (lib/db-models.c SQL_CREATE) of content that is live
-- already: the read-only hit, nothing written.
SELECT status, key_id, version_index FROM model_create(:kh, :entity, :project, :oid, :digest, :val, :sdigest, :source);
