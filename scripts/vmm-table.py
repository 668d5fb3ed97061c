#!/usr/bin/env python3
"""Side-by-side table of the VMM suite: vmm-table.py OURS_CONSOLE_LOG [PEER_CONSOLE_LOG].

Reads the vmm:* suites of each console log (TAP counts, the "# timing:" and
"# stage-2" lines of guest/vmm-case.sh and guest/vmm-hotplug.sh) and prints a Markdown table for docs/vmm-qemu.md."""
import re
import sys


def info(log):
    res={}
    cur=None
    for ln in open(log,errors='replace'):
        ln=ln.rstrip('\r\n')
        m=re.match(r'^@@@ BEGIN vmm:(\S+)',ln)
        if m: cur=m.group(1); res[cur]={'ok':0,'nok':0,'skip':0,'timing':'','s2':''}; continue
        if ln.startswith('@@@ END vmm:'): cur=None; continue
        if not cur: continue
        if re.match(r'^ok \d+',ln):
            if '# SKIP' in ln: res[cur]['skip']+=1
            else: res[cur]['ok']+=1
        elif re.match(r'^not ok \d+',ln): res[cur]['nok']+=1
        elif ln.startswith('# timing:'): res[cur]['timing']=ln[len('# timing: '):]
        elif ln.startswith('# stage-2'): res[cur]['s2']=ln[2:]
    return res
ours=info(sys.argv[1]); peer=info(sys.argv[2]) if len(sys.argv)>2 else {}
print('| case | host kernel | result | timings |')
print('|---|---|---|---|')
for case in ['accel-one-smmu','accel-two-smmus','memfd','hugetlbfs','guest-fault','hotplug','cmdqv-refused']:
    for name,r in (('this series (6.12.117)',ours),('Linux 7.3 (peer)',peer)):
        d=r.get(case)
        if not d: print(f'| {case} | {name} | not run | - |'); continue
        st='pass' if d['nok']==0 and d['ok']>0 else 'FAIL'
        print(f"| {case} | {name} | {st}: {d['ok']} ok, {d['nok']} not ok, {d['skip']} skip | {d['timing']}; {d['s2']} |")


def uapi_rows(log):
    """The vmm:uapi-vs-mainline rows: name -> (pass, what the kernel answered)."""
    rows={}
    inside=False
    for ln in open(log,errors='replace'):
        ln=TS.sub('',ln.rstrip('\r\n'))
        if ln.startswith('@@@ BEGIN vmm:uapi-vs-mainline'): inside=True; continue
        if ln.startswith('@@@ END vmm:'): inside=False; continue
        m=re.match(r'^(not )?ok \d+ - (\S+) # \w+: ([^(,]+)',ln) if inside else None
        if m: rows[m.group(2)]=(m.group(1) is None, m.group(3).strip())
    return rows


TS=re.compile(r'^\[\s*\d+\.\d+\]\s?')
ou=uapi_rows(sys.argv[1]); pu=uapi_rows(sys.argv[2]) if len(sys.argv)>2 else {}
if ou or pu:
    print()
    print('| uapi-vs-mainline row | this series | Linux 7.3 (peer) |')
    print('|---|---|---|')
    for row in list(ou)+[r for r in pu if r not in ou]:
        cell=lambda r: ('as documented: ' if r[0] else 'NOT as documented: ')+r[1] if r else 'not run'
        print(f'| {row} | {cell(ou.get(row))} | {cell(pu.get(row))} |')
