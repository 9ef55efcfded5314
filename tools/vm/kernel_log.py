# SPDX-License-Identifier: GPL-2.0
"""Kernel-log findings: the patterns, the suppression file, the scan.

One place for what counts as a kernel problem in a test guest's log, used
by tools/vm/dmesg-scan (the whole log at the end of a guest run) and by
tools/testing/run-tests (the log segment of each test program, kmemleak
reports included).

A finding is a log line matching one of PATTERNS; its report is that line
and the lines after it up to the next finding (at most CONTEXT lines).
A finding is suppressed by the first rule of tools/vm/dmesg-suppress whose
regex matches (re.search) anywhere in its report.  Suppressed findings are
printed as such, never dropped silently.

Rule files (dmesg-suppress, tools/testing/todo-allowed) share one format:
"KEY: VALUE" opens a rule, the next line must be "reason: TEXT" with a
non-empty TEXT; "#" lines and blank lines are comments.

    python3 kernel_log.py dmesg-scan DMESG TAINTED
    python3 kernel_log.py check-rules      (lint: the suppression file parses)
"""
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPRESS = os.path.join(HERE, "dmesg-suppress")
CONTEXT = 30

# (kind, regex): the first match names a finding, so specific kinds come
# before the generic BUG:/WARNING: ones their reports also print.
PATTERNS = [
    ("KASAN", r"KASAN:"),
    ("UBSAN", r"UBSAN:"),
    ("kmemleak", r"unreferenced object 0x|kmemleak: \d+ new suspected memory leaks"
                 r"|kmemleak: (Kernel memory leak detector disabled|Cannot allocate"
                 r"|Memory pool empty)"),
    ("lockdep", r"possible circular locking dependency|possible recursive locking"
                r"|inconsistent lock state|suspicious RCU usage"
                r"|lock held when returning to user space|bad unlock balance"
                r"|possible irq lock inversion|-safe -> \S+-unsafe lock order"
                r"|held lock freed|still has locks held|Nested lock was not taken"
                r"|trying to register non-static key"),
    ("atomic-context", r"sleeping function called from invalid context"
                       r"|scheduling while atomic"),
    ("ODEBUG", r"ODEBUG: .*object type:|ODEBUG: Out of memory"
               r"|ODEBUG: selftest (object not found|wrong state|fixups failed"
               r"|warnings failed)"),
    ("list corruption", r"list_(add|del) corruption|list_add double add"),
    ("slab corruption", r"BUG \S+ \((Not tainted|Tainted: [^)]*)\)"
                        r"|(Poison|Redzone|Padding) overwritten|Freepointer corrupt"),
    ("Oops", r"Oops|general protection fault|Unable to handle kernel|Kernel panic"),
    ("BUG", r"(?<!ODE)BUG:|kernel BUG at|BAD_PAGE|Bad page state|double free|stack-protector"),
    ("refcount", r"refcount_t:"),
    # not the debug kernel's "RCU callback double-/use-after-free debug is enabled."
    ("use-after-free", r"use-after-free(?! debug)"),
    ("lockup", r"soft lockup|hard LOCKUP|blocked for more than|rcu.*detected stall"),
    ("WARNING", r"WARNING:"),
]
_COMPILED = [(kind, re.compile(rx)) for kind, rx in PATTERNS]

# Taint bits: out-of-tree (O) and unsigned (E) modules are ours; W is
# allowed only when every finding in the log was suppressed.
TAINT_OK = 4096 | 8192
TAINT_WARN = 512

Rule = collections.namedtuple("Rule", "value reason where regex")


class Finding:
    """One kernel-log problem: its kind, line, report and suppression."""

    def __init__(self, kind, lineno, line, report):
        self.kind, self.lineno, self.line, self.report = kind, lineno, line, report
        self.rule = None

    def describe(self):
        return f"{self.kind}: {self.line.strip()}"


def classify(line):
    """Return the kind of finding LINE is, or None."""
    for kind, rx in _COMPILED:
        if rx.search(line):
            return kind
    return None


