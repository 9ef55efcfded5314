#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Which crc32c the guest kernel uses and how fast each implementation is.

Prints the crc32c entries of /proc/crypto (the highest priority one is what
libcrc32c's crc32c() calls), then hashes SIZE MiB through AF_ALG with each
implementation by driver name (algif_hash pins the user pages: no copy),
against the C memcpy figure mig_bench left in /tmp/svf_mig_memcpy_mbs (or
a Python copy when absent), as "# BENCH" lines.  Saving and loading each
CRC every byte once, so rate/2 bounds save+load with that implementation
whatever else the path does: the "ceiling" lines.
"""
import os
import socket
import sys
import time

SIZE = int(sys.argv[1]) if len(sys.argv) > 1 else 64
IO = 1 << 20


def crypto_entries(name):
    out, cur = [], {}
    with open("/proc/crypto") as f:
        for line in f:
            line = line.strip()
            if not line:
                if cur.get("name") == name:
                    out.append(cur)
                cur = {}
                continue
            k, _, v = line.partition(":")
            cur[k.strip()] = v.strip()
    if cur.get("name") == name:
        out.append(cur)
    return out


def alg_rate(driver, buf):
    s = socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)
    s.bind(("hash", driver))
    op, _ = s.accept()
    view = memoryview(buf)
    t = time.monotonic()
    for off in range(0, len(buf), IO):
        op.sendall(view[off:off + IO], socket.MSG_MORE)
    op.send(b"")
    digest = op.recv(4)
    t = time.monotonic() - t
    op.close()
    s.close()
    return len(buf) / 1e6 / t, digest.hex()


def memcpy_rate(buf):
    dst = bytearray(len(buf))
    best = 1e9
    for _ in range(3):
        t = time.monotonic()
        dst[:] = buf
        best = min(best, time.monotonic() - t)
    return len(buf) / 1e6 / best


def peer_rate(buf):
    try:
        with open("/tmp/svf_mig_memcpy_mbs") as f:
            return float(f.read()), "C memcpy from mig_bench"
    except (OSError, ValueError):
        return memcpy_rate(buf), "python copy"


def main():
    print("1..1")
    os.system("modprobe -q algif_hash; modprobe -q crc32c_generic; "
              "modprobe -q crc32c-intel")
    for e in crypto_entries("crc32c"):
        print(f"# crc32c impl: driver={e.get('driver')} priority={e.get('priority')} "
              f"module={e.get('module')}")
    flags = open("/proc/cpuinfo").read().split("flags", 1)[1].split("\n", 1)[0]
    print("# cpu flags: sse4_2=%s pclmulqdq=%s" %
          (" sse4_2" in flags, " pclmulqdq" in flags))
    buf = os.urandom(1 << 20) * SIZE
    mc, peer = peer_rate(buf)
    ok = True
    for drv in ("crc32c-generic", "crc32c-intel"):
        try:
            rate, dig = alg_rate(drv, buf)
        except OSError as e:
            print(f"# {drv}: unavailable ({e})")
            ok = False
            continue
        print(f"# BENCH {drv} over {SIZE}MiB (AF_ALG): ours={rate:.0f} MB/s "
              f"peer={mc:.0f} MB/s ratio={rate / mc:.3f} goal=info "
              f"(peer: {peer}; digest {dig})")
        print(f"# BENCH save+load ceiling with {drv} (2 CRC passes/byte, "
              f"no copies): ours={rate / 2:.0f} MB/s peer={mc:.0f} MB/s "
              f"ratio={rate / 2 / mc:.3f} goal=info (peer: {peer})")
    print("ok 1 crc32c implementations measured" if ok else
          "not ok 1 crc32c implementations measured")


if __name__ == "__main__":
    main()
