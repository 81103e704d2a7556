#!/usr/bin/env python3
"""One benchmark run of Apache Libcloud's S3 driver: one operation, one process.

It takes the same flags as the Rust benchmark binary (``--client`` is accepted and ignored) and
prints the same line of JSON: the seconds the operation took, the items and bytes it moved, and
the process's peak resident set (``VmHWM`` from ``/proc/self/status``, read just before exit).

The driver is Libcloud's generic S3-compatible one (``MinIOStorageDriver``: path-style
addressing, SigV4) with its region set to the server's; everything else is Libcloud's default.
Uploads go through ``upload_object_via_stream``, which Libcloud's S3 driver always sends as a
multipart upload of 5 MiB parts, one at a time.
"""

import argparse
import json
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from libcloud.storage.base import Container, Object
from libcloud.storage.drivers.minio import MinIOStorageDriver

CHUNK = 64 * 1024
MASK = (1 << 64) - 1


def make_block():
    """64 KiB of xorshift64 output from a fixed seed: the same bytes as the Rust clients."""
    x = 0x9E3779B97F4A7C15
    words = []
    for _ in range(CHUNK // 8):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        words.append(x)
    return struct.pack("<%dQ" % len(words), *words)


BLOCK = make_block()


def chunk(index, length):
    """Chunk number ``index`` cut to ``length`` bytes: the block with the index in front."""
    tag = struct.pack("<Q", index)
    head = min(length, len(tag))
    return tag[:head] + BLOCK[head:length]


def payload(size):
    """``size`` bytes as 64 KiB chunks, generated as they are read."""
    sent = 0
    while sent < size:
        length = min(CHUNK, size - sent)
        yield chunk(sent // CHUNK, length)
        sent += length


def make_driver(args):
    url = urlparse(args.endpoint)
    driver = MinIOStorageDriver(
        args.access_key,
        args.secret_key,
        secure=url.scheme == "https",
        host=url.hostname,
        port=url.port,
    )
    # The generic driver signs for an empty region; the server answers only in its own.
    driver.region_name = args.region
    return driver


def container_of(driver, name):
    return Container(name=name, extra={}, driver=driver)


def object_of(driver, container, name):
    return Object(
        name=name,
        size=0,
        hash=None,
        extra={},
        meta_data={},
        container=container,
        driver=driver,
    )


def puts(args, concurrency):
    body = chunk(0, args.size)
    if concurrency == 1:
        driver = make_driver(args)
        container = container_of(driver, args.bucket)
        for i in range(args.count):
            driver.upload_object_via_stream(iter([body]), container, "%s%05d" % (args.prefix, i))
        return
    # Libcloud's connections are not shared between threads: one driver per thread.
    local = threading.local()

    def put(i):
        if not hasattr(local, "driver"):
            local.driver = make_driver(args)
            local.container = container_of(local.driver, args.bucket)
        local.driver.upload_object_via_stream(
            iter([body]), local.container, "%s%05d" % (args.prefix, i)
        )

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for result in [pool.submit(put, i) for i in range(args.count)]:
            result.result()


def run(args):
    """Runs the operation; returns (seconds, items, bytes)."""
    driver = make_driver(args)
    container = container_of(driver, args.bucket)
    started = time.perf_counter()
    if args.op == "upload":
        driver.upload_object_via_stream(payload(args.size), container, args.key)
        elapsed = time.perf_counter() - started
        stored = driver.get_object(args.bucket, args.key)
        driver.delete_object(stored)
        if stored.size != args.size:
            raise RuntimeError("uploaded %d bytes but %d were stored" % (args.size, stored.size))
        return elapsed, 1, args.size
    if args.op == "download":
        total = 0
        obj = object_of(driver, container, args.key)
        for data in driver.download_object_as_stream(obj):
            total += len(data)
        elapsed = time.perf_counter() - started
        if args.size is not None and total != args.size:
            raise RuntimeError("downloaded %d bytes, expected %d" % (total, args.size))
        return elapsed, 1, total
    if args.op == "list":
        listed = sum(1 for _ in driver.iterate_container_objects(container, prefix=args.prefix))
        elapsed = time.perf_counter() - started
        if args.count is not None and listed != args.count:
            raise RuntimeError("listed %d objects, expected %d" % (listed, args.count))
        return elapsed, listed, 0
    if args.op in ("put-seq", "put-par"):
        puts(args, 1 if args.op == "put-seq" else args.concurrency)
        return time.perf_counter() - started, args.count, args.size * args.count
    raise RuntimeError("unsupported operation %r" % args.op)


def peak_rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", default="libcloud-py")
    parser.add_argument("--op", required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", default="big")
    parser.add_argument("--prefix", default="list/")
    parser.add_argument("--size", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    if args.op in ("upload", "put-seq", "put-par") and args.size is None:
        parser.error("--size is required for %s" % args.op)
    if args.op in ("put-seq", "put-par") and args.count is None:
        parser.error("--count is required for %s" % args.op)
    try:
        seconds, items, moved = run(args)
    except Exception as e:  # one line on stderr and a non-zero exit, like the Rust client
        print("libcloud_bench.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "client": args.client,
                "op": args.op,
                "seconds": round(seconds, 6),
                "items": items,
                "bytes": moved,
                "peak_rss_kib": peak_rss_kib(),
            },
            separators=(",", ":"),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
