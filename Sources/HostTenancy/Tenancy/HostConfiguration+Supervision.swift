import HostPlugins

/// `plugins: supervision:` — how the host supervises plugin runners (docs/operations.md,
/// "Isolated plugins"): every key optional, each default `IsolationPolicy`'s.
///
/// ```yaml
/// plugins:
///   supervision:
///     cancel_grace_ms: 2000        # a cancelled call's runner is killed if not finished by then
///     restart_backoff_ms: 100      # first restart delay, doubling per recent crash ...
///     max_restart_backoff_ms: 5000 # ... up to this
///     max_crashes: 5               # this many crashes within crash_window_ms stop the plugin
///     crash_window_ms: 60000
///     spin_us: 50                  # a runner polls its socket this long before sleeping (0: never)
/// ```
extension HostConfiguration {
    static let supervisionKeys = ["cancel_grace_ms", "restart_backoff_ms", "max_restart_backoff_ms", "max_crashes", "crash_window_ms", "spin_us"]

    static func parseSupervision(_ section: ConfigurationMapping) throws(ConfigurationError) -> IsolationPolicy {
        var policy = IsolationPolicy()
        guard let mapping = try section.mapping("supervision", allowed: supervisionKeys) else { return policy }
        if let grace = try mapping.int("cancel_grace_ms", in: 10...600_000) { policy.cancelGraceMilliseconds = UInt64(grace) }
        if let first = try mapping.int("restart_backoff_ms", in: 1...600_000) { policy.restartBackoffMilliseconds = UInt64(first) }
        if let longest = try mapping.int("max_restart_backoff_ms", in: 1...3_600_000) { policy.maxBackoffMilliseconds = UInt64(longest) }
        if let crashes = try mapping.int("max_crashes", in: 1...1_000) { policy.maxCrashes = crashes }
        if let window = try mapping.int("crash_window_ms", in: 1_000...86_400_000) { policy.crashWindowMilliseconds = UInt64(window) }
        if let spin = try mapping.int("spin_us", in: 0...1_000) { policy.spinMicroseconds = spin }
        guard policy.maxBackoffMilliseconds >= policy.restartBackoffMilliseconds else {
            throw mapping.fail(mapping.value("max_restart_backoff_ms") != nil ? "max_restart_backoff_ms" : "restart_backoff_ms",
                               "the longest restart delay (max_restart_backoff_ms, \(policy.maxBackoffMilliseconds)) must be at least the first (restart_backoff_ms, \(policy.restartBackoffMilliseconds))")
        }
        return policy
    }
}
