// support-backend [--host 127.0.0.1] [--port 8090] [--api-key KEY] [--data DIR]
// A thin main: parse arguments, run `ReferenceBackend`, stop on SIGINT/SIGTERM.
import Dispatch
import Glibc
import HostNet
import ReferenceBackend

/// One line to stderr (write(2): the C `stderr` global is not concurrency-safe in Swift 6).
func complain(_ line: String) {
    let bytes = Array("support-backend: \(line)\n".utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    complain("\(message) (usage: support-backend [--host HOST] [--port PORT] [--api-key KEY] [--data DIR])")
    exit(2)
}

// Whoever started us may have had SIGINT/SIGTERM blocked (children inherit the mask): unblock
// them before any thread exists, or the loop's signal watchers never fire.
var shutdownSignals = sigset_t()
sigemptyset(&shutdownSignals)
sigaddset(&shutdownSignals, SIGINT)
sigaddset(&shutdownSignals, SIGTERM)
pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)

var configuration = ReferenceBackend.Configuration()
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    if flag == "--help" || flag == "-h" {
        print("usage: support-backend [--host 127.0.0.1] [--port 8090] [--api-key KEY] [--data DIR]")
        exit(0)
    }
    guard ["--host", "--port", "--api-key", "--data"].contains(flag) else { fail("unknown option \(flag)") }
    guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
    switch flag {
    case "--host": configuration.host = value
    case "--port":
        guard let port = Int(value), (0...65_535).contains(port) else { fail("--port must be 0-65535, got \(value)") }
        configuration.port = port
    case "--api-key":
        guard !value.isEmpty else { fail("--api-key must not be empty") }
        configuration.apiKey = value
    case "--data": configuration.dataDirectory = value
    default: fail("unknown option \(flag)")   // unreachable: checked above
    }
}

let backend = ReferenceBackend(configuration: configuration)
let port: Int
do {
    port = try backend.start()
} catch {
    complain("cannot start: \(error)")
    exit(1)
}

// Signals are watched on the loop (uv_signal_t), not in a C signal handler.
let terminated = DispatchSemaphore(value: 0)
let loop = backend.eventLoop!
// Either signal closes both watchers: each one's handler holds it, so the one left open was
// never freed (LeakSanitizer reported it at every exit).
loop.execute {
    let watchers = [SIGINT, SIGTERM].map { signal in (signal, LoopSignal(loop: loop)) }
    for (signal, watcher) in watchers {
        watcher.start(signal: signal) { _ in
            for (_, watcher) in watchers { watcher.close() }
            terminated.signal()
        }
    }
}

print("support-backend listening on http://\(configuration.host):\(port)")
fflush(nil)   // all streams: the line must reach a pipe now, not at exit
terminated.wait()
backend.stop()
