import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Waits in tests always have a deadline: a test that waits for ever turns a rare race into a CI
/// run that says nothing for 90 minutes and is then killed (as one did).
extension Process {
    /// Waits at most `seconds` for the child to exit; past that it is SIGKILLed and waited for a
    /// little more. Polls `isRunning` instead of `waitUntilExit()`, which waits on a run loop for
    /// Foundation's manager thread and has been seen to miss the exit and never return.
    /// True when the child exited within `seconds`.
    @discardableResult
    public func waitForExit(seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning, Date() < deadline { usleep(10_000) }
        guard isRunning else { return true }
        kill(processIdentifier, SIGKILL)
        let grace = Date().addingTimeInterval(5)
        while isRunning, Date() < grace { usleep(10_000) }
        return false
    }
}

extension DispatchGroup {
    /// `wait()` with a deadline that names what it waited for; nil on success, else the failure.
    public func wait(seconds: Double, for what: String) -> String? {
        wait(timeout: .now() + seconds) == .success ? nil : "\(what) did not finish within \(seconds) s"
    }
}

extension DispatchSemaphore {
    /// `wait()` with a deadline that names what it waited for; nil on success, else the failure.
    public func wait(seconds: Double, for what: String) -> String? {
        wait(timeout: .now() + seconds) == .success ? nil : "\(what) did not finish within \(seconds) s"
    }
}
