#!/usr/bin/env bash
# Writes the seed corpora of tests/fuzz/corpus/ (run by hand after changing
# a seed; run.sh only copies them). Paths, queries and headers are the ones
# the API reference and the unit tests talk about.
set -eu
cd "$(dirname "$0")/corpus"

KEY=0123456789abcdef0123456789abcdef01234567
BASIC="Basic YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
A43=AAAAAAAAAAbbbbbbbbbbCCCCCCCCCC0123456789xyz
H64=0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef

# seed DIR NAME PRINTF-FORMAT [ARGS...]
seed() {
	local dir=$1 name=$2
	shift 2
	mkdir -p "$dir"
	printf "$@" >"$dir/$name"
}

rm -rf route query auth base64 utf8 objname app canon

seed route model '/v2/demo/models/models/my-model'
seed route health '/health'
seed route metrics '/metrics'
seed route health-slash '/health/'
seed route health-pct '/%%68ealth'
seed route literal-pct '/v2/e/p/%%6Dodels/m%%2Fx'
seed route trailing '/v2/e/p/models/m%%FF//'
seed route empty-seg '/v2/e/p/models//m'
seed route double-slash '//health'
seed route unicode '/v2/e/p/models/%%C3%%A9t%%C3%%A9'
seed route bad-escape '/v2/e%%/p%%4/models/m%%zz'

seed query one 'digests=v0'
seed query many 'digests=latest&digests=v1&digests=%s&digests=%s' "$A43" "$H64"
seed query encoded-name '%%64igests=a+b&x=1;digests=v2'
seed query blanks 'digests&digests=&=&&'
seed query bad-escape 'digests=%%zz%%4&digests=%%'
seed query utf8 'digests=%%C3%%A9&digests=%%FF'
seed query other-keys 'a=1&b=2&digest=v0&digestsx=v1'

seed auth basic "$BASIC"
seed auth bearer "Bearer $KEY"
seed auth spaces "  bEaReR   $KEY  "
seed auth basic-lower "basic YXBpOjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
seed auth no-colon 'Basic YXBp'
seed auth bad-b64 'Basic YXBpOm!!'
seed auth short-key 'Bearer abc'
seed auth empty-key 'Basic YXBpOg=='
seed auth other-scheme 'Digest username="api"'
# Over 8 KiB of credentials: the heap path of auth_parse.
long=$(head -c 6300 /dev/zero | tr '\0' 'u')
seed auth basic-long 'Basic %s' "$(printf '%s:%s' "$long" "$KEY" | base64 -w0)"

seed base64 api-key 'YXBpOmtleQ=='
seed base64 three 'YWJj'
seed base64 pad2 'YQ=='
seed base64 pad1 'YWI='
seed base64 stray-bits 'YR=='
seed base64 bad-pad 'YW=j'
seed base64 url 'ab-_'
seed base64 empty ''

seed utf8 name 'my-model'
seed utf8 accents '\xc3\xa9t\xc3\xa9'
seed utf8 cjk '\xe6\xa8\xa1\xe5\x9e\x8b_1'
seed utf8 surrogate '\xed\xa0\x80'
seed utf8 too-big '\xf4\x90\x80\x80'
seed utf8 overlong '\xe0\x80\xaf'
seed utf8 latest 'latest'
seed utf8 version 'v0001'
seed utf8 alnum43 "$A43"
seed utf8 hex64 "$H64"
seed utf8 newline 'v1\n'
seed utf8 emoji '\xf0\x9f\x98\x80'

seed objname vector 'My Model'
seed objname replaced 'user/model <v2>'
seed objname dotted-i '\xc4\xb0STANBUL'
seed objname sharp-s 'STRA\xc3\x9fE \xe1\xba\x9e'
seed objname sigma '\xce\xa3\xce\x91\xce\xa3 A.\xce\xa3. A\xce\xa3\xcd\x85B'
seed objname cyrillic '\xd0\x9c\xd0\x9e\xd0\x94\xd0\x95\xd0\x9b\xd0\xac'
seed objname kelvin '\xe2\x84\xaa\xe2\x84\xa6\xc8\xba'
seed objname emoji '\xf0\x9f\x98\x80/\xf0\x90\x90\x80'
seed objname nul 'A\0\xce\xa3'

