#!/usr/bin/env python3
"""Build the IORT override for the ACPI table upgrade from the guest's dump.

  patch-iort.py CONSOLE_LOG OUT_AML

CONSOLE_LOG holds the output of the guest job dump-iort: the firmware's IORT as
hex between "@@@ BEGIN iort" and "@@@ END iort rc=0 ...". Every PCI root
complex node gets the CANWBS memory access flag (IORT E.f: the root complex and
the devices behind it are coherent with write-back cacheable memory, which a
TCG root complex is), the OEM revision goes up by one so that the kernel takes
the table, and the checksum is recomputed. Anything unexpected is fatal.
"""
import re
import struct
import sys

HDR_LEN = 36
NODE_PCI_ROOT_COMPLEX = 2
RC_MEMORY_FLAGS = 23          # node offset of the memory access flags byte
MF_CANWBS = 1 << 2


def die(msg):
    sys.exit(f"patch-iort.py: error: {msg}")


def read_dump(path):
    lines = open(path, encoding="utf-8", errors="replace").read().replace("\r", "").split("\n")
    try:
        start = lines.index("@@@ BEGIN iort")
    except ValueError:
        die(f"no '@@@ BEGIN iort' in {path}")
    size, hexdata = None, []
    for line in lines[start + 1:]:
        m = re.match(r"@@@ END iort rc=(\d+)", line)
        if m:
            if m.group(1) != "0":
                die(f"the guest's dump failed (rc={m.group(1)})")
            break
        m = re.fullmatch(r"size (\d+)", line.strip())
        if m:
            size = int(m.group(1))
            continue
        h = re.sub(r"\s", "", line)
        if h and re.fullmatch(r"(?:[0-9a-f]{2})+", h):
            hexdata.append(h)
        elif line.strip():
            # Kernel messages may interleave with the dump on the console.
            print(f"patch-iort.py: skipping console line: {line!r}", file=sys.stderr)
    else:
        die(f"no '@@@ END iort' in {path} (guest died?)")
    data = bytearray.fromhex("".join(hexdata))
    if size is None or len(data) != size:
        die(f"dump has {len(data)} bytes, the guest reported {size}")
    return data


def validate(t):
    if len(t) < HDR_LEN + 12 or t[0:4] != b"IORT":
        die("not an IORT table")
    length = struct.unpack_from("<I", t, 4)[0]
    if length != len(t):
        die(f"header length {length} != {len(t)} bytes")
    if sum(t) % 256:
        die("bad checksum")
    count, offset = struct.unpack_from("<II", t, HDR_LEN)
    rcs = []
    for _ in range(count):
        if offset < HDR_LEN + 12 or offset + 3 > length:
            die(f"node offset {offset:#x} outside the table")
        ntype, nlen = struct.unpack_from("<BH", t, offset)
        if nlen < 4 or offset + nlen > length:
            die(f"node at {offset:#x}: bad length {nlen}")
        if ntype == NODE_PCI_ROOT_COMPLEX:
            if nlen <= RC_MEMORY_FLAGS:
                die(f"root complex node at {offset:#x} too short ({nlen})")
            rcs.append(offset)
        offset += nlen
    if not rcs:
        die("no PCI root complex node")
    return rcs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    t = read_dump(sys.argv[1])
    rcs = validate(t)
    for off in rcs:
        old = t[off + RC_MEMORY_FLAGS]
        t[off + RC_MEMORY_FLAGS] = old | MF_CANWBS
        print(f"root complex node at {off:#x}: memory access flags "
              f"{old:#04x} -> {t[off + RC_MEMORY_FLAGS]:#04x}", file=sys.stderr)
    oem_rev = struct.unpack_from("<I", t, 24)[0]
    struct.pack_into("<I", t, 24, (oem_rev + 1) & 0xffffffff)
    t[9] = 0
    t[9] = (-sum(t)) % 256
    validate(t)
    oem_id = t[10:16].decode("ascii", "replace")
    oem_table = t[16:24].decode("ascii", "replace")
    print(f"IORT rev {t[8]} [{oem_id}/{oem_table}] {len(t)} bytes: "
          f"OEM revision {oem_rev:#x} -> {oem_rev + 1:#x}, {len(rcs)} root complex node(s)",
          file=sys.stderr)
    with open(sys.argv[2], "wb") as f:
        f.write(t)


if __name__ == "__main__":
    main()
