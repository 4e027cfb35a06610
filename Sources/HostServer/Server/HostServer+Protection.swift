import HostNet

/// What keeps callers from stalling, filling or crashing the host, seen from the host: the
/// listener's connection caps and descriptor shortages (HTTPServer) and the loop-stall watchdog
/// (LoopWatchdog) report into the one logger and the one metrics registry (docs/operations.md).
extension HostServer {
    /// The HTTP configuration with its events going to the logger and metrics.
    func protectedHTTPConfiguration() -> HTTPServer.Configuration {
        let metrics = services.metrics
        let logger = services.logger
        metrics.describe("agent_host_connections_refused_total", type: "counter",
                         help: "Connections refused: global (max_connections), per_client (max_connections_per_client), emfile (no file descriptor left; accepting paused).")
        metrics.describe("agent_host_open_connections", type: "gauge", help: "Open client connections, HTTP and WebSocket.")
        for reason in ConnectionRefusal.allCases {
            metrics.increment("agent_host_connections_refused_total", by: 0, labels: ["reason": reason.rawValue])
        }
        metrics.set("agent_host_open_connections", 0)
        var http = settings.http
        http.events = HTTPServerEvents(
            connectionRefused: { reason in
                metrics.increment("agent_host_connections_refused_total", labels: ["reason": reason.rawValue])
            },
            openConnectionsChanged: { open in metrics.set("agent_host_open_connections", Double(open)) },
            log: { line in logger.log(.warning, "connections", line) })
        return http
    }

    /// A watchdog on the host's loop: every stall over the threshold is logged with what was
    /// running and counted. Nil when the loop already has one (another server on it).
    func startLoopWatchdog() -> LoopWatchdog? {
        let metrics = services.metrics
        let logger = services.logger
        metrics.describe("agent_host_loop_stalls_total", type: "counter",
                         help: "Times the event loop was busy past the stall threshold (every caller of the host waited).")
        metrics.describe("agent_host_loop_stall_seconds", type: "histogram", help: "How long each loop stall lasted.")
        metrics.increment("agent_host_loop_stalls_total", by: 0)
        let threshold = settings.loopStallThresholdMilliseconds
        let watchdog = LoopWatchdog(loop: loop, thresholdMilliseconds: threshold) { stall in
            let running = stall.activity.map { "in \($0)" } ?? "outside any route or plugin call (a timer, socket or completion callback)"
            let milliseconds = Int((stall.seconds * 1000).rounded())
            var onCPU = ""
            if let cpu = stall.cpuSeconds, cpu < stall.seconds / 2 {
                // Not the code's own work: the thread waited, for the machine or in a blocking call.
                onCPU = " (its thread ran on a CPU for only \(Int((cpu * 1000).rounded())) ms of it: it waited for a CPU on an "
                    + "overloaded machine, or blocked in a sleep, I/O or a lock)"
            }
            if stall.ongoing {
                logger.log(.error, "loop", "the event loop has been busy for \(milliseconds) ms so far \(running)\(onCPU) and has not "
                           + "returned; nothing else on this host is being served")
                return
            }
            metrics.increment("agent_host_loop_stalls_total")
            metrics.observe("agent_host_loop_stall_seconds", stall.seconds, buckets: Self.stallBuckets)
            logger.log(.warning, "loop", "the event loop stalled \(milliseconds) ms \(running)\(onCPU): every other caller waited; "
                       + "plugins must not block the session thread (docs/architecture.md, threading model); slow work belongs off the loop")
        }
        return watchdog.start() ? watchdog : nil
    }

    static let stallBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
}