# canon: request bodies (jparse, then canon_sorted/canon_compact).
seed canon model '{"_type":"Model","_class_name":"Model","_bases":["Object","BaseModel"],"name":"My Model","description":null,"files":{"obj.py":"0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4"},"temperature":0.7}'
seed canon create '{"name": "My Model", "description": null, "source_code": "import weave\\n", "attributes": {"temperature": 0.7, "b": [1, 2.50, 1E2, -0]}}'
seed canon floats '[0.1, 1e22, 5e-324, 1.7976931348623157e308, 123456789.123456789, 1.50, -0.0, 1e16, 1e-5, 0.0001, 1234567890123456.7]'
seed canon ints '[0, -0, 9223372036854775807, 9223372036854775808, -9223372036854775809, 123456789012345678901234567890]'
seed canon unicode '"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xe2\x80\xa8\x7f\\u0000\\ud83d\\ude00\\u00e9\\n\\t\\"\\\\\\/"'
seed canon dup-keys '{"b": 1, "a": {"z": [], "\xc3\xa9": {}, "A": null}, "b": [true, false]}'
seed canon bom '\xef\xbb\xbf {"a" : 1 } '
seed canon deep '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'
seed canon bad-escape '["\\x", "\\u12", "\\ud800"]'
seed canon bad-tail '{"a": 1,}  x'

# app: 16 control bytes, then NUL-separated fields (see fuzz_app.c):
# method, flags, check_key, store op, health, prefix, message, num, route
# shape, Content-Type, body, stored value, version, list, sink, time;
# REQUEST_URI|SCRIPT_NAME, PATH_INFO, QUERY_STRING, Authorization,
# X-Request-Id, method, message, digest, Content-Type, body, name,
# source_code, attributes, stored value, stored source.
# app NAME CTL FIELD...: CTL is printf text for the first 8 bytes (the
# rest are zero) or, for app16, 16 decimal numbers.
app_write() {
	local name=$1
	shift
	local first=1 f
	for f in "$@"; do
		[ $first = 1 ] || printf '\0'
		first=0
		printf '%s' "$f"
	done >>"app/$name"
}
app() {
	local name=$1 ctl=$2
	shift 2
	mkdir -p app
	{ printf "$ctl"; printf '\0\0\0\0\0\0\0\0'; } >"app/$name"
	app_write "$name" "$@"
}
app16() {
	local name=$1 b
	mkdir -p app
	: >"app/$name"
	for b in $2; do
		printf "\\$(printf '%03o' "$b")" >>"app/$name"
	done
	shift 2
	app_write "$name" "$@"
}
# Statuses: 0 OK 1 BAD_KEY 2 FORBIDDEN 3 NO_PROJECT 4 NOT_FOUND
# 5 UNAVAILABLE 6 ERROR. Methods: 0 DELETE 1 GET 2 HEAD 3 POST 8 field.
app delete-v0 '\0\0\0\0\0\0\0\1' '/v2/demo/models/models/my-model?digests=v0' \
    '' '' "$BASIC" 'req-1'
app delete-all '\0\0\0\4\0\0\1\0' '/v2/demo/models/models/my-model' '' '' \
    "Bearer $KEY" 'abc.DEF_1-2'
app delete-mixed '\0\0\0\0\0\0\0\3' \
    "/v2/e/p/models/m?digests=latest&digests=$A43&digests=$H64&x=1" \
    '' '' "Bearer $KEY" ''
app invalid '\0\0\0\0\0\0\0\0' \
    '/v2/bad%20e/p/models/m%FF?digests=bad!&digests=&%64igests=v1' \
    '' '' "Bearer $KEY" 'x y'
