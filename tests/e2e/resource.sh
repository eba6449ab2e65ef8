# the Models resource (README, lib/openapi.json) through the front server: create, read, list, soft
# delete, restore and purge. Sourced by tests/e2e/run.sh (needs its req,
# expect, psql_q, $BASE, $ADMIN, the keys W A R O and $T).

# post PATH BODY [curl args...]: POST with BODY (a string) as the body,
# Content-Type $CT (default application/json; "" sends none, since curl's
# own default for a body is a form type).
post() {
	local p=$1
	printf '%s' "$2" >"$T/post.body"
	shift 2
	CODE=$(curl -s -g --path-as-is -o "$T/body" -D "$T/hdrs" \
	    -w '%{http_code}' --max-time 30 -X POST \
	    -H "Content-Type: ${CT-application/json}" \
	    --data-binary @"$T/post.body" "$@" "$BASE$p")
	BODY=$(cat "$T/body")
}

# created_at of version IDX of model OID in acme/P, as pydantic prints it;
# STYLE iso or str gives the deleted_at forms of section 9.2 instead.
ts() {
	local col=$1 oid=$2 idx=$3 proj=${4:-res} style=${5:-pyd}
	local fmt='YYYY-MM-DD"T"HH24:MI:SS.US'
	[ "$style" = str ] && fmt='YYYY-MM-DD HH24:MI:SS.US'
	psql_q "SELECT regexp_replace(to_char($col AT TIME ZONE 'UTC', '$fmt'), '\.000000$', '') FROM model_versions v JOIN models m ON m.id = v.model_id JOIN projects p ON p.id = m.project_id WHERE p.name = '$proj' AND m.object_id = '$oid' AND v.version_index = $idx" |
	    sed "s/\$/$([ "$style" = pyd ] && echo Z || echo +00:00)/"
}

# oids: the object ids of the list in $T/body, space-separated.
oids() { sed 's/^{"object_id":"\([^"]*\)".*/\1/' "$T/body" | tr '\n' ' ' | sed 's/ $//'; }

RB="Authorization: Bearer $W"
RR="Authorization: Bearer $R"
C=/v2/acme/res/models
SRC='import weave\n\nclass MyModel(weave.Model):\n    temperature: float\n'
VEC_D=l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw
VEC_FD=0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4
VEC_BODY="{\"name\":\"My Model\",\"description\":null,\"source_code\":\"$SRC\",\"attributes\":{\"temperature\":0.7}}"

# --- 9.1 create -----------------------------------------------------------
CT= post $C "$VEC_BODY" -H "$RB"
expect "create: the contract's test vector" 200 "{\"digest\":\"$VEC_D\",\"object_id\":\"my_model\",\"version_index\":0,\"model_ref\":\"weave:///acme/res/object/my_model:$VEC_D\"}"
expect_hdr "create: Content-Type" Content-Type "application/json"
expect_hdr "create: Content-Length" Content-Length "${#BODY}"
expect_eq "create: source kept once, digest FD" "$VEC_FD" \
    "$(psql_q "SELECT digest FROM model_sources s JOIN projects p ON p.id = s.project_id WHERE p.name = 'res'")"
