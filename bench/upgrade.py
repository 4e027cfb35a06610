#!/usr/bin/env python3
"""Upgrade under load (docs/benchmarks.md, "Upgrade under load"; docs/operations.md).

Starts redis-server and `agent-host serve` with one tenant whose entry agent is a C plugin built
twice from the echo-agent fixture: v1 answers "v1 heard: …", v2 "v2 heard: …" (versions 1.0.0 and
2.0.0). The plugin runs isolated (one runner process per build). While chat sessions arrive
continuously (each a few turns, then `{"session_id":…,"end":true}`) and voice calls run
(`agent-host call --say "What is my balance?"`), the deployed file is replaced by v2 and the host
gets SIGHUP. Then v1 is put back and reloaded again (rollback).

It checks, and prints: no failed or dropped session; every session's replies come from the
version its `session` event names; sessions live when the reload finished stayed on v1; sessions
started after it are on v2; v1's runner process exits once the last v1 session has ended; after
the rollback new sessions are v1 again.

  bench/upgrade.py [--build DIR] [--workers N] [--turns T] [--before S] [--after S] [--json]

Standard library only; needs redis-server, redis-cli, cc, and the built binaries. Exit status 1
when any check fails.
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hardening import Redis, free_port, http, wait_until  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "PluginABITests", "Fixtures")
AGENT = "com.agenthost.fixtures.echo-agent"
ADMIN_KEY = "upgrade-bench-key"


def build_agent(version, workdir):
    """The echo-agent fixture as version `version`, replying "v<major> heard: …"."""
    sources = tempfile.mkdtemp(dir=workdir, prefix=f"echo-{version}-")
    shutil.copy(os.path.join(FIXTURES, "plugins", "fixture_common.h"), sources)
    with open(os.path.join(FIXTURES, "plugins", "agent_fixture.c")) as f:
        text = f.read()
    major = version.split(".")[0]
    text = text.replace('.version = "1.0.0"', f'.version = "{version}"').replace('"You said: "', f'"v{major} heard: "')
    source = os.path.join(sources, "echo.c")
    with open(source, "w") as f:
        f.write(text)
    output = os.path.join(workdir, f"libEchoAgent-{version}.so")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-fvisibility=hidden",
                    "-I", os.path.join(FIXTURES, "abi-1.0", "include"), "-I", sources, "-o", output, source], check=True)
    return output


def deploy(built, deployed):
    """Replaces the deployed file the way a deploy tool does: a new file renamed over the old."""
    target = os.path.join(deployed, "libEchoAgent.so")
    shutil.copy(built, target + ".tmp")
    os.chmod(target + ".tmp", 0o755)
    os.rename(target + ".tmp", target)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class UpgradeHost:
    def __init__(self, build, workdir, redis, deployed):
        self.build = build
        self.port, self.admin_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin = f"http://127.0.0.1:{self.admin_port}"
        key_hash = "sha256:" + hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
        config = (f"server:\n  host: 127.0.0.1\n  port: {self.port}\n  drain_deadline_seconds: 30\n"
                  f"redis:\n  url: \"{redis.url}\"\n  journal_path: \"{os.path.join(workdir, 'journal.log')}\"\n"
                  f"plugins:\n  directories: [\"{deployed}\"]\n  cache_directory: \"{os.path.join(workdir, 'cache')}\"\n"
                  f"default_tenant: shop\ntenants:\n  - id: shop\n    entry_agent: {AGENT}\n"
                  f"    plugins: [{{id: {AGENT}, isolation: process}}]\n"
                  f"    limits: {{max_concurrent_sessions: 5000, max_sessions_per_caller: 50}}\n"
                  f"admin:\n  host: 127.0.0.1\n  port: {self.admin_port}\n  api_keys: [\"{key_hash}\"]\n")
        path = os.path.join(workdir, "upgrade.yaml")
        with open(path, "w") as f:
            f.write(config)
        self.log_path = os.path.join(workdir, "host.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([os.path.join(build, "agent-host"), "serve", "--config", path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_until(lambda: http("GET", self.url + "/ready")[0] == 200, timeout=120):
            raise SystemExit(f"agent-host serve did not become ready; log: {self.log_path}")

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def reload(self):
        """SIGHUP, then waits for the reload's log line; returns (sent, applied) times."""
        before = self.log_text().count("[reload] ")
        sent = time.time()
        self.proc.send_signal(signal.SIGHUP)
        if not wait_until(lambda: self.log_text().count("[reload] ") > before, timeout=120, step=0.01):
            raise SystemExit("no reload line in the host's log")
        applied = time.time()
        line = [l for l in self.log_text().splitlines() if "[reload] " in l][-1]
        if "applied" not in line:
            raise SystemExit(f"reload refused: {line}")
        return sent, applied, line

    def plugin_files(self):

        request = urllib.request.Request(self.admin + "/admin/v1/plugins", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read()).get("files", [])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Load:
    """Chat sessions back to back on `workers` threads: each `turns` turns, then an explicit end."""

    def __init__(self, host, workers, turns, gap):
        self.host, self.workers, self.turns, self.gap = host, workers, turns, gap
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sessions = []  # dicts: started, ended, version, replies, ok, error
        self.threads = []

    def one_session(self, caller):
        record = {"started": time.time(), "version": None, "reply_versions": [], "ok": False, "error": None}
        session = None
        for turn in range(self.turns):
            body = {"caller": caller, "text": f"turn {turn + 1} of the order question"}
            if session:
                body["session_id"] = session
            status, reply = http("POST", self.host.url + "/v1/chat", body)
            events = reply.get("events", [])
            if status != 200 or not any(e.get("type") == "turn_end" for e in events):
                record["error"] = f"turn {turn + 1}: status {status} {reply.get('error', '')}"
                break
            session = reply.get("session_id")
            for event in events:
                if event.get("type") == "session":
                    record["version"] = event.get("plugins", {}).get(AGENT)
                if event.get("type") == "agent":
                    record["reply_versions"].append(event.get("text", "")[:2])
            time.sleep(self.gap)
        if session and record["error"] is None:
            status, reply = http("POST", self.host.url + "/v1/chat", {"caller": caller, "session_id": session, "end": True})
            if status != 200:
                record["error"] = f"end: status {status} {reply}"
        record["ended"] = time.time()
        expected = "v" + (record["version"] or "?").split(".")[0]
        if record["error"] is None:
            if len(record["reply_versions"]) != self.turns:
                record["error"] = f"{len(record['reply_versions'])} replies for {self.turns} turns"
            elif any(v != expected for v in record["reply_versions"]):
                record["error"] = f"session on {record['version']} answered {record['reply_versions']}"
        record["ok"] = record["error"] is None
        with self.lock:
            self.sessions.append(record)

    def worker(self, number):
        # Staggered starts: workers started together with sessions of equal length stay in
        # lockstep, so every session can end and the next begin inside one short reload window,
        # leaving none live across it. Offsets of a fraction of a session keep some always live.
        if self.stop.wait(number * self.turns * self.gap / self.workers):
            return
        n = 0
        while not self.stop.is_set():
            self.one_session(f"+1558{number:02d}{n:05d}")
            n += 1

    def start(self):
        self.threads = [threading.Thread(target=self.worker, args=(w,)) for w in range(self.workers)]
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def call(build, url, caller, out):
    """One voice call; appends {started, ended, version, reply, ok, error} to `out`."""
    started = time.time()
    result = subprocess.run([os.path.join(build, "agent-host"), "call", "--say", "What is my balance?", "--url", url,
                             "--caller", caller, "--json"], capture_output=True, text=True, timeout=300)
    events = []
    for line in result.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    version = next((e.get("plugins", {}).get(AGENT) for e in events if e.get("type") == "session"), None)
    replies = [e.get("text", "") for e in events if e.get("type") == "agent"]
    error = None
    if result.returncode != 0:
        error = f"exit {result.returncode}: {result.stderr.strip()[-300:]}"
    elif not replies:
        error = "no agent reply"
    elif any(r[:2] != "v" + (version or "?").split(".")[0] for r in replies):
        error = f"call on {version} answered {replies}"
    out.append({"started": started, "ended": time.time(), "version": version, "reply": replies[0] if replies else "",
                "ok": error is None, "error": error})


