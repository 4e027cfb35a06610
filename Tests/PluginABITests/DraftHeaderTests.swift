import Foundation
import PluginABI
import TestSupport
import XCTest

/// The growth lane (docs/abi.md, "Draft extensions"): drafts live under ext/draft/, reached through
/// agent_host_draft.h, while every released 1.0 header stays exactly as released.
final class DraftHeaderTests: XCTestCase {
    static let include = BuildProducts.repositoryRoot + "/Sources/PluginABI/include"
    static let frozen = BuildProducts.repositoryRoot + "/Tests/PluginABITests/Fixtures/abi-1.0/include"

    func testTheReleasedHeadersAreByteIdenticalToTheFrozen1_0Copy() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.frozen).filter { $0.hasSuffix(".h") }.sorted()
        XCTAssertEqual(files.count, 15)
        for path in files {
            let released = try Data(contentsOf: URL(fileURLWithPath: Self.frozen + "/" + path))
            let current = try Data(contentsOf: URL(fileURLWithPath: Self.include + "/" + path))
            XCTAssertEqual(current, released, "\(path) changed: growth goes into new extension headers, never into a released one")
        }
    }

    func testEveryDraftIdCarriesDraftAndItsRevision() {
        for id in [AH_EXT_VOICE_HINT_DRAFT, AH_EXT_CATALOG_DRAFT] {
            XCTAssertNotNil(id.wholeMatch(of: /agent_host\.[a-z-]+\.draft\/[0-9]+/), id)
        }
    }

    func testTheDraftHeadersCompileCleanlyAsCAndCxx() throws {
        let dir = TemporaryDirectory()
        try "#include \"agent_host_draft.h\"\nint main(void) { return 0; }\n".write(toFile: dir.file("t.c"), atomically: true, encoding: .utf8)
        for flags in [["-std=c99"], ["-std=c11", "-pedantic"], ["-x", "c++", "-std=c++17"]] {
            let result = try ProcessRunner.run("cc", flags + ["-Wall", "-Wextra", "-Werror", "-I", Self.include, "-o", dir.file("t"), dir.file("t.c")] + (flags.contains("c++") ? ["-lstdc++"] : []))
            XCTAssertEqual(result.status, 0, "\(flags): \(result.stderr)")
        }
    }

    /// The host reads the draft tables through Swift's import: it must agree with the C asserts.
    func testSwiftImportAgreesWithTheDraftLayoutAsserts() {
        XCTAssertEqual(MemoryLayout<ah_host_voice_hint_t>.size, 16)
        XCTAssertEqual(MemoryLayout<ah_host_voice_hint_t>.offset(of: \.expect), 8)
        XCTAssertEqual(MemoryLayout<ah_host_catalog_t>.size, 24)
        XCTAssertEqual(MemoryLayout<ah_host_catalog_t>.offset(of: \.fetch), 16)
    }
}
