-- The list's offset is skipped in the index, not in the table: the list
-- statement first finds the key (created_at, version_index, id) of the row
-- at the offset with an index-only scan of model_versions_list (which holds
-- every column of the list's order, so skipping a row reads one index
-- entry and never the table), then streams from that key on. An
-- index-only scan still visits the table for every entry on a page that
-- the visibility map does not mark all-visible, and only VACUUM sets those
-- marks: pages written since the last one (new versions, soft deletes,
-- restores) cost a table visit per skipped row. By default autovacuum
-- comes after 20% of the table was inserted or changed (a 1M-row table:
-- 200k writes); at 2% the unmarked tail stays short, and each of these
-- vacuums is cheap since it reads only the pages not marked all-visible.
-- Storage parameters of the table, so only its owner (or a superuser) may
-- set them: anyone else leaves autovacuum as the server has it.
DO $$
BEGIN
	ALTER TABLE model_versions SET (
		autovacuum_vacuum_insert_scale_factor = 0.02,
		autovacuum_vacuum_scale_factor = 0.02);
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'autovacuum of model_versions left as configured: only the table owner can set it';
END;
$$;
