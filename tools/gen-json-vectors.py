#!/usr/bin/env python3
"""Writes the JSON test vectors of the unit tests, computed by CPython:
    python3 tools/gen-json-vectors.py tests/unit
writes tests/unit/json_ok.h (inputs CPython's json.loads accepts, with
json.dumps(v, sort_keys=True), the compact ensure_ascii=False rendering and
Weave's digest) and tests/unit/json_bad.h (inputs refused, with the
position and message of the error). The random cases are seeded, so the
output only changes with the script or the Python version.

Every input is read as lib/jparse.c reads a request body (the create body rules (README, lib/openapi.json)):
a UTF-8 BOM is dropped, the bytes are decoded as strict UTF-8 (a failure is
reported at the character where decoding stopped, source "utf8"), then the
text goes to json.loads (source "python": CPython's JSONDecodeError pos and
msg). What CPython accepts but the contract refuses (NaN, floats beyond a
double, integers over 4300 digits, lone surrogates, nesting over 100,
U+0000 in a key, UTF-16/32) is listed by hand with the position the
contract gives (the first character of the offending token), source
"contract"; the script checks that CPython indeed does not refuse those
inputs at that spot itself.
"""
import base64
import hashlib
import json
import math
import os
import random
import re
import struct
import sys

BOM = b"\xef\xbb\xbf"


def digest(b):
    """Weave's digest of bytes: SHA-256, URL-safe base64, - -> X, _ -> Y."""
    s = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).decode()
    return s.rstrip("=").replace("-", "X").replace("_", "Y")


def depth(v):
    if isinstance(v, dict):
        return 1 + max([depth(x) for x in v.values()], default=0)
    if isinstance(v, list):
        return 1 + max([depth(x) for x in v], default=0)
    return 0


def contract_problems(v, key=False):
    """What the contract refuses in a value CPython accepted."""
    out = []
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            out.append("lone surrogate")
        if key and "\0" in v:
            out.append("NUL in key")
    elif isinstance(v, dict):
        for k, x in v.items():
            out += contract_problems(k, True) + contract_problems(x)
    elif isinstance(v, list):
        for x in v:
            out += contract_problems(x)
    return out


def expect(b):
    """('ok', sorted, compact, digest) | ('err', pos, msg, source) |
    ('contract', [problems]): what CPython makes of body b."""
    s = b[3:] if b.startswith(BOM) else b
    try:
        text = s.decode("utf-8")
    except UnicodeDecodeError as e:
        return ("err", len(s[: e.start].decode("utf-8")), "Invalid UTF-8", "utf8")
    flags = []

    def pconst(name):
        flags.append("constant " + name)
        return 0

    def pint(t):
        if len(t.lstrip("-")) > 4300:
            flags.append("int of %d digits" % len(t.lstrip("-")))
            return 0
        return int(t)

    def pfloat(t):
        f = float(t)
        if math.isinf(f):
            flags.append("float overflow")
        return f

    try:
        # decode(), not loads(str): loads(bytes) skips the str-only BOM check.
        v = json.JSONDecoder(parse_constant=pconst, parse_int=pint,
                             parse_float=pfloat).decode(text)
    except json.JSONDecodeError as e:
        if flags:
            return ("contract", flags)
        return ("err", e.pos, e.msg, "python")
    except RecursionError:
        return ("contract", ["recursion"])
    problems = flags + contract_problems(v)
    if depth(v) > 100:
        problems.append("depth %d" % depth(v))
    if problems:
        return ("contract", problems)
    srt = json.dumps(v, sort_keys=True).encode("ascii")
    compact = json.dumps(v, ensure_ascii=False,
                         separators=(",", ":")).encode("utf-8")
    return ("ok", srt, compact, digest(srt))


