import Foundation

/// Runs a command to completion and captures its output (for compilers, nm and our CLI).
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum ProcessRunner {
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inputPipe.fileHandleForWriting.close()
        // Read both pipes at once, before waiting: a child that fills one pipe (64 KiB) while we
        // wait for EOF on the other would block forever (a sanitizer's report on stderr did).
        let stderrData = LockedBox(Data())
        let stderrDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            stderrData.value = data
            stderrDone.signal()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        stderrDone.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: stdoutData, as: UTF8.self),
                             stderr: String(decoding: stderrData.value, as: UTF8.self))
    }
}

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
