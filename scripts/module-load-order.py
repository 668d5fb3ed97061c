#!/usr/bin/env python3
"""Print the modules to insmod, dependencies first, for the modules named.

Usage: module-load-order.py MODULES.DEP NAME...
MODULES.DEP is depmod's output (paths relative to its directory); NAME is a module
name as in NAME.ko. Each line printed is a path relative to that directory.
"""
import os
import sys


def main():
    dep_file, names = sys.argv[1], sys.argv[2:]
    deps = {}
    for line in open(dep_file):
        mod, _, rest = line.strip().partition(':')
        deps[mod] = rest.split()
    by_name = {os.path.basename(m)[:-len('.ko')]: m for m in deps}
    order, seen = [], set()

    def visit(mod):
        if mod in seen:
            return
        seen.add(mod)
        for d in deps[mod]:
            visit(d)
        order.append(mod)

    for n in names:
        if n not in by_name:
            sys.exit(f'module-load-order: no {n}.ko in {dep_file}')
        visit(by_name[n])
    print('\n'.join(order))


if __name__ == '__main__':
    main()