def python_says(b):
    """A note on what json.loads(bytes) itself does with b."""
    try:
        json.loads(b)
        return "python accepts"
    except json.JSONDecodeError as e:
        return "python: %s at %d" % (e.msg, e.pos)
    except Exception as e:  # noqa: BLE001 - any refusal is worth naming
        return "python: " + type(e).__name__


# ---- hand-picked valid inputs ----

MODEL = (b'{"_type":"Model","_class_name":"Model","_bases":["Object","BaseModel"],'
         b'"name":"My Model","description":null,"files":{"obj.py":'
         b'"0NFNjXNCzDLAjIYX58k00Q85aWTv5qalBvL7nFDkoA4"},"temperature":0.7}')

FLOATS = ["0.1", "1e22", "5e-324", "1.7976931348623157e308", "123456789.123456789",
          "1E2", "1.50", "-0.0", "1e16", "1e-5", "0.0001", "0.7", "100.0", "1e15",
          "1e-4", "0.00001", "1.5e-5", "9007199254740993.0", "1e23", "9.999999999999999e22",
          "2.2250738585072014e-308", "2.225073858507201e-308", "4.9e-324", "2.4e-324",
          "2.5e-324", "1e-400", "-1e-400", "0e0", "0E+0", "-0e-0", "1.0", "10.0e-1",
          "3.14159265358979323846264338327950288", "0.30000000000000004", "1e+308",
          "123456789012345678.0", "1234567890123456.7", "12345678901234567.0",
          "0.000123456789012345678", "1.7976931348623158e308", "8.98846567431158e307",
          "5e-1", "-123.456e-78", "1e21", "1e-7", "0.5", "2e0", "-2.5E+3"]

INTS = ["0", "-0", "1", "-1", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
        "18446744073709551616", "123456789012345678901234567890",
        "1" + "0" * 299, "-" + "7" * 300, "9" * 4300, "-" + "1" * 4300]

VALID = [
    MODEL,
    b"{}", b"[]", b"null", b"true", b"false", b'""', b" \t\r\n[ ] \n",
    b"[" + b",".join(f.encode() for f in FLOATS) + b"]",
    b"[" + b", ".join(i.encode() for i in INTS) + b"]",
    b"[" * 100 + b"]" * 100,
    b'{"a":' * 99 + b"[]" + b"}" * 99,
    b'{"b": 1, "a": 2, "c": {"z": [1, {"y": 2, "x": 3}], "a": null}}',
    b'{"a": 1, "b": 2, "a": 3}',
    b'{"a": 1, "a": {"x": 1}, "b": 0, "a": [true]}',
    b'{"z": 1, "\\u00e9": 2, "A": 3, "\xe6\x97\xa5": 4, "\xf0\x9f\x98\x80": 5, '
    b'"\\uffff": 6, "\\ue000": 7, "": 8, "a": 9, "ab": 10, "a\\u007f": 11}',
    '"é日😀\u2028\u2029\x7f"'.encode(),
    b'"\\u00e9\\u65e5\\ud83d\\ude00\\u2028\\u007f\\u0000\\u001f\\u0001"',
    b'"\\"\\\\\\/\\b\\f\\n\\r\\t"',
    b'"a\\u0000b"', b'["\\u0000", {"k": "\\u0000"}]',
    b'"\\uD83D\\uDE00\\uDBFF\\uDFFF\\uD800\\uDC00"',
    '"\U0010ffff\U00010000\ufeff"'.encode(),
    BOM + b'{"a": 1}', BOM + b"  0", BOM + b'"\xef\xbb\xbf"',
    b"1", b"-1", b"0", b"-0", b"1.5", b"[1,2,3]",
    b'{"name":"x","source_code":"import weave\\n"}',
    b'{"b":[],"a":{}}', b'[[],[[]],{},{"":{}}]',
    b'"</script>&<>\'"', b'"  leading and trailing  "',
    b'{"\\u0041": 1, "A": 2}',
]

# ---- hand-picked invalid inputs CPython refuses (positions are its own) ----

