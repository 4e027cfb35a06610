import Glibc
import HostNet
import PluginABI
import Synchronization

/// The plugin runner processes of one host: one per (tenant, plugin file). A runner's socket and
/// timers live on the host's loop (`HostServices.loop`), the loop its sessions call it from, so a
/// call is written and its answer read there with no hop to another thread; services without a
/// loop (tools driven from plain threads) use a loop of their own, "plugin-runners".
public final class PluginRunners: Sendable {
    private let state = Mutex<(policy: IsolationPolicy, runners: [RunnerKey: WeakRunner])>((IsolationPolicy(), [:]))

    private struct RunnerKey: Hashable { let tenant: String, path: String }
    private struct WeakRunner: @unchecked Sendable { weak var value: RunnerProcess? }

    /// The loop runners of services without a loop live on, started on first use.
    static let loop: EventLoop = {
        let loop = EventLoop(name: "plugin-runners")
        loop.start()
        return loop
    }()

    public init() {}

    /// Grace period, restart backoff and crash limit for runners started from now on.
    public var policy: IsolationPolicy {
        get { state.withLock { $0.policy } }
        set { state.withLock { $0.policy = newValue } }
    }

    /// The runner for `tenant`'s copy of the plugin file at `path` (shared by the file's components).
    package func runner(tenant: String, path: String, maxMemoryMB: Int, services: HostServices) throws(PluginInstance.Failure) -> RunnerProcess {
        let executable: String
        do { executable = try RunnerExecutable.path() } catch {
            throw PluginInstance.Failure(status: AH_ERR_UNAVAILABLE, message: error.description)
        }
        return state.withLock { state in
            let key = RunnerKey(tenant: tenant, path: path)
            if let existing = state.runners[key]?.value, existing.failedReason == nil { return existing }
            let runner = RunnerProcess(pluginPath: path, tenantID: tenant, maxMemoryMB: maxMemoryMB, policy: state.policy,
                                       executable: executable, services: services, loop: services.loop ?? Self.loop)
            state.runners = state.runners.filter { $0.value.value != nil }
            state.runners[key] = WeakRunner(value: runner)
            return runner
        }
    }

    /// Live runner processes (for operators and the benchmark's RSS figure). Asks each runner's loop.
    public var processes: [(tenant: String, plugin: String, pid: Int32)] {
        onRunnersLoops { runners in runners.compactMap { runner in runner.livePID.map { (runner.tenantID, runner.label, $0) } } }
    }

    /// Runs `body` on each loop that holds runners, with that loop's runners, and joins the answers.
    private func onRunnersLoops<T: Sendable>(_ body: @escaping @Sendable ([RunnerProcess]) -> [T]) -> [T] {
        let runners = state.withLock { $0.runners.values.compactMap { $0.value } }
        var byLoop: [ObjectIdentifier: (loop: EventLoop, runners: [RunnerProcess])] = [:]
        for runner in runners { byLoop[ObjectIdentifier(runner.loop), default: (runner.loop, [])].runners.append(runner) }
        return byLoop.values.flatMap { group in group.loop.submitAndWait { [group] in body(group.runners) } ?? [] }
    }

    /// Stops every runner living on `loop` (the host is shutting down and the loop stops next):
    /// their processes are killed and reaped here, on the calling thread, not on the loop.
    func shutDown(loop: EventLoop) {
        let runners = state.withLock { $0.runners.values.compactMap { $0.value } }.filter { $0.loop === loop }
        guard !runners.isEmpty else { return }
        let children = loop.submitAndWait { runners.compactMap { $0.shutDown() } } ?? []
        for child in children {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// One runner as operators see it (`GET /admin/v1/plugins`).
    public struct RunnerState: Sendable {
        public let tenant: String
        /// The private copy the runner opened (cache/<sha256>/<file>).
        public let path: String
        /// nil while it is down (restarting, failed or stopped).
        public let pid: Int32?
        public let restarts: Int
        public let failedReason: String?
    }

    /// Every runner still held by an instance. Asks each runner's loop (inline on that loop's
    /// thread): never call it on a loop other than the runners'.
    public var states: [RunnerState] {
        onRunnersLoops { runners in
            runners.map { RunnerState(tenant: $0.tenantID, path: $0.pluginPath, pid: $0.livePID, restarts: $0.restarts, failedReason: $0.failedReason) }
        }
    }

    /// Plugins stopped after crashing too often, for /health.
    public var failedPlugins: [(tenant: String, plugin: String, reason: String)] {
        state.withLock { state in
            state.runners.values.compactMap { $0.value }.compactMap { runner in
                runner.failedReason.map { (runner.tenantID, runner.label, $0) }
            }.sorted { ($0.tenant, $0.plugin) < ($1.tenant, $1.plugin) }
        }
    }
}
