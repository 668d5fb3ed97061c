#!/usr/bin/env python3
"""Keep the cover letter's own text across exports.

Usage: cover-letter.py OLD NEW
NEW is the cover letter git format-patch just generated (placeholder subject and
blurb, fresh shortlog and diffstat). Its From:, Date:, subject title and blurb are
replaced, in place, by those of OLD (the committed patches/0000-cover-letter.patch).
Without OLD, NEW keeps git's placeholders and a warning is printed.
"""
import os
import re
import sys


def split(text):
    head, _, body = text.partition('\n\n')
    lines = body.split('\n')
    # The shortlog starts at the first "Author Name (N):" line.
    for i, ln in enumerate(lines):
        if re.match(r'^\S.* \(\d+\):$', ln):
            return head, '\n'.join(lines[:i]), '\n'.join(lines[i:])
    return head, body, ''


def header(head, name):
    m = re.search(rf'^{name}: .*(\n\s.*)*', head, re.M)
    return m.group(0) if m else None


def main():
    old_path, new_path = sys.argv[1], sys.argv[2]
    new = open(new_path).read()
    if not os.path.exists(old_path):
        print(f'warning: no {old_path}: the cover letter keeps git\'s placeholders', file=sys.stderr)
        return 0
    ohead, oblurb, _ = split(open(old_path).read())
    nhead, _, nrest = split(new)
    for name in ('From', 'Date'):
        o, n = header(ohead, name), header(nhead, name)
        if o and n:
            nhead = nhead.replace(n, o)
    otitle = re.search(r'^Subject: \[[^\]]*\] (.*(?:\n\s.*)*)', ohead, re.M).group(1)
    nhead = re.sub(r'^(Subject: \[[^\]]*\] ).*', lambda m: m.group(1) + otitle, nhead, flags=re.M)
    if '*** BLURB HERE ***' in oblurb or '*** SUBJECT HERE ***' in otitle:
        print('warning: the cover letter still has placeholders: write its text', file=sys.stderr)
    open(new_path, 'w').write(nhead + '\n\n' + oblurb + '\n' + nrest)
    return 0


if __name__ == '__main__':
    sys.exit(main())
