import CHiredis
import CLibUV
import Dispatch
import Glibc
import HostNet
import HostSupport
import Synchronization

/// One hiredis async connection driven by an `EventLoop`'s libuv loop (`redisLibuvAttach`).
///
/// Why this shape:
/// - hiredis 0.14.1 has no async timeouts, so every command gets its own `LoopTimer`; a command
///   that times out completes with `.timeout` and the connection is reset (hiredis cannot drop one
///   reply, and every later reply would queue behind the missing one).
/// - Every command completes exactly once: with the reply, `.timeout`, `.disconnected` (also when
///   hiredis flushes its callbacks with a NULL reply on disconnect) or `.closed`. The `Pending`
///   entry is removed from `commands` before its completion runs; a late reply finds nothing.
/// - hiredis is not thread-safe: every hiredis call runs on the loop thread. The public API hops
///   there through `loop.execute`, so it is callable from any thread and never re-enters hiredis
///   from inside a hiredis callback.
/// - Connecting never blocks the loop: host names are resolved by HostNet's `Resolver` (libuv's
///   thread pool), the TCP connect is non-blocking, and a handshake (AUTH, SELECT db, PING) must answer
///   before the state becomes `.connected`, so a port that accepts but never answers is not "up".
/// - While down, commands fail at once (callers such as the session store must not wait); while
///   connecting, they wait for the handshake within their own timeout.
/// - Reconnects back off exponentially with jitter (50 ms → 5 s by default) until `close()`.
///
/// Lifecycle: `init` → `start()` → ... → `close()`. The connection keeps itself alive between
/// `start()` and `close()` (hiredis holds a pointer to it), so `close()` must be called.
public final class RedisConnection: @unchecked Sendable {
    // @unchecked: the mutable state below the "loop-thread state" mark is touched only on
    // `loop`'s thread; what other threads read (`state`, `lastError`, observers) is atomic or
    // behind a Mutex.

    public enum State: UInt8, Sendable, CustomStringConvertible {
        case down, connecting, connected
        public var description: String { ["down", "connecting", "connected"][Int(rawValue)] }
    }

    public struct Options: Sendable {
        /// Per-command timeout unless `send` is given its own.
        public var commandTimeoutMilliseconds: UInt64 = 500
        /// Resolve + TCP connect + handshake must finish within this.
        public var connectTimeoutMilliseconds: UInt64 = 1000
        public var reconnectMinimumMilliseconds: UInt64 = 50
        public var reconnectMaximumMilliseconds: UInt64 = 5000
        public init() {}
    }

    public typealias Completion = @Sendable (Result<RedisReply, RedisError>) -> Void

    public let url: RedisURL
    public let loop: EventLoop
    public let options: Options
    /// With sentinels, `url` gives only the password and database: every connection attempt asks
    /// the sentinels where the master is, and a replica's answer (`ROLE`, `READONLY`) drops the
    /// connection so the next attempt asks again (see `RedisSentinels`).
    public let sentinels: RedisSentinels?
    private let logger: Logger

    private let stateValue = Atomic<UInt8>(State.down.rawValue)
    private let observers = Mutex<[@Sendable (State) -> Void]>([])
    private let lastErrorText = Mutex<String?>(nil)

    /// [thread-safe] The connection's state; `.connected` only after the handshake answered.
    public var state: State { State(rawValue: stateValue.load(ordering: .acquiring)) ?? .down }

    /// [thread-safe] Why the last connection attempt or connection failed (nil while healthy).
    public var lastError: String? { lastErrorText.withLock { $0 } }

    // MARK: loop-thread state

    private final class Pending {
        let args: [String]
        var completion: Completion?
        var timer: LoopTimer?
        var sent = false
        init(args: [String], completion: @escaping Completion) {
            self.args = args
            self.completion = completion
        }
    }

    private var context: UnsafeMutablePointer<redisAsyncContext>?
    /// Bumped for every connection attempt so deferred work and resolver results for an older
    /// attempt are ignored.
    private var generation: UInt64 = 0
    private var commands: [UInt64: Pending] = [:]
    /// Accepted while connecting; sent, in order, once the handshake answered.
    private var queued: [UInt64] = []
    private var nextID: UInt64 = 1
    private var attempt = 0
    private var reconnectTimer: LoopTimer?
    private var connectTimer: LoopTimer?
    private var started = false
    private var closed = false
    /// Our own `redisAsyncFree` is running: its disconnect callback must not schedule a reconnect.
    private var freeing = false
    /// `close` waits for the final PING (`closeAfterSent`); `closingStarted` once it is sent:
    /// later commands are refused.
    private var closing = false
    private var closingStarted = false
    private var closeWaiters: [() -> Void] = []
    /// The deliberate retain cycle between `start()` and `close()`: hiredis's context points here.
    private var keepAlive: RedisConnection?