post $C "$VEC_BODY" -H "$RB"
expect "create: identical content is that version" 200 "{\"digest\":\"$VEC_D\",\"object_id\":\"my_model\",\"version_index\":0,\"model_ref\":\"weave:///acme/res/object/my_model:$VEC_D\"}"
expect_eq "create: nothing written twice" 1 "$("$ADMIN" model list acme res my_model | wc -l)"
CT='application/vnd.weave+JSON; charset=utf-8' post $C '{"name":"My Model","source_code":"x","attributes":{"temperature":0.8}}' -H "$RB"
expect_eq "create: +json media type, next index" "200 1" "$CODE $(echo "$BODY" | sed 's/.*"version_index":\([0-9]*\).*/\1/')"
post $C '{"name":"My Model","source_code":"x","attributes":{"temperature":0.8}}' -H "Authorization: Bearer $A"
expect_eq "create: admin role, same content" "200 1" "$CODE $(echo "$BODY" | sed 's/.*"version_index":\([0-9]*\).*/\1/')"
post /v2/acme/fresh/models '{"name":"a/b <c> D","source_code":""}' -H "$RB"
expect_eq "create: project made on first use, object id derived" "200 a_b_c_d" \
    "$CODE $(echo "$BODY" | sed 's/.*"object_id":"\([^"]*\)".*/\1/')"
post $C "$(printf '\357\273\277{"name":"bom","source_code":"a\\u0000b\\ud83d\\ude00"}')" -H "$RB"
expect_eq "create: byte-order mark skipped" 200 "$CODE"
BOM_D=$(echo "$BODY" | sed 's/.*"digest":"\([^"]*\)".*/\1/')

# Refusals, in the contract's order: route, size, key, input, role.
TOOBIG=$((4 * 1024 * 1024 + 1))
head -c $TOOBIG /dev/zero | tr '\0' ' ' >"$T/big.body"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 60 -X POST \
    --data-binary @"$T/big.body" "$BASE$C"); BODY=$(cat "$T/body")
expect "create: over MODELS_API_MAX_BODY_BYTES, before the key" 413 '{"reason":"Request too large","error_type":"RequestTooLarge"}'
head -c $((TOOBIG - 1)) /dev/zero | tr '\0' ' ' >"$T/big.body"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 60 -X POST \
    -H "$RB" -H 'Content-Type: application/json' \
    --data-binary @"$T/big.body" "$BASE$C"); BODY=$(head -c 300 "$T/body")
expect "create: exactly the limit is read (whitespace only)" 422 '{"detail":[{"type":"json_invalid","loc":["body",4194304],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}'
post $C '{}' ;					expect "create: no key" 401 "$NA"
post $C 'nope' -H "Authorization: Bearer 0123456789abcdef0123456789abcdef01234567"
expect "create: unknown key outranks 422" 401 "$BAD"
post $C "$VEC_BODY" -H "$RR";			expect "create: read role" 403 "$FORB"
post /v2/other/res/models "$VEC_BODY" -H "$RB";	expect "create: other entity" 403 "$FORB"
MISS='{"type":"missing","loc":["body"],"msg":"Field required","input":null}'
post $C '' -H "$RB";				expect "create: empty body" 422 "{\"detail\":[$MISS]}"
post $C 'null' -H "$RB";			expect "create: JSON null" 422 "{\"detail\":[$MISS]}"
CT=text/plain post $C '' -H "$RB"; expect "create: empty body, any type" 422 "{\"detail\":[$MISS]}"
post $C '{"name": }' -H "$RB"
expect "create: not JSON, position" 422 '{"detail":[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}'
post "/v2/a%20b/res/models" '{"é": 1,' -H "$RB"
expect "create: json_invalid alone, position in characters" 422 '{"detail":[{"type":"json_invalid","loc":["body",8],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}]}'
post $C '[1,2]' -H "$RB"
expect "create: not an object" 422 '{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[1,2]}]}'
CT=text/plain post $C '{"name":"x"}' -H "$RB"
expect "create: other media type" 422 '{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"{\"name\":\"x\"}"}]}'
post "/v2/a%20b/res/models" '{"name":7,"description":1.50,"attributes":[1e2],"x":1}' -H "$RB"
expect "create: every field, path first" 422 "{\"detail\":[$(pm '["path","entity"]' 'a b' '^[A-Za-z0-9_.-]+$'),{\"type\":\"string_type\",\"loc\":[\"body\",\"name\"],\"msg\":\"Input should be a valid string\",\"input\":7},{\"type\":\"string_type\",\"loc\":[\"body\",\"description\"],\"msg\":\"Input should be a valid string\",\"input\":1.5},{\"type\":\"missing\",\"loc\":[\"body\",\"source_code\"],\"msg\":\"Field required\",\"input\":{\"name\":7,\"description\":1.5,\"attributes\":[100.0],\"x\":1}},{\"type\":\"dict_type\",\"loc\":[\"body\",\"attributes\"],\"msg\":\"Input should be a valid dictionary\",\"input\":[100.0]}]}"
post $C '{"name":"ok","source_code":"","attributes":{"files":1,"z":2,"_type":"x"}}' -H "$RB"
expect "create: reserved attributes, in the order sent" 422 '{"detail":[{"type":"value_error","loc":["body","attributes","files"],"msg":"Value error, Reserved attribute name: files","input":1,"ctx":{"error":"Reserved attribute name: files"}},{"type":"value_error","loc":["body","attributes","_type"],"msg":"Value error, Reserved attribute name: _type","input":"x","ctx":{"error":"Reserved attribute name: _type"}}]}'
post $C '{"name":"..","source_code":""}' -H "$RB"
expect "create: name '..'" 422 '{"detail":[{"type":"value_error","loc":["body","name"],"msg":"Value error, Invalid object name: ..","input":"..","ctx":{"error":"Invalid object name: .."}}]}'
LONGN=$(printf 'N%.0s' $(seq 1 129))
post $C "{\"name\":\"$LONGN\",\"source_code\":\"\"}" -H "$RB"
expect "create: object id too long" 422 "{\"detail\":[{\"type\":\"string_too_long\",\"loc\":[\"body\",\"name\"],\"msg\":\"String should have at most 128 characters\",\"input\":\"$LONGN\",\"ctx\":{\"max_length\":128}}]}"
expect_eq "create: refusals wrote nothing" 3 "$(psql_q "SELECT count(*) FROM model_versions v JOIN projects p ON p.id = v.project_id WHERE p.name = 'res'")"

