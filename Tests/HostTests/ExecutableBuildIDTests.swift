import Foundation
import HostSupport
import TestSupport
import XCTest

/// The build id an operator sees in `fleet status` and `/health` is the one the linker wrote: the
/// same as binutils' `readelf -n` reads from the real agent-host executable.
final class ExecutableBuildIDTests: XCTestCase {
    func testItIsTheBuildIDReadelfShows() throws {
        let path = BuildProducts.path("agent-host")
        let notes = try ProcessRunner.run("readelf", ["-n", path]).stdout
        let line = try XCTUnwrap(notes.split(separator: "\n").first { $0.contains("Build ID:") }, "readelf found no build id in \(path)")
        let expected = line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(ExecutableBuildID.read(path), expected)
        XCTAssertEqual(ExecutableBuildID.current, ExecutableBuildID.read("/proc/\(getpid())/exe"))
        XCTAssertNotNil(ExecutableBuildID.current)
    }

    func testAFileThatIsNotAnExecutableHasNone() throws {
        let directory = TemporaryDirectory(prefix: "build-id")
        let text = directory.file("not-elf.txt")
        try "\u{7f}ELF but not really".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertNil(ExecutableBuildID.read(text))
        XCTAssertNil(ExecutableBuildID.read(directory.file("missing")))
    }
}
