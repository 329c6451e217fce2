"""What every benchmark script reports about the machine: progress lines, the CPU, the load of other processes."""

from __future__ import annotations

import os
import platform
import resource
import sys
import threading
import time

import numpy as np
import psutil

_local = threading.local()


def log(message: str) -> None:
    """A progress line on stderr (the result table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def cpu_model() -> str:
    """The CPU's model name."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_snapshot():
    """(wall, CPU-seconds all processes spent busy, of which steal, CPU-seconds of this process and its children).

    The children are those that ended and those still running (a process pool's or a local cluster's workers).
    """
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, _, _, irq, softirq, steal = fields
    tick = os.sysconf("SC_CLK_TCK")
    own = sum(
        getattr(resource.getrusage(who), attr)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for attr in ("ru_utime", "ru_stime")
    )
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        own += times.user + times.system
    return time.perf_counter(), (user + nice + system + irq + softirq) / tick, steal / tick, own


def other_load(start, end) -> float:
    """Cores kept busy by other processes (or stolen by the hypervisor) between two snapshots."""
    wall = end[0] - start[0]
    others = (end[1] - start[1]) - (end[3] - start[3])
    return (max(others, 0.0) + (end[2] - start[2])) / wall


def shared_array(spec) -> np.ndarray:
    """An array itself (thread pool) or a ``(path, shape)`` float32 shared-memory file (process pool), mapped once per thread."""
    if isinstance(spec, np.ndarray):
        return spec
    cache = _local.__dict__.setdefault("memmaps", {})
    path, shape = spec
    if path not in cache:
        cache[path] = np.memmap(path, dtype=np.float32, mode="r+", shape=shape)
    return cache[path]
