import Foundation
import PluginABI
import TestSupport
import XCTest

/// The checked-in layout tables are the ABI's memory: every row must still hold for the current
/// headers, compiled by the C compiler as a plugin author's would be.
final class LayoutTableTests: XCTestCase {
    struct Row {
        let structName: String
        let field: String
        let offset: Int
        let size: Int
    }

    static let fixtures = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures"

    func loadTable(_ name: String) throws -> [Row] {
        let text = try String(contentsOfFile: Self.fixtures + "/" + name, encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let cells = line.split(separator: "\t").map(String.init)
            return Row(structName: cells[0], field: cells[1], offset: Int(cells[2])!, size: Int(cells[3])!)
        }
    }

    /// Generates a C program printing each row's offset and size from the current headers.
    func measure(_ rows: [Row]) throws -> [String] {
        let dir = TemporaryDirectory()
        var program = "#include <stdio.h>\n#include <stddef.h>\n#include \"agent_host.h\"\nint main(void) {\n"
        for row in rows {
            if row.field == "-" {
                program += "printf(\"0 %zu\\n\", sizeof(\(row.structName)));\n"
            } else {
                program += "printf(\"%zu %zu\\n\", offsetof(\(row.structName), \(row.field)), sizeof(((\(row.structName) *)0)->\(row.field)));\n"
            }
        }
        program += "return 0; }\n"
        try program.write(toFile: dir.file("layout.c"), atomically: true, encoding: .utf8)
        let compile = try ProcessRunner.run("cc", ["-std=c11", "-I", BuildProducts.repositoryRoot + "/Sources/PluginABI/include",
                                                   "-o", dir.file("layout"), dir.file("layout.c")])
        XCTAssertEqual(compile.status, 0, compile.stderr)
        let run = try ProcessRunner.run(dir.file("layout"), [])
        return run.stdout.split(separator: "\n").map(String.init)
    }

    func testEveryRowOfTheFrozen1_0TableHoldsForTheCurrentHeaders() throws {
        let rows = try loadTable("abi-1.0-layout.tsv")
        XCTAssertGreaterThan(rows.count, 100, "the 1.0 table lists every public struct and field")
        let measured = try measure(rows)
        XCTAssertEqual(measured.count, rows.count)
        for (row, line) in zip(rows, measured) {
            let parts = line.split(separator: " ").compactMap { Int($0) }
            if row.field == "-" {
                // 1.0 is the newest table: whole-struct sizes are exact. When 1.1 grows a struct,
                // its own table records the new size and this row only requires >=.
                XCTAssertEqual(parts[1], row.size, "sizeof(\(row.structName)) changed: published structs only grow in a new minor with a new table")
            } else {
                XCTAssertEqual(parts[0], row.offset, "offsetof(\(row.structName), \(row.field)) moved: the ABI is forever")
                XCTAssertEqual(parts[1], row.size, "size of \(row.structName).\(row.field) changed")
            }
        }
    }

    /// The host reads plugin structs through Swift's import of the headers: it must agree with C.
    func testSwiftImportAgreesWithTheCLayout() throws {
        let sizes = Dictionary(try loadTable("abi-1.0-layout.tsv").filter { $0.field == "-" }.map { ($0.structName, $0.size) },
                               uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(MemoryLayout<ah_plugin_entry_t>.size, sizes["ah_plugin_entry_t"])
        XCTAssertEqual(MemoryLayout<ah_plugin_descriptor_t>.size, sizes["ah_plugin_descriptor_t"])
        XCTAssertEqual(MemoryLayout<ah_plugin_factory_t>.size, sizes["ah_plugin_factory_t"])
        XCTAssertEqual(MemoryLayout<ah_plugin_t>.size, sizes["ah_plugin_t"])
        XCTAssertEqual(MemoryLayout<ah_host_t>.size, sizes["ah_host_t"])
        XCTAssertEqual(MemoryLayout<ah_tool_t>.size, sizes["ah_tool_t"])
        XCTAssertEqual(MemoryLayout<ah_tool_call_t>.size, sizes["ah_tool_call_t"])
        XCTAssertEqual(MemoryLayout<ah_agent_t>.size, sizes["ah_agent_t"])
        XCTAssertEqual(MemoryLayout<ah_agent_step_t>.size, sizes["ah_agent_step_t"])
        XCTAssertEqual(MemoryLayout<ah_http_request_t>.size, sizes["ah_http_request_t"])
        XCTAssertEqual(MemoryLayout<ah_error_t>.size, sizes["ah_error_t"])
        XCTAssertEqual(MemoryLayout<ah_host_t>.offset(of: \.agent_step_done), 112)
        XCTAssertEqual(MemoryLayout<ah_plugin_descriptor_t>.offset(of: \.tool), 56)
    }

    /// The frozen 1.0 headers are a record, not a working copy: any edit is a mistake.
    func testFrozenHeadersAreUnchanged() throws {
        let root = Self.fixtures + "/abi-1.0/include"
        let files = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".h") }.sorted()
        XCTAssertEqual(files.count, 15)
        let listing = try files.map { path -> String in
            let sum = try ProcessRunner.run("sha256sum", [root + "/" + path]).stdout.prefix(64)
            return "\(sum)  \(path)"
        }.joined(separator: "\n") + "\n"
        let recorded = try String(contentsOfFile: Self.fixtures + "/abi-1.0/SHA256SUMS", encoding: .utf8)
        XCTAssertEqual(listing, recorded, "Fixtures/abi-1.0 must stay exactly as released")
    }

    /// A plugin author's C compiler, in C99, C11 and C++ modes, accepts the current headers with
    /// every warning on.
    func testHeadersCompileCleanlyAsCAndCxx() throws {
        let dir = TemporaryDirectory()
        try "#include \"agent_host.h\"\nint main(void) { return 0; }\n".write(toFile: dir.file("t.c"), atomically: true, encoding: .utf8)
        let include = BuildProducts.repositoryRoot + "/Sources/PluginABI/include"
        for flags in [["-std=c99"], ["-std=c11", "-pedantic"], ["-x", "c++", "-std=c++17"]] {
            let result = try ProcessRunner.run("cc", flags + ["-Wall", "-Wextra", "-Werror", "-I", include, "-o", dir.file("t"), dir.file("t.c")] + (flags.contains("c++") ? ["-lstdc++"] : []))
            XCTAssertEqual(result.status, 0, "\(flags): \(result.stderr)")
        }
    }
}