PY_BAD = [
    b'{"a": }', b"[1,]", b'{"a" 1}', b'"abc', b"tru", b"01", b"1.", b"-",
    b"[1 2]", b'"\\x"', b'"\\u12"', b"", b"   ", b"{} x", b'{"a":1,}', b"[", b"{",
    b"[1.]", b"1e", b"1e+", b"1E-", b"-a", b"nul", b"fals", b'"\\ud800\\u12"',
    b'"\\ud800\\uzzzz"', b'"\\u1234', b'"\\ud800\\udc00', b'"abc\\', b'"\x01"', b'"\t"',
    b'"\n"', b'"\x1f"', b'{"a":1 "b":2}', b"{1:2}", b'{"a":1}}', b"[]]", b"'a'",
    b" [1] x", BOM, BOM + b"  ", BOM + BOM + b"{}", '"é" x'.encode(),
    '["日本", }'.encode(), '{"é": 1,, }'.encode(), b"TRUE", b"True", b"+1", b".5",
    b"1..2", b"0x10", b"1_000", b"--1", b"[-]", b'{"a":-}', b'"\\U0001F600"',
    b"/* */ 1", b"[1,2", b'{"a":1', b'{"a"', b'{"a":', b"[,1]", b"[1,,2]",
    b'{,"a":1}', b'{"a":1,,"b":2}', b"nulll", b"truefalse", b"1 2", b'"a" "b"',
    b"-01", b"00", b"1.e5", b"1e5.5", b"\x00", b"[\x00]", b'"\\u"', b'"\\u00"x',
    b'"\\u00e"', b'"\\u-123"', b'"\\u 123"', b'"\\u+123"', b'"\\u0x12"',
    b'"\\\xc3\xa9"', b'"\\', b'"', b'["a\\', b"\xc2\xa01", b"[1]\xc2\xa0",
    b"\x0b1", b"1\x0c", b"-Inf", b"NaNa"[:2], b"Infinit", b"[tru]", b"{\"a\":nul}",
    b'"\\ud800\\"', b'"\\ud800\\u', b'"\\ud800\\ud', b'"\\udc00\\ud800\\u00"',
    b'"ok" \x7f', b"[" * 50 + b"1" + b"]" * 49,
]

# ---- what only the contract refuses: (input, pos, msg) ----

NUMRANGE = "Number out of range"
NAN = "NaN and Infinity are not allowed"
BIG = "Exceeds the limit (4300 digits) for integer string conversion"
LONE = "Lone surrogate in a \\uXXXX escape"
DEEP = "Nesting deeper than 100 levels"
NULKEY = "U+0000 in an object key is not supported"
UTF8 = "Invalid UTF-8"

