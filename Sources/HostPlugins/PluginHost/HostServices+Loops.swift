import HostNet

extension HostServices {
    /// Another loop of the host (`server.loops` > 1) with its own HTTP client: a plugin's timers
    /// and HTTP requests issued on that loop's thread run there and call back there, on the
    /// session's thread, as the ABI says ([session-thread]). Returns the loop's client; close it
    /// with `closeLoops()` before the loop stops.
    package func addLoop(_ loop: EventLoop) -> HTTPClient {
        let client = HTTPClient(loop: loop)
        otherLoops.withLock { $0.append(LoopHTTP(loop: loop, http: client)) }
        return client
    }

    /// The loop (and its HTTP client) of the calling thread when it is one of the host's loops,
    /// else the host's first loop (`loop`, `http`): calls from a plugin's own threads.
    package var callingLoop: (loop: EventLoop, http: HTTPClient?)? {
        let others = otherLoops.withLock { $0 }
        if let here = others.first(where: { $0.loop.inLoopThread }) { return (here.loop, here.http) }
        return loop.map { ($0, http) }
    }

    /// Closes the other loops' HTTP clients (in-flight requests complete). Call off the loops,
    /// before they stop.
    package func closeLoops() {
        for other in otherLoops.withLock({ loops in defer { loops.removeAll() }; return loops }) { other.http.close() }
    }
}

/// One of the host's other loops and its HTTP client.
struct LoopHTTP: Sendable {
    let loop: EventLoop
    let http: HTTPClient
}
