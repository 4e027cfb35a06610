// In HostPlugins (not next to TenantConfiguration) because an isolated instance needs its default.
/// Where a component runs: inside the host, or in a plugin runner process of its own
/// (docs/operations.md, "Isolated plugins").
public struct PluginIsolation: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case inProcess = "in_process"
        case process
    }

    public static let defaultMaxMemoryMB = 512

    public var mode: Mode
    /// The runner's address-space cap (RLIMIT_AS), in MiB; process mode only.
    public var maxMemoryMB: Int

    public init(mode: Mode = .inProcess, maxMemoryMB: Int = PluginIsolation.defaultMaxMemoryMB) {
        self.mode = mode
        self.maxMemoryMB = maxMemoryMB
    }
}
