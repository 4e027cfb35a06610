/// What every agent and tool declares about itself. The SDK turns these into the plugin's
/// descriptor; the host validates them when it loads the plugin.
public protocol PluginComponent: Sendable {
    /// Reverse-DNS id, unique per host: "com.example.support.billing".
    static var id: String { get }
    /// Shown to operators and in transcripts: "Billing Agent".
    static var displayName: String { get }
    /// Semantic version of this component: "1.0.0".
    static var version: String { get }
    /// What it does, one or two sentences. For a tool this is the function description a model sees.
    static var description: String { get }
    /// Extensions ("name/REV") without which the component cannot work; the host refuses to load
    /// the plugin when one is missing. Default: none.
    static var requiredExtensions: [String] { get }

    /// Creates the instance serving one tenant. Throw `PluginError.invalidArgument` for bad
    /// settings: the host reports the message and keeps the component off for that tenant.
    init(host: PluginHost, settings: PluginSettings) throws
}

extension PluginComponent {
    public static var requiredExtensions: [String] { [] }
}

/// A tenant's JSON settings for one plugin (an object; empty when the operator set none).
public struct PluginSettings: Sendable {
    public let json: JSONValue

    public init(json: JSONValue) {
        self.json = json
    }

    public subscript(key: String) -> JSONValue? { json[key] }

    /// A required string setting; the error names the key so the operator can fix the config.
    public func requiredString(_ key: String) throws -> String {
        guard let value = json[key]?.stringValue, !value.isEmpty else {
            throw PluginError.invalidArgument("settings.\(key) is missing: set it in the tenant's plugin settings")
        }
        return value
    }

    public func string(_ key: String, default fallback: String) -> String {
        json[key]?.stringValue ?? fallback
    }

    public func number(_ key: String, default fallback: Double) -> Double {
        json[key]?.numberValue ?? fallback
    }

    /// Decodes all settings into a Codable struct.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try json.decode(T.self)
        } catch let error as PluginError {
            throw PluginError.invalidArgument("settings: \(error.message)")
        }
    }
}