# A chunked body (no Content-Length from the client): the front buffers it.
printf '%s' '{"name":"chunked","source_code":"c"}' >"$T/post.body"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 30 -X POST \
    -H "$RB" -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/json' --data-binary @"$T/post.body" \
    "$BASE$C"); BODY=$(cat "$T/body")
expect_eq "create: chunked request body" "200 chunked" \
    "$CODE $(echo "$BODY" | sed 's/.*"object_id":"\([^"]*\)".*/\1/')"

# --- 9.2 read -------------------------------------------------------------
req GET "$C/my_model/versions/v0" -H "$RR"
V0="{\"object_id\":\"my_model\",\"digest\":\"$VEC_D\",\"version_index\":0,\"created_at\":\"$(ts v.created_at my_model 0)\",\"name\":\"My Model\",\"description\":null,\"source_code\":\"$SRC\",\"attributes\":{\"temperature\":0.7}}"
expect "read: vN, read role" 200 "$V0"
expect_hdr "read: Content-Length" Content-Length "${#BODY}"
req GET "$C/my_model/versions/$VEC_D" -H "$RB";	expect "read: by digest" 200 "$V0"
req GET "$C/my_model/versions/v000" -H "$RB";	expect "read: v000" 200 "$V0"
req GET "$C/my_model/versions/latest" -H "$RB"
expect_eq "read: latest is the highest index" '"version_index":1' \
    "$(echo "$BODY" | grep -o '"version_index":[0-9]*')"
req GET "$C/bom/versions/latest" -H "$RB"
expect_eq "read: U+0000 and astral source reads back" '"source_code":"a\u0000b😀"' \
    "$(echo "$BODY" | grep -o '"source_code":"[^"]*"')"
post $C '{"name":"Nums","description":"d\u00e9\n","source_code":"s","attributes":{"b":1.50,"a":1E2,"b":-0,"c":[1e16,1e-5,123456789012345678901234567890],"d":"\u2028\u007f"}}' -H "$RB"
req GET "$C/nums/versions/v0" -H "$RB"
expect_eq "read: attributes in stored order, Python's numbers" \
    "$(printf '"name":"Nums","description":"d\303\251\\n","source_code":"s","attributes":{"b":0,"a":100.0,"c":[1e+16,1e-05,123456789012345678901234567890],"d":"\342\200\250\177"}')" \
    "$(echo "$BODY" | sed 's/.*"created_at":"[^"]*",//; s/}$//')"
req GET "$C/my_model/versions/v9" -H "$RB"
expect "read: no such version" 404 '{"reason":"Obj my_model:v9 not found","error_type":"NotFoundError"}'
req GET "$C/nobody/versions/latest" -H "$RB"
expect "read: no such model" 404 '{"reason":"Obj nobody:latest not found","error_type":"NotFoundError"}'
req GET "/v2/acme/nope/models/m/versions/latest" -H "$RR"
expect "read: unknown project" 404 '{"reason":"Project acme/nope not found","error_type":"ProjectNotFound"}'
req GET "$C/my_model/versions/v0" -H "Authorization: Bearer $O"
expect "read: other entity" 403 "$FORB"
req GET "$C/my_model/versions/v0";		expect "read: no key" 401 "$NA"
req GET "$C/my_model/versions/v0x" -H "$RR"
expect "read: bad reference" 422 "{\"detail\":[$(pm '["path","digest"]' 'v0x' "$DIGEST_RE")]}"
"$ADMIN" model add acme res plain --val '{"a":1}' >/dev/null
req GET "$C/plain/versions/v0" -H "$RB"
expect "read: a value with no source file" 400 '{"reason":"Model plain has no source file","error_type":"ValueError"}'

# --- soft delete, then read and re-create --------------------------------
req DELETE "$C/my_model?digests=v0" -H "$RB";	expect "delete: soft" 200 '{"num_deleted":1}'
req GET "$C/my_model/versions/v0" -H "$RB"
expect "read: was deleted" 404 "{\"reason\":\"my_model:v0 was deleted at $(ts v.deleted_at my_model 0 res str)\",\"error_type\":\"ObjectDeletedError\",\"deleted_at\":\"$(ts v.deleted_at my_model 0 res iso | sed 's/ /T/')\"}"
req GET "$C/my_model/versions/$VEC_D" -H "$RB"
expect_eq "read: deleted digest answers was deleted" "404 my_model:v0" \
    "$CODE $(echo "$BODY" | sed 's/.*"reason":"\([^ ]*\) .*/\1/')"
req DELETE "$C/my_model?digests=v0" -H "$RB"
expect "delete: a deleted version no longer resolves" 404 "{\"reason\":\"Object my_model (['v0']) not found when deleting.\",\"error_type\":\"NotFoundError\"}"
expect_eq "list --deleted shows it" "my_model $VEC_D 0" \
    "$("$ADMIN" model list acme res my_model --deleted | cut -d' ' -f1-3)"
expect_eq "list --deleted has DELETED_AT" 1 \
    "$("$ADMIN" model list acme res --deleted | grep -cE '^my_model [A-Za-z0-9]{43} 0 [0-9-]{10}T[0-9:]{8}Z [0-9-]{10}T[0-9:]{8}Z$')"
post $C "$VEC_BODY" -H "$RB"
expect "create: deleted content comes back with a new index" 200 "{\"digest\":\"$VEC_D\",\"object_id\":\"my_model\",\"version_index\":2,\"model_ref\":\"weave:///acme/res/object/my_model:$VEC_D\"}"
req GET "$C/my_model/versions/$VEC_D" -H "$RB"
expect_eq "read: the live version wins over a deleted twin" '"version_index":2' \
    "$(echo "$BODY" | grep -o '"version_index":[0-9]*')"
req DELETE "$C/my_model" -H "$RB";		expect "delete: all live" 200 '{"num_deleted":2}'
req GET "$C/my_model/versions/latest" -H "$RB"
expect_eq "read: latest with none live answers for the highest deleted" "404 my_model:v2" \
    "$CODE $(echo "$BODY" | sed 's/.*"reason":"\([^ ]*\) .*/\1/')"
# The highest index deleted, a lower one live: latest is the live one.
# Both versions share their source text, so the purge below keeps it.
L=/v2/acme/lat/models
post $L '{"name":"lat","source_code":"q","attributes":{"n":0}}' -H "$RB"
post $L '{"name":"lat","source_code":"q","attributes":{"n":1}}' -H "$RB"
expect_eq "create: lat v1" '200 "version_index":1' \
    "$CODE $(echo "$BODY" | grep -o '"version_index":[0-9]*')"
req DELETE "$L/lat?digests=v1" -H "$RB";	expect "delete: lat v1" 200 '{"num_deleted":1}'
req GET "$L/lat/versions/latest" -H "$RB"
expect "read: latest skips a deleted higher index" 200 "{\"object_id\":\"lat\",\"digest\":\"$(psql_q "SELECT digest FROM model_versions v JOIN projects p ON p.id = v.project_id WHERE p.name = 'lat' AND v.version_index = 0")\",\"version_index\":0,\"created_at\":\"$(ts v.created_at lat 0 lat)\",\"name\":\"lat\",\"description\":null,\"source_code\":\"q\",\"attributes\":{\"n\":0}}"

# --- 9.3 list ---------------------------------------------------------------
req GET "/v2/acme/fresh/models" -H "$RR"
FRESH="{\"object_id\":\"a_b_c_d\",\"digest\":\"$(psql_q "SELECT digest FROM model_versions v JOIN projects p ON p.id = v.project_id WHERE p.name = 'fresh'")\",\"version_index\":0,\"created_at\":\"$(ts v.created_at a_b_c_d 0 fresh)\",\"name\":\"a/b <c> D\",\"description\":null,\"source_code\":\"\",\"attributes\":null}"
expect "list: one line" 200 "$FRESH"
expect_hdr "list: JSON Lines" Content-Type "application/jsonl"
expect_eq "list: the line ends in a newline" 1 "$(wc -l <"$T/body")"
# A front that got the whole short stream at once may add a length; it
# must then be the body's. The app's own answer never has one.
LEN=$(hdr Content-Length)
expect_eq "list: a length, if any, is the body's" 1 \
    "$([ -z "$LEN" ] || [ "$LEN" = "$(wc -c <"$T/body")" ] && echo 1)"
raw_req GET "/v2/acme/fresh/models" "Bearer $R"
expect "list (raw): one line" 200 "$FRESH"
expect_hdr "list (raw): streamed, no length" Content-Length ""
req GET "$C" -H "$RB"
expect_eq "list: live versions, creation order" "bom chunked nums plain" "$(oids)"
expect_eq "list: a value with no source reads with source_code \"\"" 1 \
    "$(grep -c '^{"object_id":"plain",.*"name":"plain","description":null,"source_code":"","attributes":{"a":1}}$' "$T/body")"
req GET "$C?limit=2&offset=1" -H "$RB"
expect_eq "list: limit and offset" "chunked nums" "$(oids)"
# Offsets are skipped in the index (the key at the offset, then the rest
# from it): every page of a project whose versions tie on created_at (one
# transaction) and have deleted ones among them must be exactly what
# ORDER BY created_at, version_index, id LIMIT/OFFSET gives.
psql_q "SELECT model_add('acme', 'pages', 'pg' || (g % 3), 'D' || g,
    '{\"g\":' || g || '}') FROM generate_series(0, 8) AS g;
    SELECT model_add('acme', 'pages', 'pg' || g, 'E' || g, '{\"g\":' || g || '}')
    FROM generate_series(0, 2) AS g" >/dev/null
req DELETE "/v2/acme/pages/models/pg1?digests=v1" -H "$RB"
req DELETE "/v2/acme/pages/models/pg0?digests=v3" -H "$RB"
PAGES_BAD=""
for off in 0 1 2 5 9 10 11 12; do
	for lim in 1 3 ""; do
		req GET "/v2/acme/pages/models?offset=$off${lim:+&limit=$lim}" -H "$RB"
		got=$(sed 's/^{"object_id":"\([^"]*\)",.*"version_index":\([0-9]*\),.*/\1:\2/' \
		    "$T/body" | tr '\n' ' ')
		want=$(psql_q "SELECT m.object_id || ':' || v.version_index
		    FROM model_versions v JOIN models m ON m.id = v.model_id
		    JOIN projects p ON p.id = v.project_id
		    WHERE p.name = 'pages' AND v.deleted_at IS NULL
		    ORDER BY v.created_at, v.version_index, v.id
		    LIMIT ${lim:-ALL} OFFSET $off" | tr '\n' ' ')
		[ "$CODE $got" = "200 $want" ] ||
		    PAGES_BAD="$PAGES_BAD [offset $off limit ${lim:-none}: $CODE $got, want $want]"
	done
done
expect_eq "list: every page as LIMIT/OFFSET gives it, ties and deleted versions" \
    "" "$PAGES_BAD"
expect_eq "list: the pages project has 10 live versions" 10 "$(psql_q "SELECT count(*)
    FROM model_versions v JOIN projects p ON p.id = v.project_id
    WHERE p.name = 'pages' AND v.deleted_at IS NULL")"
req GET "$C?limit=0" -H "$RB";			expect "list: limit 0" 200 ""
# The app sends no length (tests/unit: its header block); a front server
# that has the whole of a small answer before it forwards the headers may
# add one (lighttpd does), so the framing is checked on a list of 2 MiB.
head -c 2097152 /dev/zero | tr '\0' 'x' >"$T/bigsrc"
"$ADMIN" model create acme big big --source "$T/bigsrc" >/dev/null
req GET /v2/acme/big/models -H "$RB"
expect_eq "list: 2 MiB streamed, no length" "200 2097xxx " \
    "$CODE $(wc -c <"$T/body" | sed 's/^\(....\).../\1xxx/') $(hdr Content-Length)"
req GET "$C?offset=99999999999999999999" -H "$RB";	expect "list: offset past 2^63" 200 ""
req GET "$C?limit=99999999999999999999&limit=%201%20" -H "$RB"
expect_eq "list: the last limit wins" 1 "$(wc -l <"$T/body")"
req GET "$C?limit=1.0&offset=-1" -H "$RB"
expect "list: bad limit and offset" 422 '{"detail":[{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"1.0"},{"type":"greater_than_equal","loc":["query","offset"],"msg":"Input should be greater than or equal to 0","input":"-1","ctx":{"ge":0}}]}'
expect_hdr "list: a refusal has a length" Content-Length "${#BODY}"
req GET "/v2/acme/nope/models" -H "$RB"
expect "list: unknown project" 404 '{"reason":"Project acme/nope not found","error_type":"ProjectNotFound"}'
req GET "$C" -H "Authorization: Bearer $O";	expect "list: other entity" 403 "$FORB"
req GET "$C";					expect "list: no key" 401 "$NA"
req DELETE /v2/acme/fresh/models/a_b_c_d -H "$RB"
req GET "/v2/acme/fresh/models" -H "$RB";	expect "list: empty project" 200 ""
req HEAD "$C";					expect "list: HEAD is 405" 405 ""
expect_hdr "list: HEAD Allow" Allow "GET, POST"
req PUT "$C" -H "$RB"
expect "collection: PUT" 405 '{"detail":"Method Not Allowed"}'
req POST "$C/nums/versions/v0" -H "$RB";	expect_hdr "version: Allow" Allow "GET"

# --- 9.5 restore and purge --------------------------------------------------
"$ADMIN" model restore acme res my_model v0 >"$T/out" 2>"$T/err"
expect_eq "restore: a deleted version" "0 $VEC_D 0" "$? $(cat "$T/out")"
req GET "$C" -H "$RB"
expect_eq "restore: back in its old place" "my_model bom chunked nums plain" "$(oids)"
"$ADMIN" model restore acme res my_model v0 >"$T/out"
expect_eq "restore: already live" "0 $VEC_D 0" "$? $(cat "$T/out")"
"$ADMIN" model restore acme res my_model v2 >"$T/out" 2>"$T/err"
expect_eq "restore: digest live under another index" "1 1" "$? $(wc -l <"$T/err")"
"$ADMIN" model restore acme res my_model v7 2>"$T/err"
expect_eq "restore: nothing matches" "1 1" "$? $(wc -l <"$T/err")"
"$ADMIN" model restore acme res my_model latest 2>/dev/null
expect_eq "restore: latest is a bad argument" 2 "$?"
expect_eq "restore: one audit row" "restore|{$VEC_D}|1" \
    "$(psql_q "SELECT action, digests, count FROM admin_audit WHERE action = 'restore'")"
"$ADMIN" purge --older-than 1x 2>/dev/null;	expect_eq "purge: bad duration" 2 "$?"
expect_eq "purge: nothing old enough" "purged 0 versions, 0 sources" "$("$ADMIN" purge)"
# Every deleted version (the delete tests' too) and the texts only they
# used: my_model v1's and fresh's a_b_c_d's.
NDEL=$(psql_q "SELECT count(*) FROM model_versions WHERE deleted_at IS NOT NULL")
expect_eq "purge: everything deleted" "purged $NDEL versions, 2 sources" "$("$ADMIN" purge --older-than 0s)"
expect_eq "purge: audit row" "purge|$NDEL" "$(psql_q "SELECT action, count FROM admin_audit WHERE action = 'purge' ORDER BY id DESC LIMIT 1")"
# Purged, lat's v1 leaves no row behind; the next index is still 2.
post $L '{"name":"lat","source_code":"q","attributes":{"n":2}}' -H "$RB"
expect_eq "create after purge: highest index ever given + 1" '200 "version_index":2' \
    "$CODE $(echo "$BODY" | grep -o '"version_index":[0-9]*')"
req GET "$L/lat/versions/latest" -H "$RB"
expect_eq "read after purge: latest is the new version" '200 "version_index":2' \
    "$CODE $(echo "$BODY" | grep -o '"version_index":[0-9]*')"
req GET "$C/my_model/versions/v2" -H "$RB"
expect "purge: gone for good" 404 '{"reason":"Obj my_model:v2 not found","error_type":"NotFoundError"}'
req DELETE /v2/acme/res/models/chunked -H "$RB"
expect_eq "purge: unused source texts go" "purged 1 versions, 1 sources" "$("$ADMIN" purge --older-than 0s)"

# purge's units, each between two deletions set back in time just before
# it runs: --older-than DUR takes the one deleted OLD ago, not the one
# deleted YOUNG ago (PostgreSQL intervals). Nothing else is deleted now.
"$ADMIN" model add acme age aged --val '{"n":0}' >/dev/null
AGED=0
aged() {
	local dur=$1 old=$2 young=$3 a b
	AGED=$((AGED + 2))
	a=$("$ADMIN" model add acme age aged --val "{\"n\":$((AGED - 1))}" |
	    cut -d' ' -f2)
	b=$("$ADMIN" model add acme age aged --val "{\"n\":$AGED}" |
	    cut -d' ' -f2)
	req DELETE "/v2/acme/age/models/aged?digests=v$a&digests=v$b" -H "$RB"
	psql_q "UPDATE model_versions v SET deleted_at = now() -
	    CASE v.version_index WHEN $a THEN interval '$old'
	    ELSE interval '$young' END FROM projects p WHERE p.id = v.project_id
	    AND p.name = 'age' AND v.version_index IN ($a, $b)"
	expect_eq "purge --older-than $dur: deleted $old ago, not $young ago" \
	    "200 purged 1 versions, 0 sources; left: $b" \
	    "$CODE $("$ADMIN" purge --older-than "$dur"); left: $("$ADMIN" \
	    model list acme age aged --deleted | cut -d' ' -f3 | paste -sd' ')"
	"$ADMIN" purge --older-than 0s >/dev/null
}
aged 1d '25 hours' '2 hours'
aged 2h '3 hours' '1 hour'
aged 30m '40 minutes' '20 minutes'
aged 45s '90 seconds' '10 seconds'
expect_eq "purge: the live version stays" "aged 0" \
    "$("$ADMIN" model list acme age | cut -d' ' -f1,3)"

# models-admin model create: the same checks and digest as POST.
printf 'import weave\n\nclass MyModel(weave.Model):\n    temperature: float\n' >"$T/src.py"
expect_eq "model create: same digest as POST" "$VEC_D 0 my_model" \
    "$("$ADMIN" model create acme adm 'My Model' --source "$T/src.py" --attributes '{"temperature":0.7}')"
expect_eq "model create: stdin source" "$VEC_D 0 my_model" \
    "$("$ADMIN" model create acme adm 'My Model' --source - --attributes '{"temperature":0.7}' <"$T/src.py")"
"$ADMIN" model create acme adm '..' --source "$T/src.py" 2>"$T/err"
expect_eq "model create: invalid name, one line" "2 1" "$? $(wc -l <"$T/err")"
"$ADMIN" model create acme adm x --source "$T/src.py" --attributes '{"files":1}' 2>/dev/null
expect_eq "model create: reserved attribute" 2 "$?"
"$ADMIN" model create acme adm x 2>/dev/null;	expect_eq "model create: no source" 2 "$?"
