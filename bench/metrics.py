"""Measurements: latency percentiles, and peak RSS sampled from process trees."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import psutil


def percentiles_ms(latencies_s: Sequence[float]) -> dict[str, float | None]:
    if not latencies_s:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None}
    values = np.asarray(latencies_s, dtype=float) * 1000.0
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
        "mean_ms": round(float(values.mean()), 1),
        "max_ms": round(float(values.max()), 1),
    }


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its living descendants."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def tree_rss(pid: int) -> int:
    """Resident set size of a process and all its descendants, in bytes (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


@dataclass
class ProcessSampler:
    """Samples the RSS of named process trees in a background thread and keeps the peaks.

    ``mark()`` starts a new window, so a level's peak is separated from the overall peak
    (which includes loading the model). It also reports the CPU seconds each tree used in
    the window: CPU time per message depends far less than latency on what the other users
    of a shared machine are doing.
    """

    pids: dict[str, int]
    interval_s: float = 0.2
    peak: dict[str, int] = field(default_factory=dict)
    window_peak: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cpu_mark: dict[str, float] = field(default_factory=dict)
    window_cpu_s: dict[str, float] = field(default_factory=dict)

    def start(self) -> ProcessSampler:
        self._cpu_mark = {name: tree_cpu_s(pid) for name, pid in self.pids.items()}
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        with self._lock:
            for name, pid in self.pids.items():
                rss = tree_rss(pid)
                self.peak[name] = max(self.peak.get(name, 0), rss)
                self.window_peak[name] = max(self.window_peak.get(name, 0), rss)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)

    def mark(self) -> dict[str, int]:
        """Return the RSS peaks since the previous mark and start a new window.

        The window's CPU seconds are left in ``window_cpu_s``.
        """
        self._sample()
        cpu = {name: tree_cpu_s(pid) for name, pid in self.pids.items()}
        with self._lock:
            window, self.window_peak = dict(self.window_peak), {}
            self.window_cpu_s = {
                name: round(cpu[name] - self._cpu_mark.get(name, 0.0), 3) for name in cpu
            }
            self._cpu_mark = cpu
        return window

    def stop(self) -> dict[str, int]:
        self._sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return dict(self.peak)


def mib(value: int | None) -> float | None:
    return None if value is None else round(value / (1024 * 1024), 1)