app health '\1\0\0\0\0\0\0\0' '/health' '' '' '' ''
app health-down '\2\0\0\0\5\0\0\0' '/%68ealth?x' '' '' '' ''
app redirect '\2\0\0\0\0\0\0\0' $'/health/?a=b c\r\nX: y'
# /metrics: byte 5 bits 2-3 pick REMOTE_ADDR, bits 4-7 MODELS_API_METRICS.
app metrics '\1\0\0\0\0\0\0\0' '/metrics' '' '' '' ''
app metrics-remote '\1\0\0\0\0\10\0\0' '/metrics' '' '' '' ''
app metrics-all '\2\0\0\0\0\50\0\0' '/%6detrics' '' '' '' ''
app not-allowed '\3\0\0\0\0\0\0\0' '/v2/e/p/models/m' '' '' "Bearer $KEY"
app literal-pct '\0\0\0\0\0\0\0\0' '/v2/e/p/%6Dodels/m%2Fx' '' '' "Bearer $KEY"
app cgi '\0\1\0\0\0\0\0\2' '' '/v2/e/p/models/m%x' 'digests=v1' \
    "Bearer $KEY"
app prefix '\0\0\0\3\0\1\0\0' '/api/v2/e/p/models/m?digests=v1' '' '' \
    "$BASIC"
app no-auth '\0\0\0\0\0\0\0\0' '/v2/e/p/models/m' '' '' 'Basic bad'
app key-shape '\0\0\0\0\0\0\0\0' '/v2/e/p/models/m' '' '' "Bearer ${KEY^^}"
app bad-key '\0\0\1\1\0\0\0\0' '/v2/e/p/models/m?digests=v1' '' '' \
    "Bearer $KEY"
app forbidden '\0\0\0\2\0\0\0\0' '/v2/other/p/models/m' '' '' "$BASIC"
app store-error '\0\0\0\6\0\0\0\0' '/v2/e/p/models/m?digests=v1' '' '' \
    "Bearer $KEY"
app unavailable '\0\0\0\5\0\0\0\0' '/v2/e/p/models/m?digests=v9' '' '' \
    "Bearer $KEY"
app not-found-msg '\0\0\0\4\0\0\2\0' '/v2/e/p/models/m?digests=latest' '' \
    '' "Bearer $KEY"
app unicode-oid '\0\0\0\0\0\0\0\xff' '/v2/e/p/models/%C3%A9t%C3%A9_1' '' '' \
    "Bearer $KEY"
app too-long-oid '\0\0\0\0\0\0\0\0' \
    "/v2/e/p/models/$(head -c 129 /dev/zero | tr '\0' m)" '' '' "Bearer $KEY"
app too-many '\0\x10\0\0\0\0\0\0' \
    "/v2/e/p/models/m?$(for i in $(seq 0 100); do printf 'digests=v%d&' $i; done)"
app method-field '\x08\0\0\0\0\0\0\0' '/health' '' '' '' '' 'OPTIONS'

# Section 9. Methods 0 DELETE 1 GET 2 HEAD 3 POST; flags 16 = Bearer key;
# shapes 1 collection, 2 version, 3 model, 4 /v2/FIELD0/models; Content-Type
# 2 application/json, 5 text/plain; body 0 field 9, 1 built, 2 empty, 3 BOM.
VEC='{"name":"My Model","description":null,"source_code":"import weave\n\nclass MyModel(weave.Model):\n    temperature: float\n","attributes":{"temperature":0.7}}'
app16 create-vector '3 16 0 0 0 0 0 3 1 2 0 0 0 0 0 0' '' '' '' '' 'req-1' \
    '' '' '' '' "$VEC"
app16 create-built '3 16 0 0 0 0 0 0 1 0 97 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' '' '' "$(printf 'user/model <V2> \xc3\x89')" 'print(1)\n' \
    '{"k":[1,2.50,"\u00e9",1E2],"n":null,"big":123456789012345678901234567890}'
app16 create-fields '3 16 0 0 0 0 0 0 1 4 0 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' '' '{"name":5,"description":[],"source_code":null,"attributes":{"name":1,"x":2,"files":3,"name":4}}'
app16 create-missing '3 16 0 0 0 0 0 0 1 3 0 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' '' '{"description":"d","attributes":7}'
app16 create-dotdot '3 16 0 0 0 0 0 0 1 1 0 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' '' '{"name":"..","source_code":""}'
app16 create-long-name '3 16 0 0 0 0 0 0 1 2 0 0 0 0 0 0' '' '' '' '' '' '' \
    '' '' '' "{\"name\":\"$(head -c 129 /dev/zero | tr '\0' n)\",\"source_code\":\"\"}"