    public init(url: RedisURL, loop: EventLoop, options: Options = Options(), sentinels: RedisSentinels? = nil,
                logger: Logger = .shared) {
        self.url = url
        self.loop = loop
        self.options = options
        self.sentinels = sentinels
        self.logger = logger
    }

    // MARK: public API (any thread)

    /// [thread-safe] Starts connecting (and reconnecting, until `close()`).
    public func start() {
        loop.execute { [self] in
            guard !started, !closed else { return }
            started = true
            keepAlive = self
            connect()
        }
    }

    /// [thread-safe] Sends one command (`["SET", key, value]`). `completion` runs exactly once, on
    /// the loop thread (or on the caller's thread with `.closed` if the loop has finished).
    public func send(_ args: [String], timeoutMilliseconds: UInt64? = nil, completion: @escaping Completion) {
        let accepted = loop.execute { [self] in
            enqueue(args, timeout: timeoutMilliseconds ?? options.commandTimeoutMilliseconds, completion: completion)
        }
        if !accepted { completion(.failure(.closed)) }
    }

    /// [thread-safe] `send` for async callers.
    public func send(_ args: [String], timeoutMilliseconds: UInt64? = nil) async -> Result<RedisReply, RedisError> {
        await withCheckedContinuation { continuation in
            send(args, timeoutMilliseconds: timeoutMilliseconds) { continuation.resume(returning: $0) }
        }
    }

    /// [thread-safe] `handler` runs on the loop thread after every state change.
    public func observeState(_ handler: @escaping @Sendable (State) -> Void) {
        observers.withLock { $0.append(handler) }
    }

    /// [thread-safe] Stops reconnecting, lets the commands already sent be answered (within the
    /// command timeout), fails the rest with `.closed`, frees the hiredis context. `completion`
    /// runs once all that is done (on the loop thread). Later `send`s fail with `.closed`.
    public func close(completion: (@Sendable () -> Void)? = nil) {
        let accepted = loop.execute { [self] in
            closeAfterSent { completion?() }
        }
        if !accepted { completion?() }
    }

    /// Commands handed to hiredis may still sit in its output buffer (written when the socket is
    /// next writable): freeing the context at once would drop them — the last cleanup of a host
    /// shutting down (an ended marker, a released lease). A final PING goes after them instead;
    /// Redis answers in order, so its reply (or the command timeout) means they were all
    /// answered, and the context is freed on the next loop turn (never inside hiredis's callback).
    private func closeAfterSent(_ done: @escaping () -> Void) {
        if closing { return closeWaiters.append(done) }
        guard !closed, state == .connected, context != nil, commands.values.contains(where: \.sent) else {
            closeOnLoop()
            return done()
        }
        closing = true
        closeWaiters.append(done)
        enqueue(["PING"], timeout: options.commandTimeoutMilliseconds) { [self] _ in
            let accepted = loop.execute { [self] in
                closeOnLoop()
                tellCloseWaiters()
            }
            // The loop is finishing and runs nothing more: the waiters (a shutdown waiting for the
            // journal's close report) are told now rather than never. The context is not freed here,
            // inside hiredis's own callback; the process is on its way out.
            if !accepted { tellCloseWaiters() }
        }
        closingStarted = true
    }

