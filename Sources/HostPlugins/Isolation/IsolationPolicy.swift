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
    /// How long a runner polls its socket before sleeping (0: never). An idle CPU takes 15-20 µs
    /// to wake, paid by every call when the machine is quiet: 50 µs of polling buys a p50 of
    /// ~19 µs instead of ~47 µs per call, for ~0.7x of an in-process turn's CPU spent in the
    /// runners when idle (docs/benchmarks.md); a busy CPU is yielded to whoever wants it.
    public var spinMicroseconds = 50

    public init() {}
}
