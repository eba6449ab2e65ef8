# Shared by tests/failover/run.sh and patroni.sh (after deploy/stack.sh and
# tests/e2e/lib.sh): seeding the load's versions and checking a run.

# fo_seed VERSIONS PLAN: 8 models (fo/p/m1..m8) of VERSIONS versions each,
# added in one statement through $DATABASE_URL; the live versions, as
# models-admin model list prints them, into PLAN (load.py's input).
fo_seed() {
	psql_q "SELECT count(*) FROM (SELECT model_add('fo', 'p', 'm' || m, md5(m || '-' || v) || substr(md5(v || '+' || m), 1, 11), jsonb_build_object('v', v)::text) FROM generate_series(1, 8) m, generate_series(1, $1) v) a" >/dev/null &&
	    "$BUILD/models-admin" model list fo p >"$2"
}

# fo_verify NAME T_KILL T_PROMOTE URL FLAGS: reads the live versions and
# the audit rows from the new primary at URL, runs verify.py on the run's
# records ($T/NAME.rec) and counts its "ok"/"FAIL" lines as passes and
# failures; its figures are printed as "NAME: figure value".
fo_verify() {
	local name=$1 line
	DATABASE_URL=$4 "$BUILD/models-admin" model list fo p >"$T/$name.live" ||
	    fail "$name: model list" "exit $?"
	"$PGBIN/psql" "$4" -AtqF ' ' \
	    -c "SELECT request_id, num_deleted FROM delete_audit" >"$T/$name.audit"
	# shellcheck disable=SC2086
	python3 "$HERE/verify.py" "$name" "$T/$name.rec" "$T/plan" "$T/$name.live" \
	    "$T/$name.audit" "$T/app.log" "$2" "$3" $5 >"$T/$name.verify" 2>&1 ||
	    fail "$name: verify.py" "$(tail -n 5 "$T/$name.verify")"
	while read -r line; do
		case $line in
		ok\ *) pass ;;
		FAIL\ *) line=${line#FAIL }; fail "${line%%: *}" "${line#*: }" ;;
		figure\ *) echo "$name: ${line#figure }" ;;
		esac
	done <"$T/$name.verify"
}