REFUSED_BEYOND_PYTHON = [
    (b"NaN", 0, NAN), (b"[1, NaN]", 4, NAN), (b"Infinity", 0, NAN),
    (b"-Infinity", 0, NAN), (b'{"a": Infinity}', 6, NAN), (b"[NaN, }", 1, NAN),
    (b"1e400", 0, NUMRANGE), (b"[-1e400]", 1, NUMRANGE),
    (b"1.7976931348623159e308", 0, NUMRANGE), (b'{"x": [0, 1E+309]}', 10, NUMRANGE),
    (b"9" * 4301, 0, BIG), (b"[-" + b"1" * 4301 + b"]", 1, BIG),
    (b'"\\ud800"', 0, LONE), (b'"\\udc00"', 0, LONE), (b'["a", "x\\ud800y"]', 6, LONE),
    (b'"\\ud800\\ud800\\udc00"', 0, LONE), (b'{"\\udfff": 1}', 1, LONE),
    (b'"\\udbff\\u0041"', 0, LONE), (b'"\\ud83d"', 0, LONE), (b'["\\ud800", }', 1, LONE),
    (b"[" * 101 + b"]" * 101, 100, DEEP), (b"[" * 101, 100, DEEP),
    (b'{"a":' * 101 + b"1" + b"}" * 101, 500, DEEP),
    (b"[" * 100 + b"{}" + b"]" * 100, 100, DEEP),
    (b'{"\\u0000": 1}', 1, NULKEY), (b'{"a": {"a\\u0000b": 1}}', 7, NULKEY),
    (b'{"\\u0000" 1}', 1, NULKEY),
    (b"\xff", 0, UTF8), ('"é\xff"'.encode("latin-1").replace(b"\xe9", b"\xc3\xa9"), 2, UTF8),
    (b"[1,] \xff", 5, UTF8), (b"\xc3", 0, UTF8), (b"\xc0\x80", 0, UTF8),
    (b'"\xed\xa0\x80"', 1, UTF8), (BOM + b"\xff", 0, UTF8), (b'"\xe6\x97a"', 1, UTF8),
    (b'"\xf4\x90\x80\x80"', 1, UTF8), (b'"\xf0\x9f\x98"', 1, UTF8), (BOM[:2], 0, UTF8),
    ('["日本"] \x80'.encode("utf-8").replace(b"\xc2\x80", b"\x80"), 7, UTF8),
    (b"\xff\xfe[\x001\x00]\x00", 0, UTF8),
    (b"\xfe\xff\x00[\x001\x00]", 0, UTF8),
    (b"[\x001\x00]\x00", 1, "Expecting value"),
    (b"\x00[\x001\x00]", 0, "Expecting value"),
    (b"[\x00\x00\x001\x00\x00\x00]\x00\x00\x00", 1, "Expecting value"),
    (b'"\x00a\x00"\x00', 1, "Invalid control character at"),
]


# ---- random cases ----

POOLS = [
    "abcxyzABC019 _-.",
    "\"\\/\b\f\n\r\t\x00\x01\x1f\x7f",
    "éßü\u00a0\u00ff",
    "日本語\u2028\u2029\ufeff\uffff\ue000\u0800",
    "😀\U0001F4A9\U00010000\U0010FFFF",
]


def rand_char(r):
    return r.choice(POOLS[r.choice([0, 0, 0, 1, 2, 3, 4])])


def enc_string(r, s):
    """A JSON string literal for s, each character spelled at random."""
    out = ['"']
    short = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f",
             "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    for c in s:
        cp = ord(c)
        how = r.random()
        hexf = "\\u%04x" if r.random() < 0.5 else "\\u%04X"
        if c in short and (how < 0.5 or c in '"\\' or cp < 0x20):
            out.append(short[c] if how < 0.8 else hexf % cp)
        elif cp < 0x20 or c in '"\\':
            out.append(hexf % cp)
        elif how < 0.7:
            out.append(c)
        elif cp >= 0x10000:
            v = cp - 0x10000
            out.append(hexf % (0xD800 | v >> 10) + hexf % (0xDC00 | v & 0x3FF))
        else:
            out.append(hexf % cp)
    out.append('"')
    return "".join(out)


def rand_number(r):
    k = r.randrange(8)
    if k == 0:
        return str(r.randrange(-1000, 1000))
    if k == 1:
        return str(r.choice([1, -1]) * r.randrange(2**62, 2**65))
    if k == 2:
        n = r.randrange(19, 60)
        return r.choice(["", "-"]) + str(r.randrange(1, 10)) + "".join(
            r.choice("0123456789") for _ in range(n))
    if k == 3:
        while True:
            f = struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(f):
                return repr(f)
    if k == 4:
        f = r.uniform(-1e6, 1e6)
        return "%.*g" % (r.randrange(1, 20), f)
    # Decimal text of any shape: leading-zero fraction, exponent forms.
    mant = str(r.randrange(0, 10**r.randrange(1, 22)))
    if r.random() < 0.7:
        mant += "." + "".join(r.choice("0123456789") for _ in range(r.randrange(1, 25)))
    s = r.choice(["", "-"]) + mant
    if r.random() < 0.7:
        s += r.choice("eE") + r.choice(["", "+", "-"]) + str(r.randrange(0, 330))
    return s


