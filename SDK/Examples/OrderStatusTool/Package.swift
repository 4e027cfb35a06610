// swift-tools-version:6.0
// The finished plugin from docs/writing-plugins.md: a third-party tool built against the SDK.
import PackageDescription

let package = Package(
    name: "OrderStatusTool",
    products: [
        // A plugin is a dynamic library: this builds libOrderStatusTool.so.
        .library(name: "OrderStatusTool", type: .dynamic, targets: ["OrderStatusTool"]),
    ],
    dependencies: [
        // Point this at your copy of agent-host's SDK directory.
        .package(name: "AgentHostSDK", path: "../.."),
    ],
    targets: [
        .target(
            name: "OrderStatusTool",
            dependencies: [.product(name: "AgentHostSDK", package: "AgentHostSDK")],
            swiftSettings: [.swiftLanguageMode(.v6)],
            // Export only the entry point, so nothing in your plugin can clash with the host.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/exports.map"])]
        ),
        .testTarget(
            name: "OrderStatusToolTests",
            dependencies: [.product(name: "AgentHostPluginTesting", package: "AgentHostSDK")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
