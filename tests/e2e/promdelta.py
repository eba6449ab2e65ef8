#!/usr/bin/env python3
"""How two scrapes of /metrics differ, read with prometheus_client's parser.

usage: promdelta.py BEFORE AFTER

Prints, sorted, one line per counter sample (and histogram _count) that
moved: "NAME{LABEL=VALUE,...} DELTA" (a sample absent from BEFORE counts
from 0); then "gauge NAME VALUE" for every gauge of AFTER but the start
time; then "ERROR ..." for anything that breaks the format's own rules in
AFTER: a histogram whose buckets shrink, whose le="+Inf" bucket is not its
_count, a counter that went down, a series that vanished.
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def read(path):
    with open(path, encoding="utf-8") as f:
        families = list(text_string_to_metric_families(f.read()))
    samples, types = {}, {}
    for fam in families:
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in samples:
                print("ERROR duplicate sample %s" % show(key))
            samples[key] = s.value
            types[key] = fam.type
    return samples, types


def show(key):
    name, labels = key
    if not labels:
        return name
    return "%s{%s}" % (name, ",".join("%s=%s" % kv for kv in labels))


def check_histograms(samples, types):
    series = {}
    for (name, labels), v in samples.items():
        if types[(name, labels)] != "histogram" or not name.endswith("_bucket"):
            continue
        rest = tuple(kv for kv in labels if kv[0] != "le")
        le = float(dict(labels)["le"])
        series.setdefault((name[:-len("_bucket")], rest), []).append((le, v))
    for (base, rest), buckets in series.items():
        buckets.sort()
        counts = [v for _, v in buckets]
        if counts != sorted(counts):
            print("ERROR buckets shrink: %s" % show((base, rest)))
        if buckets[-1][0] != float("inf"):
            print("ERROR no +Inf bucket: %s" % show((base, rest)))
        count = samples.get((base + "_count", rest))
        if count != buckets[-1][1]:
            print("ERROR +Inf %s != _count %s: %s" % (buckets[-1][1], count,
                                                     show((base, rest))))


def main():
    before, _ = read(sys.argv[1])
    after, types = read(sys.argv[2])
    check_histograms(after, types)
    out = []
    for key in before:
        if key not in after:
            print("ERROR vanished: %s" % show(key))
    for key, v in after.items():
        name = key[0]
        kind = types[key]
        if kind == "gauge":
            if name != "process_start_time_seconds":
                out.append("gauge %s %g" % (show(key), v))
            continue
        if kind == "histogram" and not name.endswith("_count"):
            continue
        delta = v - before.get(key, 0.0)
        if delta < 0:
            print("ERROR went down: %s" % show(key))
        if delta != 0:
            out.append("%s %g" % (show(key), delta))
    for line in sorted(out):
        print(line)


main()
