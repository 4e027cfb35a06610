import Synchronization

/// An HTTP client running curl's multi interface on an `EventLoop` (never `curl_easy_perform`).
/// Every method is thread-safe; work hops to the loop with `execute`. Completions run on the loop
/// thread, exactly once per `send`, and must not block.
public final class HTTPClient: Sendable {
    public let loop: EventLoop
    private let driver = Driver()
    private let lastID = Atomic<UInt64>(0)

    public init(loop: EventLoop) {
        self.loop = loop
    }

    deinit { close() }

    /// Starts `request`; returns its id for `cancel`.
    @discardableResult
    public func send(_ request: ClientRequest, completion: @escaping @Sendable (ClientResult) -> Void) -> UInt64 {
        let id = lastID.add(1, ordering: .relaxed).newValue
        start(id, request, completion)
        return id
    }

    /// Completes request `id` with a `.cancelled` error, unless it already completed.
    public func cancel(_ id: UInt64) {
        let driver = self.driver
        loop.execute { driver.multi(self.loop)?.cancel(id) }
    }

    /// [async] Sends `request`; cancelling the task cancels the request.
    public func send(_ request: ClientRequest) async throws(ClientError) -> ClientResponse {
        let id = lastID.add(1, ordering: .relaxed).newValue
        // The state orders cancellation against starting: a cancel that arrives first wins.
        let state = Mutex<(started: Bool, cancelled: Bool)>((false, false))
        let result: ClientResult = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let go = state.withLock { state in
                    state.started = !state.cancelled
                    if state.started { start(id, request) { continuation.resume(returning: $0) } }
                    return state.started
                }
                if !go { continuation.resume(returning: .failure(ClientError(kind: .cancelled, message: "task cancelled"))) }
            }
        } onCancel: {
            state.withLock { state in
                state.cancelled = true
                if state.started { cancel(id) }
            }
        }
        return try result.get()
    }

    /// Cancels whatever is in flight and releases curl; later sends fail with `.cancelled`.
    public func close() {
        let driver = self.driver   // not `self`: this also runs from deinit
        loop.execute { driver.shutdown() }
    }

    private func start(_ id: UInt64, _ request: ClientRequest, _ completion: @escaping @Sendable (ClientResult) -> Void) {
        let driver = self.driver
        let loop = self.loop
        let accepted = loop.execute {
            guard let multi = driver.multi(loop) else {
                return completion(.failure(ClientError(kind: .cancelled, message: "client closed")))
            }
            multi.start(id: id, request: request, completion: completion)
        }
        if !accepted { completion(.failure(ClientError(kind: .other, message: "event loop \(loop.name) is not running"))) }
    }
}

/// Loop-thread state: the curl driver, created on first use (its uv handles must be made on the loop).
private final class Driver: @unchecked Sendable {
    // @unchecked: touched only inside `loop.execute` closures.
    private var current: CurlMulti?
    private var closed = false

    func multi(_ loop: EventLoop) -> CurlMulti? {
        guard !closed else { return nil }
        if current == nil { current = CurlMulti(loop: loop) }
        return current
    }

    func shutdown() {
        closed = true
        current?.shutdown()
        current = nil
    }
}
