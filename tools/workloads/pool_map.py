#!/usr/bin/env python3
"""The suite's workload on Python's multiprocessing.Pool.map with a chunksize argument.

Each item runs --work iterations of integer arithmetic (about 0.1 us each in CPython). Prints
the suite's line: workload= items= jobs= chunksize= kind=processes schedule=fixed checksum=
seconds= items_per_s=. --jobs 0 runs the items in a plain loop, with no pool: the serial
baseline. AMZ_JOBS and AMZ_CHUNKSIZE set the defaults of --jobs and --chunksize.
"""
import argparse
import multiprocessing
import os
import sys
import time
import zlib

WORK = 1500


def item(i):
    x = i + 1
    for _ in range(WORK):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
    return x


def count(text, least):
    value = int(text)
    if value < least:
        raise argparse.ArgumentTypeError(f"{text} is less than {least}")
    return value


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=lambda s: count(s, 0), default=2000)
    p.add_argument("--jobs", type=lambda s: count(s, 0),
                   default=int(os.environ.get("AMZ_JOBS", os.cpu_count() or 1)))
    p.add_argument("--chunksize", type=lambda s: count(s, 1),
                   default=int(os.environ.get("AMZ_CHUNKSIZE", "1")))
    p.add_argument("--work", type=lambda s: count(s, 0), default=WORK)
    return p.parse_args()


def set_work(work):
    global WORK
    WORK = work


def main():
    args = parse()
    set_work(args.work)
    start = time.monotonic()
    if args.jobs == 0:
        results = [item(i) for i in range(args.items)]
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.jobs, initializer=set_work, initargs=(args.work,)) as pool:
            results = pool.map(item, range(args.items), chunksize=args.chunksize)
    seconds = time.monotonic() - start
    checksum = zlib.crc32(b"".join(r.to_bytes(4, "little") for r in results))
    rate = args.items / seconds if seconds > 0 else 0
    print(f"workload=pool_map items={args.items} jobs={args.jobs} chunksize={args.chunksize} "
          f"kind=processes schedule=fixed checksum={checksum:08x} seconds={seconds:.6f} "
          f"items_per_s={rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
