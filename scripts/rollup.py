#!/usr/bin/env python3
"""Turn the test VM's console logs (plus host-side check results) into one roll-up.

Usage: rollup.py [CONSOLE_LOG] [--log CONSOLE_LOG ...] [--expect KIND:NAME ...]
                 [--host TAP_FILE ...]

Several console logs (one per boot) may be given: the positional one and any number
of --log; each is checked on its own for splats and for "@@@ ALL DONE", and their
suites are rolled up together.

Each guest suite is framed by "@@@ BEGIN kind:name" / "@@@ END kind:name rc=N secs=N".
KUnit results are KTAP (tests counted at the suite's own level), kselftest suites are
TAP 13 (top-level results counted). A suite fails when a test fails, when its exit
status is not 0, when it reports fewer results than its plan, or when it never reports.
A kernel splat anywhere in the log (console or the final dmesg dump) fails the run, and
so does a kernel the guest reports tainted by a WARN, an oops, a bad page or a soft lockup.
Prints a line per suite, then "N passed, N failed, N skipped" alone on a line; exits 1
on any failure.
"""
import argparse
import re
import sys

RESULT = re.compile(r'^(?P<indent>\s*)(?P<not>not )?ok (?P<num>\d+)\s*-?\s*(?P<name>[^#]*?)\s*(#\s*(?P<dir>\w+)(?P<why>.*))?$')
PLAN = re.compile(r'^\s*1\.\.(\d+)')
SPLATS = [
    r'------------\[ cut here \]------------',
    r'WARNING: CPU: \d+ PID',
    r'\bBUG: ',
    r'kernel BUG at',
    r'Internal error: Oops',
    r'Unable to handle kernel',
    r'Kernel panic',
    r'WARNING: possible (recursive|circular) locking',
    r'WARNING: inconsistent lock state',
    r'WARNING: suspicious RCU usage',
    r'WARNING: bad unlock balance',
    r'WARNING: lock held when returning',
    r'possible irq lock inversion',
    r'DEBUG_LOCKS_WARN_ON',
    r'INFO: task .* blocked for more than',
    r'INFO: trying to register non-static key',
    r'rcu: INFO: .* detected stalls',
    r'watchdog: BUG: soft lockup',
    r'KASAN: ',
    r'UBSAN: ',
    r'ODEBUG: ',
    r'Call trace:',
    r'@@@ HOST: guest killed',
]
SPLAT = re.compile('|'.join(SPLATS))
# /proc/sys/kernel/tainted as the guest prints it last ("@@@ TAINT N"): a WARN, an
# oops, a bad page or a soft lockup taints the kernel even when the log lost its text.
TAINTS = {9: 'W (a WARN)', 7: 'D (an oops)', 5: 'B (a bad page)', 14: 'L (a soft lockup)'}
TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')


class Suite:
    def __init__(self, kind, name):
        self.kind, self.name = kind, name
        self.lines = []
        self.rc = None
        self.secs = None

    @property
    def key(self):
        return f'{self.kind}:{self.name}'

    def results(self):
        """(passed, failed, skipped, failed names, problems)."""
        lines = self.lines
        indent = ''
        if self.kind == 'kunit':
            for ln in lines:
                m = re.match(r'^(\s*)# Subtest: (.*)$', ln)
                if m and m.group(2).strip() == self.name:
                    indent = m.group(1)
                    break
        npass = nfail = nskip = 0
        failed, problems = [], []
        plan = None
        for ln in lines:
            m = PLAN.match(ln)
            if m and plan is None and ln.startswith(indent) and not ln[len(indent)].isspace():
                plan = int(m.group(1))
                continue
            m = RESULT.match(ln)
            if not m or m.group('indent') != indent:
                continue
            if self.kind == 'kunit' and m.group('name').strip() == self.name:
                continue  # the suite's own summary line
            d = (m.group('dir') or '').upper()
            if d == 'SKIP':
                nskip += 1
            elif m.group('not') and d != 'TODO':
                nfail += 1
                failed.append(m.group('name').strip())
            else:
                npass += 1
        total = npass + nfail + nskip
        if self.rc is None:
            problems.append('never reported (no END marker: hung, crashed or killed)')
        elif self.rc in (124, 137):
            problems.append(f'killed by its time limit after {self.secs}s')
        elif self.rc != 0:
            problems.append(f'exit status {self.rc}')
        if plan is not None and total < plan:
            problems.append(f'planned {plan} tests, reported {total}')
        if plan is None and total == 0:
            problems.append('reported no test results')
        return npass, nfail, nskip, failed, problems


