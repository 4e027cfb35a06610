import HostNet
import PluginABI
import Synchronization

/// The plugin runner processes of one host: one per (tenant, plugin file), all served by one
/// event loop of their own ("plugin-runners") so a runner's traffic never waits on a session's.
public final class PluginRunners: Sendable {
    private let state = Mutex<(policy: IsolationPolicy, runners: [RunnerKey: WeakRunner])>((IsolationPolicy(), [:]))

    private struct RunnerKey: Hashable { let tenant: String, path: String }
    private struct WeakRunner: @unchecked Sendable { weak var value: RunnerProcess? }

    /// The loop every runner's socket and timers live on, started on first use.
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
                                       executable: executable, services: services, loop: Self.loop)
            state.runners = state.runners.filter { $0.value.value != nil }
            state.runners[key] = WeakRunner(value: runner)
            return runner
        }
    }

    /// Live runner processes (for operators and the benchmark's RSS figure). Asks the runners' loop.
    public var processes: [(tenant: String, plugin: String, pid: Int32)] {
        let runners = state.withLock { $0.runners.values.compactMap { $0.value } }
        return Self.loop.submitAndWait { runners.compactMap { runner in runner.livePID.map { (runner.tenantID, runner.label, $0) } } } ?? []
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

    /// Every runner still held by an instance. Asks the runners' loop: never call it on a loop.
    public var states: [RunnerState] {
        let runners = state.withLock { $0.runners.values.compactMap { $0.value } }
        return Self.loop.submitAndWait {
            runners.map { RunnerState(tenant: $0.tenantID, path: $0.pluginPath, pid: $0.livePID, restarts: $0.restarts, failedReason: $0.failedReason) }
        } ?? []
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
