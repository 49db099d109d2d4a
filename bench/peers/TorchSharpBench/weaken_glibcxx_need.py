#!/usr/bin/python3
"""Mark one version requirement (default GLIBCXX_3.4.32) of an ELF .so as WEAK, in place.

Why: TorchSharp-cpu 0.107's libLibTorchSharp.so was linked against a newer libstdc++ and lists
GLIBCXX_3.4.32 among its needed versions, which Debian 12's libstdc++ (gcc 12) lacks, so dlopen
fails. The only symbol of that version is _ZSt21ios_base_library_initv and the library has no
relocation against it (readelf -r shows none), so nothing is ever bound to it. Setting
VER_FLG_WEAK (0x2) in the Vernaux entry makes glibc's loader treat the missing version as a
warning instead of an error (dl-version.c match_symbol). Only the copy in this project's bin/
directory is patched; the NuGet cache is untouched.
"""
import struct
import sys

path = sys.argv[1]
want = (sys.argv[2] if len(sys.argv) > 2 else "GLIBCXX_3.4.32").encode()
data = bytearray(open(path, "rb").read())
assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "expects ELF64 little-endian"
e_shoff, = struct.unpack_from("<Q", data, 0x28)
e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
sections = []
for i in range(e_shnum):
    name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
        "<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
    sections.append((typ, off, size, link, info))
SHT_GNU_verneed = 0x6FFFFFFE
patched = 0
for typ, off, size, link, info in sections:
    if typ != SHT_GNU_verneed:
        continue
    stroff = sections[link][1]

    def cstr(o):
        return bytes(data[stroff + o:data.index(b"\0", stroff + o)])

    vn = off
    for _ in range(info):
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
        aux = vn + vn_aux
        for _ in range(vn_cnt):
            hsh, flags, other, name, nxt = struct.unpack_from("<IHHII", data, aux)
            if cstr(name) == want:
                struct.pack_into("<H", data, aux + 4, flags | 0x2)
                print(f"{path}: {cstr(vn_file).decode()} {want.decode()} flags {flags:#x} -> {flags | 2:#x}")
                patched += 1
            aux += nxt
        vn += vn_next
if not patched:
    print(f"{path}: no requirement {want.decode()} found (already loadable?)")
open(path, "wb").write(data)
