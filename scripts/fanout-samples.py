"""Counts `perf script` samples inside fan-out windows: see scripts/profile-fanout.

usage: fanout-samples.py WINDOWS_FILE SAMPLES_FILE
"""

import collections
import re
import sys

HEADER = re.compile(r"^(?P<comm>.+?)\s+(?P<pid>\d+)/\d+\s+(?P<time>[\d.]+):")
# Functions worth a line of their own in the server's breakdown.
OURS = ("lapp_", "tungstenite", "tokio::sync", "axum::", "SqliteStore", "serde", "__sys_sendto", "tcp_v4_rcv")
# The parts of a server a sample is counted to: the first whose marks are in its stack.
PARTS = (
    ("kernel send path", ("__sys_sendto",)),
    ("SQLite commit", ("SqliteStore", "sqlite3")),
    ("session actor / fan-out loop", ("lapp_server::actor::", "baseline::fan_out")),
    ("connection writers", ("write_frames",)),
    ("connection readers", ("lapp_server::connection::", "baseline::connection")),
    ("malloc and free", ("malloc", "_int_free", "unlink_chunk", "realloc", "malloc_consolidate")),
    ("tokio runtime", ("tokio::runtime::",)),
)


def read_windows(path):
    processes, windows = {}, collections.defaultdict(list)
    with open(path) as lines:
        for line in lines:
            fields = line.split()
            if fields[:1] == ["process"]:
                processes[fields[2]] = fields[1]
            elif fields[:1] == ["window"]:
                windows[fields[1]].append((int(fields[2]) / 1e9, int(fields[3]) / 1e9))
    return processes, windows


def samples(path):
    """(pid, time, frames leaf first) for every sample."""
    head, frames = None, []
    with open(path) as lines:
        for line in lines:
            if not line.strip():
                if head:
                    yield head[0], head[1], frames
                head, frames = None, []
            elif line[0] not in " \t":
                match = HEADER.match(line)
                head = (match["pid"], float(match["time"])) if match else None
                frames = []
            elif head:
                parts = line.strip().split(" ", 1)
                frames.append(parts[1] if len(parts) > 1 else "?")
    if head:
        yield head[0], head[1], frames


def main(windows_path, samples_path):
    processes, windows = read_windows(windows_path)
    which = {"lapp": "server", "bare": "bare server", "driver": "driver"}
    per_process = collections.Counter()
    functions = collections.defaultdict(collections.Counter)
    parts = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    for pid, time, frames in samples(samples_path):
        for kind, spans in windows.items():
            if any(start <= time <= end for start, end in spans):
                role = "idle" if pid == "0" else which.get(processes.get(pid), "other")
                per_process[(kind, role)] += 1
                totals[kind] += 1
                if role in ("server", "bare server"):
                    for name in set(frames):
                        functions[kind][name] += 1
                    stack = "\n".join(frames)
                    part = next((part for part, marks in PARTS if any(mark in stack for mark in marks)), "other")
                    parts[kind][part] += 1
                break
    for kind, spans in sorted(windows.items()):
        length = sum(end - start for start, end in spans)
        print(f"{kind}: {len(spans)} windows, {length * 1000:.0f} ms in all, {totals[kind]} samples")
        for (counted, role), count in sorted(per_process.items()):
            if counted == kind:
                print(f"  {role:12} {count:7}")
        server = sum(count for (counted, role), count in per_process.items()
                     if counted == kind and role in ("server", "bare server"))
        if parts[kind]:
            print("  server samples by part:")
            for part, _ in PARTS + (("other", ()),):
                print(f"    {part:30} {parts[kind][part]:7}")
        shown = [(count, name) for name, count in functions[kind].items()
                 if any(mark in name for mark in OURS) and count >= 0.01 * max(server, 1)]
        if shown:
            print("  server functions (inclusive, share of the server's samples):")
            for count, name in sorted(shown, reverse=True)[:25]:
                print(f"    {100 * count / server:5.1f} %  {name[:100]}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
