#!/usr/bin/env python3
"""Checks one failover run of tests/failover/run.sh against the new primary.

usage: verify.py NAME RECORDS PLAN LIVE AUDIT APPLOG T_KILL T_PROMOTE [flags]
  RECORDS  load.py's output (one JSON object per request)
  PLAN     the seeded versions before the run ("OBJECT_ID DIGEST INDEX")
  LIVE     `models-admin model list fo p` on the new primary afterwards
  AUDIT    "REQUEST_ID NUM_DELETED" per delete_audit row on the new primary
  APPLOG   models-api's stderr (access log and error lines)
  T_KILL, T_PROMOTE  when the primary was killed (or its stop began) and
           when the standby's promotion was asked for, as time.time()
  --cancels        the run stalled the standby: some statements must have
                   been cancelled, and each of them answered 503
  --loss-reported  asynchronous control: lost acknowledged writes are a
                   figure, not a failure

Prints "ok CHECK" or "FAIL CHECK: detail" per check and "figure NAME VALUE"
lines; run.sh counts them.
"""
import collections
import json
import re
import sys

BODY_503 = '{"reason":"Service temporarily unavailable","error_type":"ServiceUnavailable"}'


def main():
    a = sys.argv[1:]
    flags = set(x for x in a if x.startswith("--"))
    a = [x for x in a if not x.startswith("--")]
    name, records, plan, live, audit, applog, t_kill, t_promote = a
    t_kill, t_promote = float(t_kill), float(t_promote)
    recs = [json.loads(l) for l in open(records) if l.strip()]
    seeded = set()
    for l in open(plan):
        f = l.split()
        if len(f) >= 3:
            seeded.add((f[0], int(f[2])))
    live_rows = [l.split() for l in open(live) if l.strip()]
    live_idx = set((f[0], int(f[2])) for f in live_rows)
    audit_rows = collections.defaultdict(list)
    for l in open(audit):
        f = l.split()
        if len(f) == 2:
            audit_rows[f[0]].append(int(f[1]))
    by_rid = {r["rid"]: r for r in recs}
    results = []

    def check(what, ok, detail=""):
        results.append(("ok %s" % what) if ok else ("FAIL %s: %s" % (what, detail)))

    def figure(k, v):
        print("figure %s %s" % (k, v))

    # Statuses: 200, 404, or 503 with Retry-After: 1 and the contract's body.
    bad = []
    for r in recs:
        s = r["status"]
        if s == 503 and (r["body"] != BODY_503 or r.get("retry_after") != "1"):
            bad.append("%s 503 %r Retry-After %r" % (r["rid"], r["body"], r.get("retry_after")))
        elif s == 200 and r["op"] == "delete" and not re.fullmatch(r'\{"num_deleted":[1-9][0-9]*\}', r["body"]):
            bad.append("%s 200 %s" % (r["rid"], r["body"]))
        elif s == 404 and '"error_type":"NotFoundError"' not in r["body"]:
            bad.append("%s 404 %s" % (r["rid"], r["body"]))
        elif s not in (200, 404, 503):
            bad.append("%s %s %s" % (r["rid"], s, r["body"][:200]))
    check("%s: only 200, 404, 503 with Retry-After" % name, not bad, "; ".join(bad[:5]))

    counts = collections.Counter("%s:%s" % (r["op"], r["status"]) for r in recs)
    figure("requests", len(recs))
    figure("by_status", " ".join("%s=%d" % kv for kv in sorted(counts.items())))

    # Every acknowledged delete is deleted (not live), per reference.
    ok_deletes = [r for r in recs if r["op"] == "delete" and r["status"] == 200]
    lost_req = [r for r in ok_deletes if any((o, ix) in live_idx for o, ix in r["refs"])]
    lost_versions = sum(1 for r in ok_deletes for o, ix in r["refs"] if (o, ix) in live_idx)
    figure("acked_deletes", len(ok_deletes))
    figure("acked_deletes_lost", len(lost_req))
    figure("acked_versions_lost", lost_versions)
    loss_ok = "--loss-reported" in flags
    if not loss_ok:
        check("%s: every delete answered 200 is not live" % name, not lost_req,
              "%d of %d lost, e.g. %s" % (len(lost_req), len(ok_deletes),
                                          [r["rid"] for r in lost_req[:5]]))

    # Counts: versions gone = sum over the audit rows; every 200 has its own
    # audit row with its count; any other audit row belongs to a 503
    # (outcome unknown, and it did commit).
    gone = len(seeded - live_idx)
    sum_200 = sum(int(r["body"][15:-1]) for r in ok_deletes)
    sum_audit = sum(sum(v) for v in audit_rows.values())
    figure("versions_deleted", gone)
    figure("sum_num_deleted_200", sum_200)
    figure("audit_rows", sum(len(v) for v in audit_rows.values()))
    unknown_committed = [rid for rid in audit_rows
                         if by_rid.get(rid, {}).get("status") == 503]
    figure("unknown_outcome_503_committed", len(unknown_committed))
    if not loss_ok:
        check("%s: versions deleted = sum of audit num_deleted" % name,
              gone == sum_audit, "%d deleted, audit says %d" % (gone, sum_audit))
        miss = [r["rid"] for r in ok_deletes
                if audit_rows.get(r["rid"]) != [int(r["body"][15:-1])]]
        check("%s: one audit row per 200, with its num_deleted" % name, not miss,
              "%d without, e.g. %s" % (len(miss), miss[:5]))
        stray = [rid for rid in audit_rows
                 if by_rid.get(rid, {}).get("status") not in (200, 503)]
        check("%s: audit rows only for 200s and 503s" % name, not stray, str(stray[:5]))
        check("%s: sum of num_deleted over 200s + committed 503s = versions deleted" % name,
              sum_200 + sum(sum(audit_rows[rid]) for rid in unknown_committed) == gone,
              "%d + unknown != %d" % (sum_200, gone))

    # Creates: each 200 is live with the digest and index it was given; no
    # version has two indices, no index two versions.
    live_full = collections.Counter((f[0], f[1]) for f in live_rows)
    live_ix = collections.Counter((f[0], f[2]) for f in live_rows)
    live_set = set((f[0], f[1], int(f[2])) for f in live_rows)
    ok_creates = [r for r in recs if r["op"] == "create" and r["status"] == 200]
    lost_c = []
    for r in ok_creates:
        j = json.loads(r["body"])
        if (j["object_id"], j["digest"], j["version_index"]) not in live_set:
            lost_c.append(r["rid"])
    figure("acked_creates", len(ok_creates))
    figure("acked_creates_lost", len(lost_c))
    if not loss_ok:
        check("%s: every create answered 200 is live as answered" % name, not lost_c,
              "%d lost, e.g. %s" % (len(lost_c), lost_c[:5]))
    dup = [k for k, n in live_full.items() if n > 1] + [k for k, n in live_ix.items() if n > 1]
    check("%s: no version with two indices, no index twice" % name, not dup, str(dup[:5]))

    # The gap: first success of a request sent after the kill.
    after = sorted(r["t1"] for r in recs if r["status"] == 200 and r["t0"] >= t_kill)
    check("%s: successes after the failover" % name, bool(after), "none")
    if after:
        figure("kill_to_first_success_s", "%.3f" % (after[0] - t_kill))
        figure("promote_request_to_first_success_s", "%.3f" % (after[0] - t_promote))
        # Generous: the promotion itself, then one reconnect and statement.
        check("%s: first success within 10 s of promotion" % name,
              after[0] - t_promote < 10, "%.3f s" % (after[0] - t_promote))
        window = collections.Counter(r["status"] for r in recs
                                     if r["t1"] >= t_kill and r["t0"] <= after[0])
        figure("statuses_kill_to_first_success",
               " ".join("%s=%d" % kv for kv in sorted(window.items())))
    figure("promote_after_kill_s", "%.3f" % (t_promote - t_kill))

    # Cancelled statements: named by request id in the app's error lines.
    cancelled, unknown = set(), set()
    for l in open(applog, errors="replace"):
        m = re.search(r"models-api: (\S+) outcome unknown: (statement cancelled)?", l)
        if m and m.group(1) in by_rid:
            unknown.add(m.group(1))
            if m.group(2):
                cancelled.add(m.group(1))
    n503 = sum(1 for r in recs if r["status"] == 503)
    figure("503_sent_outcome_unknown", len(unknown))
    figure("503_never_sent", n503 - len(unknown))
    figure("cancelled_statements", len(cancelled))
    not503 = [rid for rid in cancelled if by_rid[rid]["status"] != 503]
    check("%s: every cancelled statement answered 503" % name, not not503,
          ", ".join("%s %s %s" % (rid, by_rid[rid]["status"], by_rid[rid]["body"])
                    for rid in not503[:5]))
    if "--cancels" in flags:
        check("%s: the stall made the app cancel statements" % name, bool(cancelled),
              "no 'outcome unknown: statement cancelled' line")

    for l in results:
        print(l)


if __name__ == "__main__":
    main()
