import Foundation
import HostSupport

/// Runs a command to completion and captures its output (for compilers, nm, curl and our CLI).
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// The tests' name for HostSupport's `ChildCommand`: posix_spawn, polled pipes, waitpid and a
/// deadline, never Foundation's `waitUntilExit()` (docs/testing.md, "nothing waits for ever").
public enum ProcessRunner {
    /// Runs `executable` (a path, or a name on PATH); throws when it cannot start or runs past
    /// `timeoutSeconds` (it is killed first, and the error quotes what it printed).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: String? = nil, timeoutSeconds: Double = 300) throws -> ProcessResult {
        let result = try ChildCommand.run(executable, arguments, environment: environment, input: input, timeoutSeconds: timeoutSeconds)
        return ProcessResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}
