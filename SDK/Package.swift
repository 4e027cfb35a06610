// swift-tools-version:6.0
//
// The agent-host plugin SDK: what a third party depends on to write a department agent or a tool.
//   PluginABI               the C headers of the stable ABI (the same files as ../Sources/PluginABI)
//   AgentHostJSON           the one JSON value type, parser and writer, shared by host and SDK
//   AgentHostSDK            write agents and tools as ordinary Swift; one declaration exports them
//   AgentHostPluginTesting  load your built .so through the real ABI and drive it in your tests
import PackageDescription

let package = Package(
    name: "AgentHostSDK",
    products: [
        .library(name: "PluginABI", targets: ["PluginABI"]),
        .library(name: "AgentHostToolchain", targets: ["AgentHostToolchain"]),
        .library(name: "AgentHostJSON", targets: ["AgentHostJSON"]),
        .library(name: "AgentHostSDK", targets: ["AgentHostSDK"]),
        .library(name: "AgentHostPluginTesting", targets: ["AgentHostPluginTesting"]),
    ],
    targets: [
        .target(name: "PluginABI"),
        .target(name: "AgentHostToolchain"),
        .target(name: "AgentHostJSON", swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(
            name: "AgentHostSDK",
            dependencies: ["PluginABI", "AgentHostToolchain", "AgentHostJSON"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "AgentHostPluginTesting",
            dependencies: ["PluginABI", "AgentHostToolchain"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
