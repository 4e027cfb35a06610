import Foundation

/// Where `swift build` put the executables and plugins: the directory of the running test bundle
/// (`.build/<triple>/<config>/`), in both debug and release.
public enum BuildProducts {
    public static let directory: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }()

    public static func path(_ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    /// Path of a plugin product, e.g. plugin("StoreHours") → .../libStoreHours.so
    public static func plugin(_ product: String) -> String {
        path("lib\(product).so")
    }

    /// The repository root (for fixtures and headers), from this file's location.
    public static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()
}

/// A directory under /tmp removed when the value is deinitialised.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "agent-host-test") {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