app16 create-bad-chars '3 16 0 0 0 0 0 0 1 2 0 0 0 0 0 0' '' '' '' '' '' '' \
    '' '' '' '{"name":"a!b","source_code":"\u0000x"}'
app16 create-text '3 16 0 0 0 0 0 0 1 5 0 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' '' "$(printf 'a\xffb\xe2\x82')"
app16 create-ctype '3 16 0 0 0 0 0 0 1 7 0 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' ' Application/Problem+JSON ; q=1' '{"name":"m","source_code":"s"}'
app16 create-json-invalid '3 16 0 0 0 0 0 0 1 2 0 0 0 0 0 0' '' '' '' '' '' \
    '' '' '' '' '{"name": NaN, "x": [1,'
app16 create-bom '3 16 0 0 0 0 0 0 1 2 3 0 0 0 0 0' '' '' '' '' '' '' '' '' \
    '' '{"name":"m","source_code":"x"}'
app16 create-null '3 16 0 0 0 0 0 0 1 0 0 0 0 0 0 0' '' '' '' '' '' '' '' '' \
    '' 'null'
app16 create-array '3 16 0 0 0 0 0 0 1 0 0 0 0 0 0 0' '' '' '' '' '' '' '' \
    '' '' '[1,{"a":"\ud83d\ude00"}]'
app16 create-empty '3 16 0 0 0 0 0 0 1 5 2 0 0 0 0 0'
app16 create-too-large '3 2 0 0 0 0 0 0 1 2 4 0 0 0 0 0'
app16 create-path-and-body '3 16 0 0 0 0 0 0 4 2 0 0 0 0 0 0' 'bad%20e/p' \
    '' '' '' '' '' '' '' '' '{"name":1}'
app16 create-forbidden '3 16 0 2 0 0 0 0 1 2 0 0 0 0 0 0' '' '' '' '' '' '' \
    '' '' '' '{"name":"m","source_code":"s"}'
app16 create-unavailable '3 16 5 5 0 1 0 0 1 2 0 0 0 0 0 0' '' '' '' '' '' \
    '' '' '' '' '{"name":"m","source_code":"s","attributes":{"_type":1}}'
app16 list '1 16 0 0 0 0 0 0 1 0 0 1 0 3 0 4' '' '' 'limit=2&offset=%201' \
    '' 'req-2' '' '' '' '' '' '' '' '' '' 'import weave\n'
app16 list-abort '1 16 0 0 0 0 0 0 1 0 0 5 2 5 3 9' '' '' '' '' '' '' '' '' \
    '' '' '' '' '' '{"name":"n","x":[1.0,-0,"\u2028"]}' 'src'
app16 list-store-fail '1 16 0 0 0 0 0 0 1 0 0 2 0 92 0 200'
app16 list-flush-fail '1 16 0 0 0 0 0 0 1 0 0 0 0 1 128 0'
app16 list-header-fail '1 16 0 0 0 0 0 0 1 0 0 0 0 1 1 0'
app16 list-paging '1 16 0 0 0 0 0 0 1 0 0 0 0 0 0 0' '' '' \
    'limit=abc&offset=-1&limit=%20-0%20&offset=1.0'
app16 list-big '1 16 0 0 0 0 0 255 1 0 0 0 0 2 0 0' '' '' \
    'limit=99999999999999999999&offset=9223372036854775807'
app16 list-no-project '1 16 0 3 0 0 0 0 1 0 0 0 0 0 0 0'
app16 list-not-found '1 16 0 4 0 0 0 0 1 0 0 0 0 0 0 0'
app16 read '1 16 0 0 0 0 0 2 2 0 0 1 0 0 0 3' 'my-model' '' '' '' '' '' '' \
    'latest' '' '' '' '' '' '' 'import weave\n'
app16 read-deleted '1 16 0 0 0 0 0 1 2 0 0 1 1 0 0 3' 'm' '' '' '' '' '' '' \
    'v01'
app16 read-no-source '1 16 0 0 0 0 0 1 2 0 0 2 2 0 0 0' 'm' '' '' '' '' '' \
    '' 'l3HLLkFSyN9ebFW8vMh5zS1oyXtTPAevDjKLfBKiwQw'
