import AgentHostToolchain
import PluginABI

/// Facts about this host build that plugins are checked against.
public enum HostInfo {
    public static let name = "agent-host"
    public static let version = "0.1.0"
    public static let abiMajor = UInt16(AH_ABI_VERSION_MAJOR)
    public static let abiMinor = UInt16(AH_ABI_VERSION_MINOR)
    /// The Swift toolchain this host was built with; a Swift plugin must name the same one.
    public static let swiftToolchain = String(cString: agent_host_swift_toolchain_id())
    /// Every extension id this host implements (a tenant may be granted a subset).
    public static let extensions: [String] = [AH_EXT_HTTP, AH_EXT_TIMER, AH_EXT_SESSION_KV, AH_EXT_METRICS,
                                              AH_EXT_VOICE_HINT_DRAFT, AH_EXT_CATALOG_DRAFT]
}
