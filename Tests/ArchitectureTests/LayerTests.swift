import Foundation
import XCTest

/// The layer diagram is enforced, not just drawn: a module that imports a host module outside
/// its allowed set (Layers.swift) — in a source file or in Package.swift — fails here.
final class LayerTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryHostModuleHasAPlaceInTheDiagram() throws {
        let sources = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources").path)
        for module in sources where module.hasPrefix("Host") {
            XCTAssertNotNil(Layers.allowed[module], "Sources/\(module) is not in Tests/ArchitectureTests/Layers.swift: give it a layer (and draw it in docs/architecture.md)")
        }
        for module in Layers.hostModules {
            XCTAssertTrue(sources.contains(module), "Layers.swift names \(module) but Sources/\(module) does not exist")
        }
    }

    func testSourceFilesImportOnlyTheLayersBelow() throws {
        var violations: [String] = []
        for (module, allowed) in Layers.allowed {
            for file in try swiftFiles(in: root.appendingPathComponent("Sources/\(module)")) {
                let text = try String(contentsOf: file, encoding: .utf8)
                for imported in Self.imports(in: text) where Layers.hostModules.contains(imported) && imported != module && !allowed.contains(imported) {
                    violations.append("\(file.path.dropFirst(root.path.count + 1)) (\(module)) imports \(imported)")
                }
            }
        }
        XCTAssertEqual(violations, [], "imports against the layer diagram (Tests/ArchitectureTests/Layers.swift)")
    }

    func testPackageDependenciesFollowTheLayers() throws {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var checked = 0
        for (module, allowed) in Layers.allowed {
            guard let dependencies = Self.dependencies(of: module, in: manifest) else { continue }
            checked += 1
            let wrong = dependencies.filter { Layers.hostModules.contains($0) && !allowed.contains($0) }
            XCTAssertEqual(wrong, [], "Package.swift: \(module) depends on \(wrong), above it or outside its layer set")
        }
        XCTAssertGreaterThanOrEqual(checked, Layers.hostModules.count, "Package.swift no longer declares the host modules the way this test reads them")
    }

    /// The test itself can fail: a made-up upward import is caught.
    func testAnUpwardImportIsCaught() {
        let text = "import Foundation\n@preconcurrency import HostServer\nimport HostSupport\n"
        let imported = Self.imports(in: text).filter { Layers.hostModules.contains($0) && !(Layers.allowed["HostVoice"] ?? []).contains($0) }
        XCTAssertEqual(imported, ["HostServer"])
    }

    // MARK: reading

    private func swiftFiles(in directory: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    }

    /// Module names of `import` lines (attributes and `@testable` allowed; `import struct X.Y` too).
    static func imports(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            var words = line.split(separator: " ").map(String.init)
            while let first = words.first, first.hasPrefix("@") || ["public", "package", "internal"].contains(first) { words.removeFirst() }
            guard words.first == "import", words.count >= 2 else { return nil }
            let path = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(words[1]) && words.count >= 3 ? words[2] : words[1]
            return String(path.split(separator: ".").first ?? "")
        }
    }

    /// The string dependencies of `.target(name: "<module>", dependencies: [...])`; nil if not declared.
    static func dependencies(of module: String, in manifest: String) -> [String]? {
        guard let start = manifest.range(of: ".target(name: \"\(module)\", dependencies: [") else { return nil }
        guard let end = manifest[start.upperBound...].range(of: "]") else { return nil }
        let list = manifest[start.upperBound..<end.lowerBound]
        return list.split(separator: ",").compactMap { item -> String? in
            let trimmed = item.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix("\""), trimmed.hasSuffix("\""), trimmed.count > 2 else { return nil }
            return String(trimmed.dropFirst().dropLast())
        }
    }
}