app16 read-missing-source '1 16 0 0 0 0 0 1 2 0 0 5 4 0 0 0' 'm' '' '' '' \
    '' '' '' 'v0'
app16 read-val '1 16 0 0 0 0 0 1 2 0 0 0 8 0 0 136' 'm' '' '' '' '' '' '' \
    'v1' '' '' '' '' '' '{"name":"x","description":"d","a":{"b":1e5},"a":2}' \
    "$(printf 'a\1b')"
app16 read-not-found '1 16 0 4 0 0 0 0 2 0 0 0 0 0 0 0' 'm' '' '' '' '' '' '' \
    'v9'
app16 read-invalid '1 16 0 0 0 0 0 0 2 0 0 0 0 0 0 0' 'm%21' '' '' '' '' '' \
    '' 'v1x%FF'
# Section 10.1: a delete's other query keys and its body (shape 3, the
# model; body 1 built: 1 one item, 17 two, 33 [field 12], 49 null).
app16 delete-extra-keys '0 16 0 0 0 0 0 1 3 0 0 0 0 0 0 0' 'm' '' \
    'digest=v0&Digests=&digests[]=v0&%64igest=v1&x&=&%FF=%FE&digests=v2'
app16 delete-body '0 16 0 0 0 0 0 1 3 5 0 0 0 0 0 0' 'm' '' '' '' '' '' '' \
    '' '' '["v0","latest"]'
app16 delete-body-built '0 16 0 0 0 0 0 2 3 0 17 0 0 0 0 0' 'm' '' '' '' '' \
    '' '' '' '' '' 'v0' "$A43"
app16 delete-body-items '0 16 0 0 0 0 0 0 3 2 0 0 0 0 0 0' 'm' '' '' '' '' \
    '' '' '' '' '[1,null,"bad!",{"digests":["v0"]},"\u0000",2.50]'
app16 delete-body-object '0 16 0 0 0 0 0 0 3 0 0 0 0 0 0 0' 'm' '' '' '' '' \
    '' '' '' '' '{"digests":["v0"]}'
app16 delete-body-both '0 16 0 0 0 0 0 0 3 0 0 0 0 0 0 0' 'm' '' \
    'digests=v1' '' '' '' '' '' '' '["v0"]'
app16 delete-body-null '0 16 0 0 0 0 0 3 3 0 49 0 0 0 0 0' 'm' '' \
    'digests=v1&digests=latest'
app16 delete-body-101 '0 16 0 0 0 0 0 0 3 0 33 0 0 0 0 0' 'm' '' '' '' '' \
    '' '' '' '' '' '' '' "$(for i in $(seq 1 100); do printf '"v%d",' $i; done)\"latest\""
app16 delete-body-empty '0 16 0 4 0 0 3 0 3 0 0 0 0 0 0 0' 'm' '' '' '' '' \
    '' '' '' '' '[]'
app16 delete-body-invalid '0 16 0 0 0 0 0 0 3 5 0 0 0 0 0 0' 'm!' '' \
    'x=1&digests=bad!' '' '' '' '' '' '' '["v0"'
app16 delete-body-too-large '0 0 0 0 0 0 0 0 3 0 4 0 0 0 0 0' 'm' '' 'digest=v0'
app16 head-api '2 16 0 0 0 0 0 0 1 0 0 0 0 0 0 0'
app16 version-delete '0 16 0 0 0 0 0 0 2 0 0 0 0 0 0 0' 'm' '' '' '' '' '' \
    '' 'latest'
app16 models-put '4 16 0 0 0 0 0 0 1 0 0 0 0 0 0 0'
app16 models-slash '1 16 0 0 0 0 0 0 0 0 0 0 0 0 0 0' \
    '/v2/e/p/models/?limit=1'
app16 version-slash '1 16 0 0 0 1 0 0 0 0 0 0 0 0 0 0' \
    '/api/v2/e/p/models/m/versions/v1//'
# vN has no length limit: a 404 reason longer than any fixed buffer.
app16 read-long-ref '1 16 0 4 0 0 0 0 2 0 0 0 0 0 0 0' 'm' '' '' '' '' '' '' \
    "v$(head -c 1100 /dev/zero | tr '\0' 0)1"
