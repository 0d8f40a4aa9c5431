#!/usr/bin/env python3
"""How long a durable step takes right after a pairing has left its outputs unflushed.

docs/PERFORMANCE.md ("A hub", the ways around a `remove`'s floor) cites this. A pairing renames
new trusted.pem and trusted.p12 files into place without flushing them; a `remove` follows. Each
round first does what a pairing leaves (two files of the given sizes written and renamed over, not
flushed, then 10 ms for the pings between), then times one way of making a `remove` durable:

  whole   the way paird does it: both outputs written again, each fsynced, renamed, the directory
          fsynced
  twice   the same with each output written, fsynced and renamed in a thread of its own, at once
  append  one journal line appended and fdatasynced (the file's size changes)
  inplace one 4 KiB block of a preallocated, already written file overwritten and fdatasynced
          (no metadata changes)
  direct  the same block written with O_DIRECT | O_DSYNC

and, after a sync, each small step again with nothing written before it (its quiet floor).

    python3 packaging/bench/flush-probe.py DIR ROUNDS SIZE,SIZE

DIR must be on the file system to measure (the state directory's); it is left with the files.
"""
import mmap
import os
import statistics
import sys
import threading
import time

directory, rounds, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(directory, exist_ok=True)
outputs = [os.urandom(int(size)) for size in sizes.split(",")]


def path(name):
    return os.path.join(directory, name)


def sync_directory():
    fd = os.open(directory, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def replace_output(i, flush):
    fd = os.open(path(f"out{i}.tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, outputs[i])
    if flush:
        os.fsync(fd)
    os.close(fd)
    os.rename(path(f"out{i}.tmp"), path(f"out{i}"))


def replace_outputs(flush):
    for i in range(len(outputs)):
        replace_output(i, flush)
    if flush:
        sync_directory()


def replace_outputs_at_once():
    threads = [threading.Thread(target=replace_output, args=(i, True)) for i in range(len(outputs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sync_directory()


journal = os.open(path("journal"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
BLOCKS = 256
prealloc = os.open(path("prealloc"), os.O_RDWR | os.O_CREAT, 0o644)
os.write(prealloc, b"\0" * (4096 * BLOCKS))
os.fsync(prealloc)
sync_directory()
direct = os.open(path("prealloc"), os.O_RDWR | os.O_DIRECT | os.O_DSYNC)
aligned = mmap.mmap(-1, 4096)
aligned.write(b"d" * 4096)
block = [0]


def next_offset():
    block[0] = (block[0] + 1) % BLOCKS
    return block[0] * 4096


def append():
    os.write(journal, b"j" * 200 + b"\n")
    os.fdatasync(journal)


def inplace():
    os.pwrite(prealloc, b"i" * 4096, next_offset())
    os.fdatasync(prealloc)


def direct_write():
    os.pwritev(direct, [aligned], next_offset())


steps = {
    "whole": lambda: replace_outputs(True),
    "twice": replace_outputs_at_once,
    "append": append,
    "inplace": inplace,
    "direct": direct_write,
}
after, quiet = {name: [] for name in steps}, {
    name: [] for name in steps if name not in ("whole", "twice")
}


def timed(step):
    start = time.perf_counter()
    step()
    return (time.perf_counter() - start) * 1000


for _ in range(rounds):
    for name, step in steps.items():
        replace_outputs(False)
        time.sleep(0.01)  # the pings between a pairing and a remove, as bench-hub.sh has them
        after[name].append(timed(step))
    os.sync()
    for name in quiet:
        quiet[name].append(timed(steps[name]))

print(f"outputs of {sizes} bytes; medians of {rounds} rounds, ms")
for name in steps:
    line = f"  {name:8} after a pairing's outputs {statistics.median(after[name]):7.2f}"
    if name in quiet:
        line += f"   quiet {statistics.median(quiet[name]):6.2f}"
    print(line)