def parse(path):
    suites, current, splats, done = [], None, [], False
    in_dmesg = False
    with open(path, errors='replace') as f:
        for raw in f:
            ln = raw.rstrip('\r\n').replace('\r', '')
            body = TIMESTAMP.sub('', ln)
            if body.startswith('@@@ BEGIN dmesg'):
                in_dmesg = True
                continue
            if body.startswith('@@@ END dmesg'):
                in_dmesg = False
                continue
            if body.startswith('@@@ ALL DONE'):
                done = True
                continue
            m = re.match(r'^@@@ TAINT (\d+)', body)
            if m:
                flags = [why for bit, why in TAINTS.items() if int(m.group(1)) >> bit & 1]
                if flags:
                    splats.append(f'kernel tainted {int(m.group(1))}: ' + ', '.join(flags))
                continue
            if SPLAT.search(body):
                splats.append(body.strip())
            if in_dmesg:
                continue
            m = re.match(r'^@@@ BEGIN (\w[\w-]*):(\S+)', body)
            if m:
                current = Suite(m.group(1), m.group(2))
                suites.append(current)
                continue
            m = re.match(r'^@@@ END (\w[\w-]*):(\S+) rc=(\d+) secs=(\d+)', body)
            if m and current and current.key == f'{m.group(1)}:{m.group(2)}':
                current.rc, current.secs = int(m.group(3)), int(m.group(4))
                current = None
                continue
            if current:
                current.lines.append(ln)
    return suites, splats, done


def host_suites(path):
    """A host TAP file: one suite per file, named by its '# suite: NAME' line."""
    s = Suite('host', path)
    with open(path) as f:
        for ln in f:
            ln = ln.rstrip('\n')
            m = re.match(r'^# suite: (\S+)(?: secs=(\d+))?', ln)
            if m:
                s.name = m.group(1)
                s.secs = int(m.group(2) or 0)
                s.rc = 0
                continue
            s.lines.append(ln)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log', nargs='?')
    ap.add_argument('--log', dest='logs', action='append', default=[], metavar='LOG')
    ap.add_argument('--expect', action='append', default=[])
    ap.add_argument('--host', action='append', default=[])
    a = ap.parse_args()
    logs = ([a.log] if a.log else []) + a.logs
    if not logs:
        ap.error('no console log given')

    suites, per_log = [], []
    for path in logs:
        try:
            log_suites, splats, done = parse(path)
        except OSError as e:
            per_log.append((path, [], False, e.strerror))
            continue
        suites += log_suites
        per_log.append((path, splats, done, None))
    suites = [host_suites(h) for h in a.host] + suites
    seen = {s.key for s in suites}
    for key in a.expect:
        if key not in seen:
            kind, name = key.split(':', 1)
            suites.append(Suite(kind, name))

    tp = tf = ts = 0
    bad = []
    print('\n===== roll-up =====')
    for s in suites:
        npass, nfail, nskip, failed, problems = s.results()
        tp, tf, ts = tp + npass, tf + nfail, ts + nskip
        status = 'ok' if not nfail and not problems else 'FAIL'
        secs = '-' if s.secs is None else f'{s.secs}s'
        print(f'{status:4} {s.key:48} pass {npass:4}  fail {nfail:3}  skip {nskip:3}  time {secs:>6}')
        for n in failed:
            print(f'       failed: {n}')
        for p in problems:
            print(f'       problem: {p}')
        if status != 'ok':
            bad.append(s.key)
            if problems:
                tf += 1  # a suite-level problem counts as one failure
    for path, splats, done, err in per_log:
        where = f' ({path})' if len(per_log) > 1 else ''
        if err:
            print(f'FAIL console log {path} unreadable: {err} (the boot did not start?)')
            bad.append('log')
            tf += 1
            continue
        if not done:
            print(f'FAIL guest never finished (no "@@@ ALL DONE": panic, hang or time limit){where}')
            bad.append('guest')
            tf += 1
        if splats:
            uniq = list(dict.fromkeys(splats))
            print(f'FAIL kernel splat in the log ({len(uniq)} distinct lines){where}, first ones:')
            for ln in uniq[:12]:
                print(f'       {ln}')
            bad.append('splat')
            tf += 1
    print(f'{tp} passed, {tf} failed, {ts} skipped')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
