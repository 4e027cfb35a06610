#!/usr/bin/env python3
"""Fault and soak figures for `agent-host serve` (docs/benchmarks.md, "Hardening").

Each scenario starts its own redis-server, support-backend and `agent-host serve` on free
loopback ports, drives them the way a caller or an operator would (curl-like HTTP, raw sockets,
signals), and prints what survived. It takes any build directory, so the same command measures
an older commit ("before") and this one ("after").

  bench/hardening.py [--build DIR] durability      records kept: Redis down, drain, SIGKILL
  bench/hardening.py [--build DIR] leak            sessions left by sockets gone while opening
  bench/hardening.py [--build DIR] huge-text       /health latency while 980 KB chat texts arrive
  bench/hardening.py [--build DIR] soak [--minutes M] [--chat-rate R] [--calls N]
                                                   host RSS over M minutes of chat and voice sessions

Standard library only; needs redis-server, redis-cli and the built binaries.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout=15.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Redis:
    def __init__(self, workdir):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=workdir, prefix="redis-")
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--logfile", os.path.join(self.dir, "log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(lambda: self.cli("PING") == "PONG"):
            raise SystemExit("redis-server did not start")

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def cli(self, *args):
        try:
            out = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=5)
            return out.stdout.strip()
        except subprocess.TimeoutExpired:
            return ""

    def session_ids(self, caller):
        raw = self.cli("GET", f"support:session:demo:{caller}")
        if not raw:
            return []
        try:
            return [i.get("session_id") for i in json.loads(raw).get("interactions", [])]
        except ValueError:
            return []


class Backend:
    def __init__(self, build, workdir):
        self.port = free_port()
        data = tempfile.mkdtemp(dir=workdir, prefix="backend-")
        self.proc = subprocess.Popen([os.path.join(build, "support-backend"), "--port", str(self.port), "--data", data,
                                      "--api-key", "demo-key"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(lambda: http("GET", f"http://127.0.0.1:{self.port}/health")[0] == 200):
            raise SystemExit("support-backend did not start (check its flags: support-backend --help)")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Host:
    TOOLS = ["lookup-order", "check-billing", "process-refund", "create-payment-plan", "search-faq", "escalate-to-human"]

    def __init__(self, build, workdir, redis, backend, journal, drain_seconds=30, extra_server=""):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        plugins = ["com.agenthost.support.triage", "com.agenthost.support.billing", "com.agenthost.support.refund",
                   "com.agenthost.support.faq"] + [f"com.agenthost.commerce.{t}" for t in self.TOOLS]
        settings = "".join(f'      com.agenthost.commerce.{t}: {{backend_url: "{backend.url}", api_key: "demo-key"}}\n'
                           for t in self.TOOLS)
        config = (f"server:\n  host: 127.0.0.1\n  port: {self.port}\n  drain_deadline_seconds: {drain_seconds}\n{extra_server}"
                  f"redis:\n  url: \"{redis.url}\"\n  journal_path: \"{journal}\"\n"
                  f"plugins:\n  directories: [\"{build}\"]\ndefault_tenant: demo\ntenants:\n  - id: demo\n"
                  f"    entry_agent: com.agenthost.support.triage\n    plugins: [{', '.join(plugins)}]\n"
                  f"    limits: {{max_concurrent_sessions: 5000}}\n    settings:\n{settings}")
        path = os.path.join(workdir, f"host-{self.port}.yaml")
        with open(path, "w") as f:
            f.write(config)
        self.log = open(os.path.join(workdir, f"host-{self.port}.log"), "w")
        self.proc = subprocess.Popen([os.path.join(build, "agent-host"), "serve", "--config", path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_until(lambda: http("GET", self.url + "/ready")[0] == 200, timeout=60):
            raise SystemExit(f"agent-host serve did not become ready; log: {self.log.name}")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def signal(self, number):
        self.proc.send_signal(number)

    def wait(self, timeout=30):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def http(method, url, body=None, timeout=30):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {}
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout, ValueError):
        return 0, {}


def chat(host, caller, text, session=None):
    body = {"caller": caller, "text": text}
    if session:
        body["session_id"] = session
    return http("POST", host.url + "/v1/chat", body)


def open_sessions(host, count, prefix):
    sessions = {}
    for n in range(count):
        caller = f"+1555{prefix}{n:04d}"
        status, reply = chat(host, caller, "what's my balance")
        if status == 200:
            sessions[caller] = reply["session_id"]
    return sessions


def end_by_escalation(host, sessions, parallel=1):
    """Ends each session the way a caller can on any build: asking for a person."""
    def one(item):
        caller, session = item
        status, reply = chat(host, caller, "let me talk to a person", session)
        types = [e.get("type") for e in reply.get("events", [])]
        return status == 200 and "end" in types
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        return sum(pool.map(one, sessions.items()))


class Stack:
    """redis + backend + host in a scratch directory, torn down on exit."""

    def __init__(self, build):
        self.build = build
        self.workdir = tempfile.mkdtemp(prefix="agent-host-hardening-")
        self.redis = Redis(self.workdir)
        self.redis.start()
        self.backend = Backend(build, self.workdir)
        self.hosts = []

    def host(self, journal="journal.log", **options):
        host = Host(self.build, self.workdir, self.redis, self.backend, os.path.join(self.workdir, journal), **options)
        self.hosts.append(host)
        return host

    def close(self):
        for host in self.hosts:
            host.stop()
        self.backend.stop()
        self.redis.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def stored(stack, sessions):
    return sum(1 for caller, session in sessions.items() if session in stack.redis.session_ids(caller))


def durability(build):
    # 1. Redis killed with 50 live chat sessions, which then end.
    stack = Stack(build)
    try:
        host = stack.host(journal="outage.log")
        sessions = open_sessions(host, 50, "701")
        stack.redis.kill()
        ended = end_by_escalation(host, sessions)
        stack.redis.start()
        wait_until(lambda: stored(stack, sessions) == len(sessions), timeout=20)
        print(f"redis outage: {len(sessions)} sessions ended while redis was down ({ended} got their end); "
              f"records in redis after it returned: {stored(stack, sessions)} of {len(sessions)}")
    finally:
        stack.close()
    # 2. SIGTERM drain while Redis is down; then a host started with the same journal.
    stack = Stack(build)
    try:
        host = stack.host(journal="drain.log", drain_seconds=1)
        sessions = open_sessions(host, 10, "702")
        stack.redis.kill()
        host.signal(signal.SIGTERM)
        code = host.wait(60)
        stack.redis.start()
        stack.host(journal="drain.log")
        wait_until(lambda: stored(stack, sessions) == len(sessions), timeout=20)
        print(f"drain while redis is down: exit code {code}; records in redis after a new host started with the "
              f"journal: {stored(stack, sessions)} of {len(sessions)}")
    finally:
        stack.close()
    # 3. SIGKILL right as 20 sessions end (redis frozen, as under load: saves wait).
    for frozen in (True, False):
        stack = Stack(build)
        try:
            host = stack.host(journal="kill.log")
            sessions = open_sessions(host, 20, "703" if frozen else "704")
            if frozen:
                stack.redis.pause()
            ended = end_by_escalation(host, sessions, parallel=20)
            host.signal(signal.SIGKILL)
            host.wait(10)
            if frozen:
                stack.redis.resume()
            stack.host(journal="kill.log")
            wait_until(lambda: stored(stack, sessions) == ended, timeout=20)
            print(f"SIGKILL after {ended} sessions received their end (redis {'frozen' if frozen else 'up'}): "
                  f"records in redis after restart: {stored(stack, sessions)} of {ended}")
        finally:
            stack.close()


def handshake(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0
    return s, status


def leak(build):
    stack = Stack(build)
    try:
        host = stack.host()
        stack.redis.pause()  # the history read waits for its timeout: sockets go away before the session is theirs
        upgraded = 0
        for n in range(800):
            s, status = handshake(host.port, f"/ws/chat/%2B1555800{n:04d}")
            upgraded += status == 101
            s.close()
        for n in range(5):
            s, _ = handshake(host.port, "/ws/chat/%2B15559999999")
            s.close()
        time.sleep(1.5)
        stack.redis.resume()
        time.sleep(3)
        status, health = http("GET", host.url + "/health")
        ready, _ = http("GET", host.url + "/ready")
        again, _ = chat(host, "+15559999999", "what's my balance")
        print(f"{upgraded} chat sockets closed right after the handshake (+5 for one caller): "
              f"sessions left live {health.get('active_sessions')}; /ready {ready}; that caller's next session {again}")
    finally:
        stack.close()


def huge_text(build):
    stack = Stack(build)
    try:
        host = stack.host()
        text = ("refund my order please " * 43000)[:980_000]
        samples = []
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                started = time.time()
                http("GET", host.url + "/health", timeout=60)
                samples.append((time.time() - started) * 1000)
                time.sleep(0.01)

        watcher = threading.Thread(target=probe)
        watcher.start()
        time.sleep(0.3)
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            statuses = list(pool.map(lambda n: chat(host, f"+155570000{n:02d}", text)[0], range(5)))
        time.sleep(0.3)
        stop.set()
        watcher.join()
        samples.sort()
        print(f"5 concurrent 980 KB chat texts -> statuses {statuses}; /health latency meanwhile: "
              f"p50 {samples[len(samples) // 2]:.1f} ms, max {samples[-1]:.1f} ms ({len(samples)} probes)")
    finally:
        stack.close()


def soak(build, minutes, chat_rate, calls):
    stack = Stack(build)
    try:
        host = stack.host()
        stop = threading.Event()
        counts = {"chat": 0, "chat_failed": 0, "calls": 0, "calls_failed": 0}
        lock = threading.Lock()

        def chatter(worker):
            n = 0
            interval = 1.0 / max(chat_rate, 0.1)
            while not stop.is_set():
                started = time.time()
                caller = f"+1556{worker:02d}{n % 500:05d}"
                status, reply = chat(host, caller, "I have a question about a charge on my account")
                ok = status == 200
                if ok:
                    status, reply = http("POST", host.url + "/v1/chat",
                                         {"caller": caller, "session_id": reply["session_id"], "end": True})
                    ok = status == 200 or status == 400  # builds without "end" answer 400: the idle timeout ends it
                with lock:
                    counts["chat" if ok else "chat_failed"] += 1
                n += 1
                time.sleep(max(0, interval * 4 - (time.time() - started)))

        def caller_loop(worker):
            n = 0
            while not stop.is_set():
                result = subprocess.run([os.path.join(build, "agent-host"), "call", "--say", "What is my balance?", "--url", host.url,
                                         "--caller", f"+1557{worker:02d}{n:05d}", "--json"],
                                        capture_output=True, text=True, timeout=120)
                with lock:
                    counts["calls" if result.returncode == 0 else "calls_failed"] += 1
                n += 1

        threads = [threading.Thread(target=chatter, args=(w,)) for w in range(4)]
        threads += [threading.Thread(target=caller_loop, args=(w,)) for w in range(calls)]
        for t in threads:
            t.start()
        print(f"soak: {minutes} min, ~{chat_rate} chat sessions/s, {calls} voice calls back to back; host RSS (MiB):")
        samples = []
        started = time.time()
        while time.time() - started < minutes * 60:
            time.sleep(min(30, minutes * 60 / 10))
            rss = host.rss_kib() / 1024
            samples.append(rss)
            with lock:
                snapshot = dict(counts)
            print(f"  t={time.time() - started:6.0f} s  rss {rss:7.1f}  chat {snapshot['chat']} "
                  f"(failed {snapshot['chat_failed']})  calls {snapshot['calls']} (failed {snapshot['calls_failed']})", flush=True)
        stop.set()
        for t in threads:
            t.join()
        half = len(samples) // 2
        first, second = samples[:max(half, 1)], samples[half:]
        print(f"soak: RSS first half max {max(first):.1f} MiB, second half max {max(second):.1f} MiB, "
              f"last {samples[-1]:.1f} MiB; growth second-half vs first-half {max(second) - max(first):+.1f} MiB")
    finally:
        stack.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, ".build", "release"),
                        help="directory with agent-host, support-backend and the plugins (default .build/release)")
    parser.add_argument("scenario", choices=["durability", "leak", "huge-text", "soak"])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--chat-rate", type=float, default=20, help="chat sessions per second (soak)")
    parser.add_argument("--calls", type=int, default=4, help="concurrent voice callers (soak)")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    if args.scenario == "durability":
        durability(build)
    elif args.scenario == "leak":
        leak(build)
    elif args.scenario == "huge-text":
        huge_text(build)
    else:
        soak(build, args.minutes, args.chat_rate, args.calls)


if __name__ == "__main__":
    sys.exit(main())