    private func tellCloseWaiters() {
        let waiters = closeWaiters
        closeWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    // MARK: commands (loop thread)

    private func enqueue(_ args: [String], timeout: UInt64, completion: @escaping Completion) {
        if closed || closingStarted { return completion(.failure(.closed)) }
        guard !args.isEmpty else { return completion(.success(.error("ERR empty command"))) }
        switch state {
        case .down:
            completion(.failure(.disconnected(lastError ?? "not connected")))
        case .connecting, .connected:
            let id = nextID
            nextID += 1
            let pending = Pending(args: args, completion: completion)
            let timer = LoopTimer(loop: loop)
            pending.timer = timer
            commands[id] = pending
            timer.start(after: timeout) { [unowned self] in commandTimedOut(id) }
            if state == .connected { transmit(id, pending) } else { queued.append(id) }
        }
    }

    /// Hands the command to hiredis (which copies the arguments into its output buffer).
    private func transmit(_ id: UInt64, _ pending: Pending) {
        guard let ac = context else {
            return finish(id, .failure(.disconnected(lastError ?? "not connected")))
        }
        pending.sent = true
        let status = Self.commandArgv(ac, pending.args, privdata: id)
        if status != REDIS_OK {
            finish(id, .failure(.disconnected("hiredis refused the command: \(Self.errorText(ac))")))
        }
    }

    /// `redisAsyncCommandArgv` (the variadic `redisAsyncCommand` cannot be called from Swift):
    /// the arguments are laid out in one buffer that lives only for the call.
    private static func commandArgv(_ ac: UnsafeMutablePointer<redisAsyncContext>, _ args: [String], privdata: UInt64) -> Int32 {
        let utf8 = args.map { Array($0.utf8) }
        let total = utf8.reduce(0) { $0 + $1.count }
        let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: max(total, 1))
        let argv = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: utf8.count)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: utf8.count)
        defer { bytes.deallocate(); argv.deallocate(); lengths.deallocate() }
        var offset = 0
        for (index, arg) in utf8.enumerated() {
            arg.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { (bytes + offset).update(from: base, count: chars.count) }
                }
            }
            argv[index] = UnsafePointer(bytes + offset)
            lengths[index] = arg.count
            offset += arg.count
        }
        return redisAsyncCommandArgv(ac, RedisConnection.replyCallback, UnsafeMutableRawPointer(bitPattern: UInt(privdata)),
                                     Int32(utf8.count), argv, lengths)
    }

    /// Completes a command at most once: whoever removes it from `commands` first wins.
    private func finish(_ id: UInt64, _ result: Result<RedisReply, RedisError>) {
        guard let pending = commands.removeValue(forKey: id) else { return }
        pending.timer?.close()
        pending.timer = nil
        let completion = pending.completion
        pending.completion = nil
        completion?(result)
    }

    private func commandTimedOut(_ id: UInt64) {
        guard let pending = commands[id] else { return }
        queued.removeAll { $0 == id }
        finish(id, .failure(.timeout))
        // A sent command without a reply: every later reply on this connection waits behind it.
        // (Closing: `closeAfterSent` frees the context next, failing what is left with `.closed`.)
        if pending.sent, context != nil, !closing { resetConnection("a command timed out") }
    }

    /// Fails the commands hiredis already holds (`sent`) and, with `includingQueued`, those
    /// waiting for the handshake.
    private func failOpenCommands(_ error: RedisError, includingQueued: Bool) {
        let ids = commands.filter { includingQueued || $0.value.sent }.keys.sorted()
        if includingQueued { queued.removeAll() }
        for id in ids { finish(id, .failure(error)) }
    }

    // MARK: connecting (loop thread)

    private func connect() {
        guard !closed, context == nil else { return }
        generation += 1
        let attemptGeneration = generation
        logger.log(.debug, "redis", "connecting to \(url) (attempt \(attempt + 1))")
        setState(.connecting)
        let timer = connectTimer ?? LoopTimer(loop: loop)
        connectTimer = timer
        timer.start(after: options.connectTimeoutMilliseconds) { [unowned self] in
            guard generation == attemptGeneration, state == .connecting else { return }
            if context != nil { resetConnection("connect timeout") } else { connectionLost("connect timeout (resolving \(url.host))") }
        }
        if let sentinels {
            // Blocking sentinel queries run on a global queue; the answer comes back to the loop.
            sentinels.locate { [self] located in
                loop.execute { [self] in
                    guard generation == attemptGeneration, !closed, context == nil, state == .connecting else { return }
                    switch located {
                    case .success(let master):
                        masterAddress = master.description
                        openResolving(master.host, port: master.port, attempt: attemptGeneration)
                    case .failure(let error): connectionLost("\(error)")
                    }
                }
            }
        } else if let socketPath = url.socketPath {
            open(address: nil, socketPath: socketPath)
        } else {
            openResolving(url.host, port: url.port, attempt: attemptGeneration)
        }
    }

    /// Opens `host:port`, a numeric address at once, a name through the loop's one resolver
    /// (libuv's thread pool does the blocking getaddrinfo). Loop thread.
    private func openResolving(_ host: String, port: Int, attempt attemptGeneration: UInt64) {
        if Self.isNumericAddress(host) { return open(address: host, port: port) }
        Resolver(loop: loop).resolve(host, port: port) { [self] result in
            guard generation == attemptGeneration, !closed, context == nil, state == .connecting else { return }
            switch result {
            case .success(let address): open(address: address.text, port: port)
            case .failure(let error): connectionLost("cannot resolve \(host): \(error)")
            }
        }
    }

    private func open(address: String?, port: Int? = nil, socketPath: String? = nil) {
        let made = socketPath.map { redisAsyncConnectUnix($0) } ?? redisAsyncConnect(address ?? url.host, Int32(port ?? url.port))
        guard let ac = made else {
            return connectionLost("redisAsyncConnect failed (out of memory)")
        }
        if ac.pointee.c.err != 0 {
            let reason = Self.errorText(ac)
            redisAsyncFree(ac)
            return connectionLost(reason)
        }
        ac.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        if redisLibuvAttach(ac, loop.uv) != REDIS_OK {
            // The adapter sets `ev.cleanup` before it can fail; with `ev.data` still NULL that
            // cleanup would dereference NULL inside redisAsyncFree.
            ac.pointee.ev.cleanup = nil
            redisAsyncFree(ac)
            return connectionLost("redisLibuvAttach failed")
        }
        HiredisLibuvEvents.install(on: ac)
        redisAsyncSetConnectCallback(ac, RedisConnection.connectCallback)
        redisAsyncSetDisconnectCallback(ac, RedisConnection.disconnectCallback)
        context = ac
        // hiredis buffers these until the socket is writable; nothing else is sent before the
        // handshake answered, so they go first.
        let attemptGeneration = generation
        var handshake: [[String]] = []
        if let password = url.password { handshake.append(["AUTH", password]) }
        if url.database != 0 { handshake.append(["SELECT", String(url.database)]) }
        handshake.append(["PING"])
        if sentinels != nil { handshake.append(["ROLE"]) }  // a sentinel's answer may be stale
        for (index, args) in handshake.enumerated() {
            let id = nextID
            nextID += 1
            let isLast = index == handshake.count - 1
            let pending = Pending(args: args) { [unowned self] result in
                handshakeStep(args[0], result, last: isLast, generation: attemptGeneration)
            }
            commands[id] = pending  // no timer of its own: the connect timer covers the handshake
            transmit(id, pending)
        }
    }

    private func handshakeStep(_ command: String, _ result: Result<RedisReply, RedisError>, last: Bool, generation attemptGeneration: UInt64) {
        guard attemptGeneration == generation, !closed else { return }
        switch result {
        case .success(.error(let message)):
            // Inside a hiredis reply callback: free the context on the next loop turn.
            let reason = "\(command) failed: \(message)"
            loop.execute { [self] in
                if attemptGeneration == generation, context != nil { resetConnection(reason) }
            }
        case .success(let reply) where command == "ROLE" && !Self.isMaster(reply):
            let reason = "\(masterAddress ?? "redis") is not the master (ROLE \(reply))"
            loop.execute { [self] in
                if attemptGeneration == generation, context != nil { resetConnection(reason) }
            }
        case .success:
            if last { handshakeDone() }
        case .failure:
            break  // the disconnect or timeout path reports it
        }
    }

    private func handshakeDone() {
        connectTimer?.stop()
        attempt = 0
        lastErrorText.withLock { $0 = nil }
        setState(.connected)
        logger.log(.info, "redis", "connected to \(masterAddress.map { "master \($0) (sentinels)" } ?? "\(url)")")
        let ids = queued
        queued.removeAll()
        for id in ids {
            if let pending = commands[id] { transmit(id, pending) }
        }
    }

    /// Frees our context (timeouts, handshake errors, close). Never from inside a hiredis callback.
    private func resetConnection(_ reason: String) {
        if let ac = context {
            // Fail what hiredis holds first, with the real reason; its NULL-reply flush during
            // redisAsyncFree then finds nothing left to complete.
            failOpenCommands(.disconnected(reason), includingQueued: false)
            context = nil
            freeing = true
            redisAsyncFree(ac)
            freeing = false
        }
        connectionLost(reason)
    }

    /// The context is gone (or never came): fail everything, go down, schedule a reconnect.
    private func connectionLost(_ reason: String) {
        context = nil
        connectTimer?.stop()
        failOpenCommands(.disconnected(reason), includingQueued: true)
        let wasUp = state == .connected
        lastErrorText.withLock { $0 = reason }
        setState(.down)
        guard !closed, !closing else { return }
        if wasUp || attempt == 0 {
            logger.log(.warning, "redis", "\(url): \(reason); reconnecting")
        } else {
            logger.log(.debug, "redis", "\(url): attempt \(attempt) failed: \(reason)")
        }
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        // Exponential backoff with jitter: half the step fixed, half random, so many hosts that
        // lost the same Redis do not reconnect in lockstep.
        let shift = UInt64(min(attempt, 20))
        let step = min(options.reconnectMaximumMilliseconds, options.reconnectMinimumMilliseconds << shift)
        let delay = step / 2 + UInt64.random(in: 0...max(step / 2, 1))
        attempt += 1
        let timer = reconnectTimer ?? LoopTimer(loop: loop)
        reconnectTimer = timer
        timer.start(after: delay) { [unowned self] in connect() }
    }

    private func closeOnLoop() {
        guard !closed else { return }
        closed = true
        reconnectTimer?.close()
        reconnectTimer = nil
        connectTimer?.close()
        connectTimer = nil
        failOpenCommands(.closed, includingQueued: true)
        if let ac = context {
            context = nil
            freeing = true
            redisAsyncFree(ac)
            freeing = false
        }
        setState(.down)
        keepAlive = nil
    }

    private func setState(_ new: State) {
        let old = State(rawValue: stateValue.exchange(new.rawValue, ordering: .acquiringAndReleasing))
        guard old != new else { return }
        for observer in observers.withLock({ $0 }) { observer(new) }
    }

    // MARK: hiredis callbacks (C function pointers: context through `ac->data`, never captures)

    private static func owner(_ data: UnsafeMutableRawPointer?) -> RedisConnection? {
        data.map { Unmanaged<RedisConnection>.fromOpaque($0).takeUnretainedValue() }
    }

    private static let replyCallback: @convention(c) (UnsafeMutablePointer<redisAsyncContext>?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { ac, reply, privdata in
        guard let ac, let connection = owner(ac.pointee.data) else { return }
        let id = UInt64(UInt(bitPattern: privdata))
        if let reply {
            let decoded = RedisReply(reply.assumingMemoryBound(to: redisReply.self))
            connection.finish(id, .success(decoded))
            if connection.sentinels != nil, case .error(let message) = decoded, message.hasPrefix("READONLY") {
                connection.masterMoved(message)
            }
        } else {
            // hiredis flushes its callbacks with NULL when the context goes away.
            let reason = ac.pointee.c.err != 0 ? errorText(ac) : "connection closed"
            connection.finish(id, .failure(.disconnected(reason)))
        }
    }

    private static let connectCallback: @convention(c) (UnsafePointer<redisAsyncContext>?, Int32) -> Void = { ac, status in
        guard status != REDIS_OK, let ac, let connection = owner(ac.pointee.data) else { return }
        // hiredis frees the context after this returns (no disconnect callback follows).
        connection.context = nil
        connection.connectionLost(errorText(ac))
    }

    private static let disconnectCallback: @convention(c) (UnsafePointer<redisAsyncContext>?, Int32) -> Void = { ac, status in
        guard let ac, let connection = owner(ac.pointee.data), !connection.freeing else { return }
        // hiredis frees the context after this returns; its callbacks were already flushed.
        connection.context = nil
        connection.connectionLost(status == REDIS_OK ? "server closed the connection" : errorText(ac))
    }

    // MARK: sentinels (loop thread)

    /// Where the sentinels last said the master is (for logs).
    private var masterAddress: String?

    /// The server we write to became a replica (a failover we did not see as a disconnect): drop
    /// the connection on the next loop turn (never inside a hiredis callback); reconnecting asks
    /// the sentinels again.
    private func masterMoved(_ message: String) {
        let current = generation
        loop.execute { [self] in
            if current == generation, context != nil { resetConnection("\(masterAddress ?? "redis") answered \(message)") }
        }
    }

    static func isMaster(_ reply: RedisReply) -> Bool {
        if case .array(let items) = reply, case .string(let role)? = items.first { return role == "master" }
        return false
    }

    // MARK: helpers

    private static func errorText(_ ac: UnsafePointer<redisAsyncContext>) -> String {
        var errstr = ac.pointee.c.errstr
        let text = withUnsafeBytes(of: &errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "connection error \(ac.pointee.c.err)" : text
    }

    private static func errorText(_ ac: UnsafeMutablePointer<redisAsyncContext>) -> String {
        errorText(UnsafePointer(ac))
    }

    static func isNumericAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
