import FuzzKit

/// Every harness, by name (`agent-host-fuzz list`; docs/testing.md).
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        WebSocketTarget.target,
        HTTPParserTarget.target,
        HTTPServerTarget.target,
        TwilioTarget.target,
        SSETarget.target,
        SDKJSONTarget.target,
        ConfigurationTarget.target,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
