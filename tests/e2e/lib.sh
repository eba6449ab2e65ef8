# Assertions for the end-to-end tests: each prints a line only on failure,
# naming the case, what was expected and what came back.

PASS=0
FAIL=0

# req METHOD PATH [curl args...]: one HTTP request through the front
# server; sets CODE and BODY, headers in $T/hdrs. The path goes out exactly
# as written (no globbing, no dot-segment folding). A HEAD answer has no
# body by definition: BODY is "" and curl reads none.
req() {
	local m=$1 p=$2 out=$T/body
	shift 2
	case $m in
	HEAD)	set -- --head "$@"; out=/dev/null; : >"$T/body" ;;
	POST|PUT|PATCH) set -- -X "$m" --data-binary '' "$@" ;;
	*)	set -- -X "$m" "$@" ;;
	esac
	CODE=$(curl -s -g --path-as-is -o "$out" -D "$T/hdrs" \
	    -w '%{http_code}' --max-time 30 "$@" "$BASE$p")
	BODY=$(cat "$T/body")
}

# hdr NAME: the value of response header NAME (first one), CR stripped.
hdr() {
	grep -i "^$1:" "$T/hdrs" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

pass() { PASS=$((PASS + 1)); }
fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s: %s\n' "$1" "$2"
}

# expect NAME CODE BODY: the last response had exactly this status and body.
expect() {
	if [ "$CODE" = "$2" ] && [ "$BODY" = "$3" ]; then
		pass
	else
		fail "$1" "expected $2 $3, got $CODE $BODY"
	fi
}

# expect_hdr NAME HEADER VALUE: the last response's HEADER is exactly VALUE
# ("" means absent).
expect_hdr() {
	local got
	got=$(hdr "$2")
	if [ "$got" = "$3" ]; then
		pass
	else
		fail "$1" "expected $2: '$3', got '$got'"
	fi
}

# expect_eq NAME EXPECTED GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}
