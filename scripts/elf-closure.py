#!/usr/bin/env python3
"""Print the shared-library closure of an ELF program inside an unpacked root.

    elf-closure.py ROOT PROGRAM [LIBDIR ...]

PROGRAM and LIBDIRs are paths inside ROOT (LIBDIR default: the Debian multiarch
directories of aarch64). Every DT_NEEDED entry is looked up in the LIBDIRs, in order,
and followed recursively; the program itself and the dynamic loader named in its
PT_INTERP are included. The output is one ROOT-relative path per line, sorted: each
file as named (e.g. the soname link libz.so.1, in its directory resolved inside ROOT)
and the file it resolves to (an absolute link target means ROOT/target); copy them
with `cp -a` so that the links stay links. A library that cannot be found is an error: a minimal root that
lacks it would only fail later, inside the VM.
"""
import os
import subprocess
import sys

DEFAULT_LIBDIRS = ["usr/lib/aarch64-linux-gnu", "lib/aarch64-linux-gnu"]
MERGED_USR = ("bin", "sbin", "lib", "lib64")
READELF = os.environ.get("READELF", "aarch64-linux-gnu-readelf")


def elf_info(path):
    """Return (needed libraries, interpreter or None) of an ELF file."""
    out = subprocess.run([READELF, "-d", "-l", "-W", path], check=True,
                         capture_output=True, text=True).stdout
    needed, interp = [], None
    for line in out.splitlines():
        if "(NEEDED)" in line:
            needed.append(line.split("[", 1)[1].split("]", 1)[0])
        elif "[Requesting program interpreter:" in line:
            interp = line.split(":", 1)[1].strip(" ]")
    return needed, interp


def resolve(root, rel):
    """Resolve REL inside ROOT as if ROOT were /: absolute symlinks stay inside."""
    parts, done, hops = rel.strip("/").split("/"), [], 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            done = done[:-1]
            continue
        if not done and part in MERGED_USR and not os.path.lexists(os.path.join(root, part)):
            done = ["usr"]  # trixie is merged-/usr; base-files' /lib link is not unpacked
        cand = os.path.join(root, *done, part)
        if os.path.islink(cand):
            hops += 1
            if hops > 40:
                sys.exit(f"elf-closure.py: symlink loop at {rel}")
            target = os.readlink(cand)
            if target.startswith("/"):
                done = []
            parts = target.strip("/").split("/") + parts
            continue
        done.append(part)
    return "/".join(done)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, prog = sys.argv[1], sys.argv[2].lstrip("/")
    libdirs = sys.argv[3:] or DEFAULT_LIBDIRS
    found, links, todo, missing = set(), set(), [prog], []
    while todo:
        rel = todo.pop()
        real = resolve(root, rel)
        links.add(resolve(root, os.path.dirname(rel)) + "/" + os.path.basename(rel))
        if real in found:
            continue
        found.add(real)
        needed, interp = elf_info(os.path.join(root, real))
        if interp:
            todo.append(interp)
        for lib in needed:
            for d in libdirs:
                if os.path.exists(os.path.join(root, resolve(root, os.path.join(d, lib)))):
                    todo.append(os.path.join(d, lib))
                    break
            else:
                missing.append(f"{lib} (needed by {real})")
    if missing:
        sys.exit("elf-closure.py: not found in the root: " + ", ".join(missing))
    print("\n".join(sorted(found | {ln.lstrip("/") for ln in links})))


if __name__ == "__main__":
    main()