def ws(r):
    return "".join(r.choice(" \t\n\r") for _ in range(r.choice([0, 0, 0, 1, 2])))


KEYS = ["a", "b", "A", "z", "é", "日", "😀", "\uffff", "name", "", "a b", "\x7f",
        "\n", "ab", "aa", "\u0080"]


def rand_value(r, d=0):
    k = r.randrange(10) if d < 5 else r.randrange(6)
    if k <= 2:
        return rand_number(r)
    if k == 3:
        return enc_string(r, "".join(rand_char(r) for _ in range(r.randrange(0, 9))))
    if k == 4:
        return r.choice(["true", "false", "null"])
    if k == 5:
        return enc_string(r, "")
    if k <= 7:
        items = [rand_value(r, d + 1) for _ in range(r.randrange(0, 5))]
        return "[" + ws(r) + ("," + ws(r)).join(i + ws(r) for i in items) + "]"
    members = []
    for _ in range(r.randrange(0, 6)):
        key = r.choice(KEYS) if r.random() < 0.7 else "".join(
            rand_char(r) for _ in range(r.randrange(0, 4))).replace("\0", "")
        members.append(enc_string(r, key) + ws(r) + ":" + ws(r) + rand_value(r, d + 1) + ws(r))
    return "{" + ws(r) + ("," + ws(r)).join(members) + "}"


MUTATE = list('{}[],:"\\ .-+eE0123456789tfnrux') + ["\x01", "\x7f", "é", "\ufeff", ""]
RISKY = re.compile(rb"\\u[dD][89a-fA-F]|\\u0000|NaN|Infinity")


def mutate(r, b):
    b = bytearray(b)
    for _ in range(r.randrange(1, 3)):
        op = r.randrange(5)
        i = r.randrange(len(b) + 1)
        if op == 0 and b:
            del b[i:i + r.randrange(1, 4)]
        elif op == 1:
            b[i:i] = r.choice(MUTATE).encode()
        elif op == 2 and b:
            del b[i:]
        elif op == 3 and i < len(b):
            b[i] = r.choice(MUTATE[:30]).encode()[0]
        else:
            b[i:i] = bytes([r.randrange(256)])
    return bytes(b)


# ---- output ----

def c_literal(b, indent="\t    "):
    """b as C string literals, 60 characters a line; octal escapes only."""
    pieces, line = [], ""
    for c in b:
        ch = chr(c)
        if ch in '"\\?':
            t = "\\" + ch
        elif 0x20 <= c < 0x7F:
            t = ch
        else:
            t = "\\%03o" % c
        if len(line) + len(t) > 60:
            pieces.append('"' + line + '"')
            line = ""
        line += t
    pieces.append('"' + line + '"')
    return ("\n" + indent).join(pieces)


