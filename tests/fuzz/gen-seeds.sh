#!/usr/bin/env bash
# Writes the seed corpora of tests/fuzz/corpus/ (run by hand after changing
# a seed; run.sh only copies them). Paths, queries and headers are the ones
# CONTRACT.md and the unit tests talk about.
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

rm -rf route query auth base64 utf8 objname app

seed route model '/v2/demo/models/models/my-model'
seed route health '/health'
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

# app: 8 control bytes, then NUL-separated fields (see fuzz_app.c):
# method, flags, check_key, delete_model, health, prefix, message, num;
# REQUEST_URI|SCRIPT_NAME, PATH_INFO, QUERY_STRING, Authorization,
# X-Request-Id, method, message.
app() {
	local name=$1 ctl=$2
	shift 2
	mkdir -p app
	{
		printf "$ctl"
		local first=1 f
		for f in "$@"; do
			[ $first = 1 ] || printf '\0'
			first=0
			printf '%s' "$f"
		done
	} >"app/$name"
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