def parse_rules(path, key):
    """Read a rule file: return (rules, errors).

    Each rule is "KEY: VALUE" followed by "reason: TEXT"; a rule without
    a reason, an empty value or any other line is an error.  A missing
    file has no rules.
    """
    rules, errors = [], []
    if not os.path.exists(path):
        return rules, errors
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [(n, l.rstrip("\n")) for n, l in enumerate(f, 1)
                 if l.strip() and not l.lstrip().startswith("#")]
    i = 0
    while i < len(lines):
        n, line = lines[i]
        where = f"{os.path.basename(path)}:{n}"
        i += 1
        if not line.startswith(key + ":"):
            errors.append(f"{where}: expected '{key}: ...' or a comment, got: {line.strip()}")
            continue
        value = line[len(key) + 1:].strip()
        reason = ""
        if i < len(lines) and lines[i][1].startswith("reason:"):
            reason = lines[i][1][len("reason:"):].strip()
            i += 1
        if not value:
            errors.append(f"{where}: '{key}:' with nothing after it")
        elif not reason:
            errors.append(f"{where}: rule '{value}' has no reason (add a 'reason:' line after it)")
        else:
            rules.append(Rule(value, reason, where, None))
    return rules, errors


def load_suppressions(path=SUPPRESS):
    """The suppression rules ("match: REGEX" + "reason:"), regexes compiled."""
    rules, errors = parse_rules(path, "match")
    good = []
    for r in rules:
        try:
            good.append(r._replace(regex=re.compile(r.value)))
        except re.error as e:
            errors.append(f"{r.where}: bad regex '{r.value}': {e}")
    return good, errors


def scan(lines, rules=()):
    """Return the findings in LINES, each with its suppression rule or None."""
    hits = [(i, kind) for i, l in enumerate(lines) for kind in [classify(l)] if kind]
    found = []
    for j, (i, kind) in enumerate(hits):
        stop = hits[j + 1][0] if j + 1 < len(hits) else len(lines)
        report = lines[i:min(stop, i + 1 + CONTEXT)]
        f = Finding(kind, i + 1, lines[i], report)
        text = "\n".join(report)
        for r in rules:
            if r.regex.search(text):
                f.rule = r
                break
        found.append(f)
    return found


def taint_problem(taint, findings):
    """Why the taint value TAINT is not acceptable, or None."""
    allowed = TAINT_OK
    if findings and all(f.rule for f in findings):
        allowed |= TAINT_WARN
    if taint & ~allowed:
        extra = " and W=512 after suppressed findings" if allowed & TAINT_WARN else ""
        return f"guest kernel tainted: {taint} (only O=4096 and E=8192{extra} are allowed)"
    return None


def dmesg_scan(log, tainted, out=sys.stdout, err=sys.stderr, rules=None):
    """The whole-log check of a guest run (see tools/vm/dmesg-scan).

    Returns 1 (the findings on ERR) or 0; suppressed findings go to OUT.
    RULES replaces the suppression file (for run-tests --self-test).
    """
    if not os.path.isfile(log):
        print("vm-run: guest dmesg was not collected", file=err)
        return 1
    errors = []
    if rules is None:
        rules, errors = load_suppressions()
    bad = 0
    for e in errors:
        print(f"vm-run: {e}", file=err)
        bad = 1
    with open(log, errors="replace") as f:
        lines = f.read().splitlines()
    findings = scan(lines, rules)
    for f in findings:
        if f.rule:
            print(f"dmesg-scan: suppressed ({f.rule.where}: {f.rule.reason}): {f.line.strip()}",
                  file=out)
    real = [f for f in findings if not f.rule]
    if real:
        print("vm-run: guest dmesg reports a kernel problem:", file=err)
        shown = []
        for f in real:
            shown += [f"{f.lineno}: {f.line}"] + [f"{f.lineno + k}- {l}" for k, l in
                                                  enumerate(f.report[1:4], 1)]
        for line in shown[:40]:
            print(f"    {line}", file=err)
        bad = 1
    try:
        with open(tainted) as f:
            taint = int(f.read().strip())
    except (OSError, ValueError):
        print("vm-run: guest taint flags were not collected", file=err)
        return 1
    why = taint_problem(taint, findings)
    if why:
        print(f"vm-run: {why}", file=err)
        bad = 1
    return bad


def main(argv):
    if len(argv) == 3 and argv[0] == "dmesg-scan":
        return dmesg_scan(argv[1], argv[2])
    if argv == ["check-rules"]:
        _, errors = load_suppressions()
        for e in errors:
            print(f"    {e}")
        return 1 if errors else 0
    print("usage: kernel_log.py dmesg-scan DMESG TAINTED | check-rules", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
