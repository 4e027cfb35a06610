/// How isolated plugins are supervised (docs/operations.md, "Isolated plugins"): the defaults
/// below, or the configuration's `plugins: supervision:` (HostConfiguration+Supervision.swift).
public struct IsolationPolicy: Sendable, Equatable {
    /// How long a runner may take to finish a cancelled step or tool call before it is killed.
    public var cancelGraceMilliseconds: UInt64 = 2_000
    /// First restart delay; doubles with each recent crash up to `maxBackoffMilliseconds`.
    public var restartBackoffMilliseconds: UInt64 = 100
    public var maxBackoffMilliseconds: UInt64 = 5_000
    /// `maxCrashes` crashes within `crashWindowMilliseconds` mark the plugin failed for the tenant.
    public var maxCrashes = 5
    public var crashWindowMilliseconds: UInt64 = 60_000

    public init() {}
}
