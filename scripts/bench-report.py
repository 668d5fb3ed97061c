#!/usr/bin/env python3
"""make bench's report: bench-report.py --series LOG --peer LOG [--md FILE] [--plot FILE] ...

Reads the "# BENCH <figure> key=value ... unit=U reps=R min=X med=Y max=Z" lines of the
two bench boots (guest/job-bench.sh: this series as the host kernel, then Linux 7.3)
and prints, as Markdown:
  1. the ratios each boot measured against its own baseline (min / median / max over
     the repetitions), with the issue's target;
  2. every figure on both kernels with ours/7.3 (ratio of the medians);
  3. the commands one unmap puts on each SMMU's queue.
--md also writes that to a file with the commit, the machine and the date; --plot
draws the ratios with gnuplot (SVG). Exits 1 if a boot reported no figure at all.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile

BENCH = re.compile(r'# BENCH (\S+)((?: \S+=\S+)*)\s*$')
STATS = ('unit', 'reps', 'min', 'med', 'max')
# Values that ride in keys: not part of a figure's identity
VALUES = STATS + ('tlbi', 'sync')

# (figure, target, what it is); target applies to this series' median
RATIOS = [
    ('inv.ratio_viommu_nested', 1.10, 'invalidation per command, vIOMMU path / nested-HWPT path (mock)'),
    ('inv.batch1_over_floor', None, 'one-command invalidation ioctl / a trivial iommufd ioctl'),
    ('devid.vdevice_alloc_ratio_10k_10', 1.2, 'VDEVICE_ALLOC per op, 10k entries / 10'),
    ('devid.set_dev_id_ratio_10k_10', 1.2, 'SET_DEV_ID per op, 10k entries / 10'),
    ('devid.lookup_ratio_10k_10', 1.2, 'vSID lookup per command, 10k entries / 10 (8 devices named at each size)'),
    ('devid.lookup_spread_ratio_10k_10', None, 'the same, every entry named in turn: table + devices\' cache footprint'),
    ('s2.mock_ratio_4_1', 1.5, 'map + unmap of the shared S2, 4 vIOMMUs / 1 (both mock instances)'),
    ('s2.ratio_4_1', 1.5, 'map + unmap of the shared S2, 4 vIOMMUs / 1 (emulated SMMUs)'),
    ('s2share.ratio_shared_per_smmu', 1.0, 'map + unmap of 64 KiB: one S2 attached to the devices of both SMMUs / one S2 per SMMU, mapped in each IOAS (k = 2 SMMUs: goal well under 1)'),
    ('s2share.ratio_4_1', None, 'the same on the shared S2: 2 devices + 2 vIOMMUs (4 SMMU/VMID users) / 1 device'),
    ('s2share.pt_ratio_per_smmu_shared', None, 'IOMMU page-table memory for 64 MiB of 4 KiB pages: one S2 per SMMU / one shared S2 (expected ~2 with 2 SMMUs)'),
    ('e2e.edu_dma_ratio_nested_s2', None, 'edu page copy, S1+S2 / S2 only (emulated SMMUs)'),
    ('mapfile.ratio_anon_memfd', None, '512 MiB guest RAM map: IOAS_MAP of anonymous memory / IOAS_MAP_FILE of a memfd (above 1: the memfd is faster)'),
    ('mapfile.ratio_anon_hugetlb', None, 'the same, / IOAS_MAP_FILE of a 2 MiB hugetlbfs memfd (expected: several times)'),
]
# Figures where ours/7.3 should be <= 1.0
PEER_TARGET = ('inv.viommu', 'inv.batch1', 'devid.lookup', 'e2e.')
# Per dev-id entry the limit is 64 B beyond the table's own share. The table is
# a hash table (patch 16): 8-byte buckets, at most one per entry past the first
# two (doubled once the entries are more than twice as many). The
# xarray it replaced: a full node (576 B on 64-bit) per 64 entries, 9 B an entry.
INDEX_SHARE = 8
LIMITS = {'mem.bytes_per_viommu': 1024, 'mem.bytes_per_arm_viommu': 1024,
          'mem.bytes_per_set_dev_id': 64 + INDEX_SHARE}


def parse(path):
    figs = {}
    if not path or not os.path.exists(path):
        return figs
    for ln in open(path, errors='replace'):
        m = BENCH.search(ln.rstrip('\r\n'))
        if not m:
            continue
        kv = dict(p.split('=', 1) for p in m.group(2).split())
        key = (m.group(1), tuple(sorted((k, v) for k, v in kv.items() if k not in VALUES)))
        figs[key] = kv
    return figs


def natural(key):
    """Sort batch=64 before batch=4096."""
    return (key[0], [(k, int(v) if v.isdigit() else 0, v) for k, v in key[1]])


def label(key):
    fig, params = key
    return fig + (' ' + ' '.join(f'{k}={v}' for k, v in params) if params else '')


def num(kv, k):
    try:
        return float(kv[k])
    except (KeyError, ValueError):
        return None


def fmt(x, unit=''):
    if x is None:
        return '-'
    if unit in ('x', 'ratio') or abs(x) < 100 and x != int(x):
        return f'{x:.3f}'
    return f'{x:.0f}'


def spread(kv):
    if not kv:
        return 'not run'
    return f"{fmt(num(kv, 'med'), kv.get('unit'))} ({fmt(num(kv, 'min'), kv.get('unit'))}–" \
           f"{fmt(num(kv, 'max'), kv.get('unit'))}, n={kv.get('reps', '?')})"


def report(ours, peer, peer_name):
    out = []
    out.append('### Ratios measured within one boot (median, min–max over the repetitions)\n')
    out.append(f'| figure | what | target | this series | {peer_name} | verdict |')
    out.append('|---|---|---|---|---|---|')
    plot = []
    for fig, target, what in RATIOS:
        keys = sorted({k for k in list(ours) + list(peer) if k[0] == fig}, key=natural)
        for key in keys:
            o, p = ours.get(key), peer.get(key)
            med = num(o, 'med') if o else None
            verdict = '-' if target is None or med is None else (
                'meets' if med <= target else 'MISSES')
            out.append(f"| {label(key)} | {what} | {'≤ %.2f' % target if target else '-'} | "
                       f"{spread(o)} | {spread(p)} | {verdict} |")
            plot.append((label(key), med, num(p, 'med') if p else None))
    out.append('')
    out.append('### Every figure on both host kernels\n')
    out.append(f'| figure | unit | this series | {peer_name} | ours / 7.3 | note |')
    out.append('|---|---|---|---|---|---|')
    for key in sorted(set(ours) | set(peer), key=natural):
        if key[0] == 's2.unmap_cmds':
            continue
        o, p = ours.get(key), peer.get(key)
        unit = (o or p).get('unit', '')
        ratio = None
        if o and p and num(p, 'med'):
            ratio = num(o, 'med') / num(p, 'med')
        note = ''
        if ratio is not None and key[0].startswith(PEER_TARGET) and 'ratio' not in key[0]:
            note = 'target ≤ 1.0: ' + ('meets' if ratio <= 1.0 else 'MISSES')
        if key[0] in LIMITS and o:
            note = f'limit {LIMITS[key[0]]:.0f} B: ' + ('meets' if num(o, 'med') <= LIMITS[key[0]] else 'MISSES')
        if not p:
            note = note or f'{peer_name} cannot run it'
        out.append(f"| {label(key)} | {unit} | {spread(o)} | {spread(p)} | {fmt(ratio, 'x')} | {note} |")
    cmds = sorted((k for k in set(ours) | set(peer) if k[0] == 's2.unmap_cmds'), key=natural)
    if cmds:
        out.append('')
        out.append('### Commands one 4 KiB unmap of the shared stage-2 puts on each SMMU queue\n')
        out.append('| vIOMMUs | SMMU | this series: TLBI / CMD_SYNC | '
                   f'{peer_name}: TLBI / CMD_SYNC |')
        out.append('|---|---|---|---|')
        for key in cmds:
            p = dict(key[1])
            o, q = ours.get(key), peer.get(key)
            cell = (lambda d: f"{d.get('tlbi', '?')} / {d.get('sync', '?')}" if d else '-')
            out.append(f"| {p.get('viommus', '?')} | {p.get('smmu', '?')} | {cell(o)} | {cell(q)} |")
    return '\n'.join(out) + '\n', plot


def draw(plot, path, peer_name):
    if not shutil.which('gnuplot'):
        print('bench-report: no gnuplot (make setup installs gnuplot-nox): no plot', file=sys.stderr)
        return
    with tempfile.NamedTemporaryFile('w', suffix='.dat', delete=False) as f:
        for i, (name, o, p) in enumerate(plot):
            f.write(f'{i} "{name}" {o if o is not None else "NaN"} {p if p is not None else "NaN"}\n')
        dat = f.name
    script = f'''
set terminal svg size 1000,520 dynamic noenhanced font "sans,11"
set output "{path}"
set title "make bench: ratios measured within one boot (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "ratio"
set yrange [0:*]
set grid ytics
set xtics rotate by -30 font "sans,9" nomirror
set key top left
plot "{dat}" using 3:xtic(2) title "this series", "" using 4 title "{peer_name}", \\
     1.0 with lines dashtype 2 lc rgb "gray" notitle
'''
    subprocess.run(['gnuplot'], input=script, text=True, check=True)
    os.unlink(dat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--series', required=True)
    ap.add_argument('--peer')
    ap.add_argument('--peer-name', default='Linux 7.3')
    ap.add_argument('--commit', default='?')
    ap.add_argument('--series-head', default='?')
    ap.add_argument('--md')
    ap.add_argument('--plot')
    a = ap.parse_args()
    ours, peer = parse(a.series), parse(a.peer)
    body, plot = report(ours, peer, a.peer_name.split(' (')[0])
    print(body)
    if a.md:
        cpu = 'unknown CPU'
        for ln in open('/proc/cpuinfo'):
            if ln.startswith('model name'):
                cpu = ln.split(':', 1)[1].strip()
                break
        head = (f'# make bench results\n\n'
                f'Measured {datetime.date.today().isoformat()} by `make bench` at workbench commit '
                f'`{a.commit}` (series tree HEAD `{a.series_head}`), on {os.cpu_count()} host cores '
                f'({cpu}), no KVM on the host: the test VM runs under QEMU TCG, so absolute times mean '
                f'little; the ratios compare paths measured in the same boot. Both host kernels are '
                f'built from `config/test.config` + `config/bench.config` (the test config without '
                f'lock debugging: no lockdep, no PROVE_RCU). Peer: {a.peer_name}, '
                f'same config fragments, QEMU and machine, booted right after.\n\n'
                f'![ratios](bench.svg)\n\n'
                f'What each figure measures: README.md, "Benchmarks". What the figures say, what was '
                f'changed because of them and what is not ours: [bench-analysis.md](bench-analysis.md).\n\n')
        with open(a.md, 'w') as f:
            f.write(head + body)
    if a.plot and plot:
        draw(plot, a.plot, a.peer_name.split(' (')[0])
    if not ours or (a.peer and not peer):
        print('bench-report: a boot reported no figure', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
