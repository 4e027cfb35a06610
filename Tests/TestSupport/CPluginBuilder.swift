import Foundation

/// Builds C fixture plugins with the system C compiler, as a third party would.
public enum CPluginBuilder {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Compiles `source` into `output` (a shared object) against `includeDirectory`.
    public static func build(source: String, includeDirectory: String, output: String) throws {
        let result = try ProcessRunner.run("cc", [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-fvisibility=hidden",
            "-I", includeDirectory, "-I", (source as NSString).deletingLastPathComponent, "-o", output, source,
        ])
        guard result.status == 0 else {
            throw Failure(description: "cc failed for \(source):\n\(result.stderr)")
        }
    }
}
