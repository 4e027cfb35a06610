import Foundation
import HostPlugins
import HostTestSupport
import PluginABI
import Synchronization
import TestSupport
import XCTest

/// A plugin built by another Swift toolchain is refused in-process (saying to isolate it) and
/// runs in a plugin runner, which has no Swift runtime of its own.
final class ToolchainIndependenceTests: XCTestCase {
    let component = "com.agenthost.fixtures.foreign-toolchain"

    func catalog() throws -> (PluginCatalog, TemporaryDirectory) {
        let directory = TemporaryDirectory(prefix: "foreign-toolchain")
        let fixtures = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures"
        try CPluginBuilder.build(source: fixtures + "/plugins/foreign_toolchain.c", includeDirectory: fixtures + "/abi-1.0/include",
                                 output: directory.file("libforeign_toolchain.so"))
        let catalog = PluginLoader(directories: [directory.path]).loadAll()
        XCTAssertEqual(catalog.refused, [])
        return (catalog, directory)
    }

    func testInProcessIsRefusedNamingIsolationAndProcessModeServesIt() throws {
        let (catalog, directory) = try catalog()
        _ = directory
        let services = HostServices()
        let plugin = try XCTUnwrap(catalog.plugin(providing: component))
        XCTAssertThrowsError(try PluginInstance.create(component, from: plugin, tenantID: "acme", services: services)) { error in
            let message = (error as? PluginInstance.Failure)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("'swift (clang 0.0.0 foreign-toolchain)'"), message)
            XCTAssertTrue(message.contains("set isolation: process"), message)
        }

        let tool = try IsolatedInstance.create(component, from: plugin, tenantID: "acme", services: services)
        let answer = Mutex<(Int32, String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        try tool.invokeTool(callID: services.router.makeID(), sessionID: "s1", callerID: "c1", argumentsJSON: #"{"text":"hi"}"#) { status, output in
            answer.withLock { $0 = (status, output) }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(answer.withLock { $0 }?.0, AH_OK)
        XCTAssertTrue(answer.withLock { $0 }?.1.contains("hi") ?? false, "\(String(describing: answer.withLock { $0 }))")
    }

    static func maps() -> String {
        String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
    }

    /// A plugin that carries its own Swift runtime (here: a copy of the host's libswiftCore in a
    /// directory its RUNPATH names, and an entry naming another toolchain) is never mapped into
    /// the host: the runner describes it and serves it.
    func testAPluginWithAnotherSwiftRuntimeIsNeverMappedIntoTheHost() throws {
        let directory = TemporaryDirectory(prefix: "own-runtime")
        let runtime = directory.file("runtime")
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let hostCore = try XCTUnwrap(Self.maps()
            .split(separator: "\n").first { $0.hasSuffix("/libswiftCore.so") }
            .flatMap { line in line.firstIndex(of: "/").map { String(line[$0...]) } })
        try FileManager.default.copyItem(atPath: hostCore, toPath: runtime + "/libswiftCore.so")
        let fixtures = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures"
        let output = directory.file("libforeign_runtime.so")
        let built = try ProcessRunner.run("cc", [
            "-std=c11", "-fPIC", "-shared", "-fvisibility=hidden", "-I", fixtures + "/abi-1.0/include", "-I", fixtures + "/plugins",
            "-o", output, fixtures + "/plugins/foreign_toolchain.c",
            "-Wl,--no-as-needed", "-L", runtime, "-lswiftCore", "-Wl,-rpath," + runtime,
        ])
        XCTAssertEqual(built.status, 0, built.stderr)

        let catalog = PluginLoader(directories: [directory.path]).loadAll()
        XCTAssertEqual(catalog.refused, [])
        let plugin = try XCTUnwrap(catalog.plugin(providing: component))
        XCTAssertFalse(plugin.runsInProcess)
        XCTAssertTrue(plugin.notes.first?.hasPrefix("linked against the Swift runtime \(runtime)/libswiftCore.so, not the host's") ?? false, "\(plugin.notes)")
        let maps = Self.maps()
        XCTAssertFalse(maps.contains("libforeign_runtime.so"), "the host never mapped it")
        XCTAssertFalse(maps.contains(runtime), "nor its runtime")

        let services = HostServices()
        let tool = try IsolatedInstance.create(component, from: plugin, tenantID: "acme", services: services)
        let answer = Mutex<(Int32, String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        try tool.invokeTool(callID: services.router.makeID(), sessionID: "s1", callerID: "c1", argumentsJSON: #"{"text":"runner"}"#) { status, output in
            answer.withLock { $0 = (status, output) }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(answer.withLock { $0 }?.0, AH_OK)
        XCTAssertTrue(answer.withLock { $0 }?.1.contains("runner") ?? false)
        // The runner runs the plugin on the private copy of the runtime its RUNPATH names.
        let runner = try XCTUnwrap(services.runners.processes.first { $0.tenant == "acme" })
        let runnerMaps = String(decoding: FileHandle(forReadingAtPath: "/proc/\(runner.pid)/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        XCTAssertTrue(runnerMaps.contains(runtime + "/libswiftCore.so"), "the runner mapped the plugin's own runtime")
        XCTAssertFalse(runnerMaps.contains(hostCore), "and not the host's")
    }
}
