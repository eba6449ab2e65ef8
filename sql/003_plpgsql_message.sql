-- not_found_message as PL/pgSQL: a LANGUAGE sql function called from
-- PL/pgSQL is parsed and planned again on every call (the bench profile
-- showed it at 45% of a backend's CPU on the miss path); PL/pgSQL caches
-- its plans per session.
CREATE OR REPLACE FUNCTION not_found_message(p_object_id text, p_refs text[],
	p_found integer, p_missing text[])
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p_refs IS NULL THEN
		RETURN format('Object %s (None) not found when deleting.',
		    p_object_id);
	END IF;
	IF p_found = 0 THEN
		RETURN format('Object %s ([%s]) not found when deleting.',
		    p_object_id, array_to_string(ARRAY(
		        SELECT quote_literal(r) FROM unnest(p_refs)
		        WITH ORDINALITY AS t (r, o) ORDER BY o), ', '));
	END IF;
	RETURN format('Delete request contains %s digests, but found %s '
	    'objects to delete. Diff digests: {%s}',
	    cardinality(p_refs), p_found, array_to_string(ARRAY(
	        -- Code point order, as Python sorts, whatever the database's
	        -- default collation.
	        SELECT DISTINCT quote_literal(r) COLLATE "C" AS q
	          FROM unnest(p_missing) AS t (r) ORDER BY q), ', '));
END;
$$;
