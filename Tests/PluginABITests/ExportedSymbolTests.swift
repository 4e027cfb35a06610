import Foundation
import TestSupport
import XCTest

/// Every plugin we build exports exactly its entry symbol: nothing else can clash with the host or
/// other plugins, and the ABI surface is what the headers say.
final class ExportedSymbolTests: XCTestCase {
    func testEveryBuiltPluginExportsExactlyItsEntrySymbol() throws {
        let plugins = try FileManager.default.contentsOfDirectory(atPath: BuildProducts.directory)
            .filter { $0.hasPrefix("lib") && $0.hasSuffix(".so") }
        XCTAssertTrue(plugins.contains("libStoreHours.so"), "build the plugin products before testing: \(plugins)")
        XCTAssertTrue(plugins.contains("libSwiftSamples.so"))
        for plugin in plugins {
            let nm = try ProcessRunner.run("nm", ["-D", "--defined-only", BuildProducts.path(plugin)])
            XCTAssertEqual(nm.status, 0, nm.stderr)
            // Upper-case symbol types are global (bindable from outside). lld leaves some
            // localised Swift metadata in .dynsym with local binding (lower case): not exported.
            let exported = nm.stdout.split(separator: "\n").compactMap { line -> String? in
                let parts = line.split(separator: " ")
                guard parts.count == 3, let type = parts[1].first, type.isUppercase else { return nil }
                return String(parts[2])
            }
            XCTAssertEqual(exported, ["agent_host_plugin_entry"], "\(plugin) exports \(exported)")
        }
    }
}
