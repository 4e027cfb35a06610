import Dispatch
import HostNet
import HostSupport
import Synchronization

/// The shared services behind the host table's extensions, one set per host process.
public final class HostServices: Sendable {
    public let router: CompletionRouter
    public let logger: Logger
    public let metrics: MetricsRegistry
    public let sessionValues: SessionValueStore
    /// The loop that runs timers and HTTP for plugins; nil in contexts without one (then the
    /// timer and HTTP extensions are not offered).
    public let loop: EventLoop?
    /// Runs plugins' "agent_host.http/1" requests on `loop` (curl multi); nil without a loop.
    public let http: HTTPClient?
    /// Plugin runner processes for tenants' isolated plugins (Isolation/).
    public let runners = PluginRunners()
    /// Sessions whose calls can send keypad digits (the dtmf draft): this host's, not the process's.
    package let keypad = KeypadOut()
    /// Spans of sessions, turns, steps and tool calls (HostSupport/Tracing); off by default.
    public let tracing: HostTracing

    public init(router: CompletionRouter = CompletionRouter(), logger: Logger = .shared,
                metrics: MetricsRegistry = MetricsRegistry(), loop: EventLoop? = nil, tracing: HostTracing = .disabled) {
        self.tracing = tracing
        self.router = router
        self.logger = logger
        self.metrics = metrics
        self.sessionValues = SessionValueStore()
        self.loop = loop
        self.http = loop.map { HTTPClient(loop: $0) }
    }

    /// The host's loops besides `loop` (HostServices+Loops.swift); empty with one loop.
    let otherLoops = Mutex<[LoopHTTP]>([])

    private let shutdownSteps = Mutex<[@Sendable (@escaping @Sendable () -> Void) -> Void]>([])

    /// Registers work to finish before the loop stops (e.g. the session store flushing).
    public func onShutdown(_ step: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        shutdownSteps.withLock { $0.append(step) }
    }

    /// Finishes what must end before the loop stops: registered steps (waited for, at most 5 s
    /// each), then plugin HTTP (in-flight requests complete, curl's resources are released).
    /// Call from outside the loop thread, before `loop.stop()`.
    public func shutdown() {
        for step in shutdownSteps.withLock({ steps in defer { steps.removeAll() }; return steps }) {
            let done = DispatchSemaphore(value: 0)
            step { done.signal() }
            _ = done.wait(timeout: .now() + 5)
        }
        // Runners on this loop are killed now: the loop that would reap them stops next.
        if let loop { runners.shutDown(loop: loop) }
        http?.close()
    }

    /// Extensions these services can back (timers and HTTP need a loop).
    public var providedExtensions: Set<String> {
        var ids: Set<String> = ["agent_host.session-kv/1", "agent_host.metrics/1", "agent_host.voice-hint.draft/0", "agent_host.catalog.draft/0", "agent_host.dtmf.draft/0"]
        if loop != nil { ids.insert("agent_host.timer/1") }
        if http != nil { ids.insert("agent_host.http/1") }
        return ids
    }
}
