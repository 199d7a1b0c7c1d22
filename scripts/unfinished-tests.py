#!/usr/bin/env python3
"""Prints the tests a Swift Testing log shows as started and never finished: after a crash,
the ones that were running when the process died."""
import re
import sys
from collections import Counter

started, finished = Counter(), Counter()
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        if m := re.match(r"^\S+ Test (.+?) started\.$", line.rstrip()):
            started[m.group(1)] += 1
        elif m := re.match(r"^\S+ Test (.+?) (passed|failed|skipped)", line.rstrip()):
            finished[m.group(1)] += 1
left = started - finished
for name in left:
    print(f"  {name}")
if not left:
    print("  (none found in the log)")