def run(args):
    build = os.path.abspath(args.build)
    workdir = tempfile.mkdtemp(prefix="agent-host-upgrade-")
    redis = Redis(workdir)
    redis.start()
    host = None
    checks = []

    def check(name, passed, detail=""):
        checks.append({"check": name, "passed": bool(passed), "detail": detail})

    try:
        v1, v2 = build_agent("1.0.0", workdir), build_agent("2.0.0", workdir)
        deployed = os.path.join(workdir, "deployed")
        os.makedirs(deployed)
        os.chmod(deployed, 0o755)
        deploy(v1, deployed)
        host = UpgradeHost(build, workdir, redis, deployed)
        v1_sha, v2_sha = sha256(v1), sha256(v2)

        load = Load(host, args.workers, args.turns, args.gap)
        calls = []
        call_threads = []

        def start_call():
            thread = threading.Thread(target=call, args=(build, host.url, f"+15559{len(call_threads):06d}", calls))
            thread.start()
            call_threads.append(thread)

        load.start()
        start_call()
        time.sleep(args.before)
        v1_runner = next((r.get("pid") for f in host.plugin_files() if f["sha256"] == v1_sha for r in f.get("runners", [])), None)
        start_call()
        time.sleep(0.5)
        deploy(v2, deployed)
        exited = {}

        def watch_runner():
            while v1_runner and os.path.exists(f"/proc/{v1_runner}") and time.time() - sent < 300:
                time.sleep(0.005)
            exited["at"] = time.time()

        sent = time.time()
        watcher = threading.Thread(target=watch_runner)
        watcher.start()
        sent, applied, line = host.reload()
        start_call()
        time.sleep(args.after)
        load.finish()
        for t in call_threads:
            t.join()
        last_v1_end = max((s["ended"] for s in load.sessions + calls if s["version"] == "1.0.0"), default=None)
        watcher.join()
        gone = v1_runner is not None and not os.path.exists(f"/proc/{v1_runner}")
        runner_exit = exited["at"]
        files_after = host.plugin_files()
        v1_listed = [f for f in files_after if f["sha256"] == v1_sha]

        # Rollback: v1 back, reload; new sessions are v1 again (its copy is reused, not loaded anew).
        deploy(v1, deployed)
        _, _, back_line = host.reload()
        rollback = Load(host, args.workers, args.turns, args.gap)
        rollback.start()
        time.sleep(args.after / 2)
        rollback.finish()
        rollback_calls = []
        call(build, host.url, "+15559900000", rollback_calls)

        sessions = load.sessions
        before = [s for s in sessions if s["ended"] < sent]
        during = [s for s in sessions if s["started"] < applied and s["ended"] >= sent]
        live_at_finish = [s for s in sessions if s["started"] < sent and s["ended"] > applied]
        after = [s for s in sessions if s["started"] >= applied]
        failed = [s for s in sessions + calls + rollback.sessions + rollback_calls if not s["ok"]]
        def versions(group):
            counts = {}
            for s in group:
                counts[s["version"]] = counts.get(s["version"], 0) + 1
            return counts

        summary = {
            "build": build,
            "load": {"workers": args.workers, "turns_per_session": args.turns, "gap_s": args.gap,
                     "sessions_per_s": round(len(sessions) / max(max(x["ended"] for x in sessions) - min(x["started"] for x in sessions), 1e-3), 2)
                     if sessions else 0},
            "reload_s": round(applied - sent, 3),
            "reload_line": line.split("[reload] ", 1)[-1],
            "sessions": {"total": len(sessions), "before": len(before), "during": len(during), "after": len(after),
                         "live_at_reload_finish": len(live_at_finish)},
            "versions": {"before": versions(before), "live_at_reload_finish": versions(live_at_finish), "after": versions(after)},
            "calls": [{k: c[k] for k in ("version", "reply", "ok", "error")} | {"live_at_reload": c["started"] < sent and c["ended"] > applied}
                      for c in calls],
            "failed": [{k: s.get(k) for k in ("version", "error")} for s in failed],
            "v1_runner_pid": v1_runner,
            "v1_runner_exit_after_last_v1_session_s": round(runner_exit - last_v1_end, 3) if (gone and last_v1_end) else None,
            "last_v1_session_end_after_reload_s": round(last_v1_end - applied, 3) if last_v1_end else None,
            "v1_listed_after": [{k: f.get(k) for k in ("live_sessions", "runners", "serving_new_sessions")} for f in v1_listed],
            "rollback": {"line": back_line.split("[reload] ", 1)[-1],
                         "sessions": len(rollback.sessions), "versions": versions(rollback.sessions + rollback_calls)},
        }
        check("no failed or dropped session or call", not failed, f"{len(failed)} failed")
        check("sessions live at the reload finish stayed on v1",
              live_at_finish and all(s["version"] == "1.0.0" for s in live_at_finish), str(versions(live_at_finish)))
        check("sessions started after the reload are on v2", after and all(s["version"] == "2.0.0" for s in after), str(versions(after)))
        check("a voice call live at the reload stayed on v1",
              any(c["version"] == "1.0.0" and c["started"] < sent and c["ended"] > applied for c in calls),
              str([(c["version"], round(c["started"] - sent, 1), round(c["ended"] - applied, 1)) for c in calls]))
        check("a voice call after the reload is on v2", any(c["version"] == "2.0.0" and c["started"] >= applied for c in calls))
        check("v1's runner process exited once the last v1 session ended (not before the reload finished)",
              v1_runner and gone and last_v1_end and runner_exit > applied and runner_exit - last_v1_end < 5,
              f"pid {v1_runner}, exit {runner_exit - applied:.3f} s after the reload, last v1 session ended {last_v1_end - applied:.3f} s after it")
        check("v1 no longer listed by GET /admin/v1/plugins", not v1_listed, str(v1_listed))
        check("rollback: new sessions are v1 again", rollback.sessions and all(s["version"] == "1.0.0" for s in rollback.sessions + rollback_calls),
              str(versions(rollback.sessions + rollback_calls)))
        check("rollback reused v1's private copy", "loaded (sha256" not in back_line, back_line)
        summary["checks"] = checks
        return summary
    finally:
        if host:
            host.stop()
        redis.kill()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_build = os.path.join(ROOT, ".build", "release")
    if not os.path.exists(os.path.join(default_build, "agent-host")):
        default_build = os.path.join(ROOT, ".build", "debug")
    parser.add_argument("--build", default=default_build, help="directory with agent-host (default .build/release, else .build/debug)")
    parser.add_argument("--workers", type=int, default=6, help="concurrent chat sessions (each back to back)")
    parser.add_argument("--turns", type=int, default=3, help="turns per chat session")
    parser.add_argument("--gap", type=float, default=0.4, help="seconds between a session's turns")
    parser.add_argument("--before", type=float, default=4, help="seconds of load before the upgrade")
    parser.add_argument("--after", type=float, default=6, help="seconds of load after it")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (host log, config)")
    args = parser.parse_args()
    summary = run(args)
    if args.json:
        print(json.dumps(summary))
    else:
        s = summary
        print(f"load: {s['load']['workers']} workers, {s['load']['turns_per_session']} turns per session, "
              f"{s['load']['sessions_per_s']} sessions/s; build {s['build']}")
        print(f"reload (SIGHUP to applied): {s['reload_s']} s: {s['reload_line']}")
        print(f"sessions: {s['sessions']['total']} total; before {s['sessions']['before']} {s['versions']['before']}; "
              f"during {s['sessions']['during']} (live at the reload finish {s['sessions']['live_at_reload_finish']} "
              f"{s['versions']['live_at_reload_finish']}); after {s['sessions']['after']} {s['versions']['after']}")
        for c in s["calls"]:
            print(f"voice call: {c['version']} {'live at reload, ' if c['live_at_reload'] else ''}replied {c['reply']!r} "
                  f"{'ok' if c['ok'] else c['error']}")
        print(f"failed or dropped: {len(s['failed'])} {s['failed'] if s['failed'] else ''}")
        print(f"last v1 session (chat or call) ended {s['last_v1_session_end_after_reload_s']} s after the reload finished; "
              f"v1 runner pid {s['v1_runner_pid']} exited {s['v1_runner_exit_after_last_v1_session_s']} s after that")
        print(f"rollback: {s['rollback']['line']}; new sessions {s['rollback']['sessions']} + 1 call: {s['rollback']['versions']}")
        for c in s["checks"]:
            print(f"  [{'ok' if c['passed'] else 'FAIL'}] {c['check']}{'' if c['passed'] else ': ' + c['detail']}")
    return 0 if all(c["passed"] for c in summary["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