def c_str(s):
    return c_literal(s.encode("utf-8"))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/unit"
    r = random.Random(20261130)
    ok, bad = [], []
    seen = set()

    def add_ok(b, why):
        e = expect(b)
        assert e[0] == "ok", (why, b[:80], e)
        if b not in seen:
            seen.add(b)
            ok.append((b, e[1], e[2], e[3]))

    def add_bad(b, pos, msg, source):
        if b not in seen:
            seen.add(b)
            bad.append((b, pos, msg, source))

    for b in VALID:
        add_ok(b, "hand-picked")
    for f in FLOATS:
        add_ok(f.encode(), "float")
        add_ok(("-" + f if not f.startswith("-") else f[1:]).encode(), "float")
    for i in INTS:
        add_ok(i.encode(), "int")
    # Powers of two whose repr is not the correctly rounded decimal of its
    # length (the neighbour above or below it reads back, the nearest not).
    tricky = [repr(2.0**e) for e in range(-1074, 1024)
              if float("%.*e" % (len(repr(2.0**e).split("e")[0].replace(".", "")
                                     .strip("0")) - 1, 2.0**e)) != 2.0**e]
    assert len(tricky) > 10, tricky
    add_ok(("[" + ", ".join(tricky) + "]").encode(), "powers of two")
    for b in PY_BAD:
        e = expect(b)
        assert e[0] == "err", (b, e)
        add_bad(b, e[1], e[2], e[3])
    for b, pos, msg in REFUSED_BEYOND_PYTHON:
        e = expect(b)
        # Where CPython (reading the text as UTF-8) refuses it too, it is at
        # the same place for the same reason, or later in the text.
        if e[0] == "err" and (e[3] == "utf8" or e[1] <= pos):
            assert (e[1], e[2]) == (pos, msg), (b[:40], e, pos, msg)
        elif e[0] != "err":
            assert e[0] == "contract", (b[:40], e)
        add_bad(b, pos, msg, "contract: " + python_says(b))

    n_ok = n_bad = 0
    while n_ok < 400:
        b = rand_value(r).encode("utf-8")
        if r.random() < 0.05:
            b = BOM + b
        e = expect(b)
        if e[0] == "ok" and b not in seen:
            add_ok(b, "random")
            n_ok += 1
    while n_bad < 400:
        b = mutate(r, rand_value(r).encode("utf-8"))
        if RISKY.search(b) or b.count(b"[") + b.count(b"{") > 100 or b in seen:
            continue
        e = expect(b)
        if e[0] == "ok":
            add_ok(b, "mutated")
        elif e[0] == "err":
            add_bad(b, e[1], e[2], e[3])
            n_bad += 1

    head = ("/* Generated by tools/gen-json-vectors.py with Python %s: do not "
            "edit. */\n" % sys.version.split()[0])
    with open(os.path.join(outdir, "json_ok.h"), "w") as f:
        f.write(head)
        f.write("/* Inputs json.loads accepts: json.dumps(v, sort_keys=True), "
                "the compact\n * ensure_ascii=False rendering, and the digest "
                "of the first. */\n")
        f.write("static const struct jv_ok {\n\tconst char\t*in;\n\tsize_t\t\t in_len;\n"
                "\tconst char\t*sorted;\n\tsize_t\t\t sorted_len;\n"
                "\tconst char\t*compact;\n\tsize_t\t\t compact_len;\n"
                "\tconst char\t*digest;\n} jv_ok[] = {\n")
        for b, srt, compact, dg in ok:
            f.write("\t{ %s, %d,\n\t    %s, %d,\n\t    %s, %d,\n\t    \"%s\" },\n" % (
                c_literal(b), len(b), c_literal(srt), len(srt), c_literal(compact),
                len(compact), dg))
        f.write("};\n")
    with open(os.path.join(outdir, "json_bad.h"), "w") as f:
        f.write(head)
        f.write("/* Inputs refused: the character position and message of the "
                "error; source\n * \"python\" is CPython's JSONDecodeError, "
                "\"utf8\" its UTF-8 decoder, \"contract\"\n * what the API reference "
                "9.1 refuses beyond CPython (and what CPython does). */\n")
        f.write("static const struct jv_bad {\n\tconst char\t*in;\n\tsize_t\t\t in_len;\n"
                "\tsize_t\t\t pos;\n\tconst char\t*msg;\n\tconst char\t*source;\n"
                "} jv_bad[] = {\n")
        for b, pos, msg, source in bad:
            f.write("\t{ %s, %d, %d,\n\t    %s, %s },\n" % (
                c_literal(b), len(b), pos, c_str(msg), c_str(source)))
        f.write("};\n")
    print("%d valid, %d invalid" % (len(ok), len(bad)), file=sys.stderr)


if __name__ == "__main__":
    main()
