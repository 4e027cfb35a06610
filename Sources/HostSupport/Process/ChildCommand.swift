import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished command printed and its exit status (128 + signal when a signal ended it).
package struct ChildCommandResult: Sendable {
    package let status: Int32
    package let stdout: String
    package let stderr: String
}

/// The command could not start, or outlived its deadline (it was killed; what it printed so far
/// is quoted).
package struct ChildCommandFailure: Error, CustomStringConvertible {
    package let description: String
}

/// Runs a short command to completion with a deadline: the plugin runner's `--describe`, cc
/// building the runner, and every command the tests run.
///
/// Not Foundation's `Process`: its `waitUntilExit()` waits on a run loop for a termination that
/// its manager thread delivers, and called from several threads at once it can miss it and park
/// the thread for ever (a CI run hung 90 minutes in the fleet tests that way). Here nothing waits
/// without a deadline: the pipes are polled, the child is reaped with `waitpid`, and a child past
/// its deadline is killed. Blocking: never call it on a loop thread.
package enum ChildCommand {
    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments`; `input` is its
    /// standard input; `environment` nil inherits this process's.
    package static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                            input: String? = nil, timeoutSeconds: Double = 300) throws(ChildCommandFailure) -> ChildCommandResult {
        let child = try SpawnedChild(executable: executable, arguments: arguments, environment: environment)
        defer { child.closePipes() }
        var pendingInput = Array((input ?? "").utf8)[...]
        var stdout = [UInt8](), stderr = [UInt8]()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        if pendingInput.isEmpty { child.closeInput() }
        var status: Int32?
        while true {
            child.pump(input: &pendingInput, stdout: &stdout, stderr: &stderr, waitMilliseconds: 20)
            if status == nil { status = child.reapIfExited() }
            // Done when both pipes are at EOF and the child is reaped; or, once it is reaped, when
            // nothing more is readable (a grandchild may hold the pipes open for ever).
            if let status {
                if child.outputsClosed { return result(status, stdout, stderr) }
                child.pump(input: &pendingInput, stdout: &stdout, stderr: &stderr, waitMilliseconds: 50)
                if !child.hasReadableOutput() { return result(status, stdout, stderr) }
                continue
            }
            if Date() >= deadline {
                child.kill()
                _ = child.waitForExit()
                throw ChildCommandFailure(description: """
                    \(executable) \(arguments.joined(separator: " ")) ran past its \(timeoutSeconds) s deadline and was killed; \
                    it printed:\n\(String(decoding: stdout.suffix(2000), as: UTF8.self))\n\(String(decoding: stderr.suffix(2000), as: UTF8.self))
                    """)
            }
        }
    }

    private static func result(_ status: Int32, _ stdout: [UInt8], _ stderr: [UInt8]) -> ChildCommandResult {
        ChildCommandResult(status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// One posix_spawn'ed child with pipes on its standard input, output and error. The pipes are
/// close-on-exec in this process, so no other child spawned meanwhile inherits them (which would
/// hold them open past this child's exit).
package final class SpawnedChild {
    package let pid: pid_t
    private var stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32

    package init(executable: String, arguments: [String], environment: [String: String]?) throws(ChildCommandFailure) {
        func makePipe() throws(ChildCommandFailure) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard Self.pipe2(&fds, O_CLOEXEC) == 0 else { throw ChildCommandFailure(description: "pipe2: \(String(cString: strerror(errno)))") }
            return (fds[0], fds[1])
        }
        let input = try makePipe(), output = try makePipe(), errors = try makePipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
        Self.closeEverythingElse(&actions)
        // The test runner may block signals on some threads; the child starts with none blocked
        // and default dispositions, as from a shell.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environmentLines = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let envp = environmentLines.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let code: Int32 = argv.withUnsafeBufferPointer { argvBuffer in
            let argvPointer = UnsafeMutablePointer(mutating: argvBuffer.baseAddress!)
            if let envp {
                return envp.withUnsafeBufferPointer { envBuffer in
                    posix_spawnp(&pid, executable, &actions, &attributes, argvPointer, UnsafeMutablePointer(mutating: envBuffer.baseAddress!))
                }
            }
            return posix_spawnp(&pid, executable, &actions, &attributes, argvPointer, environ)
        }
        close(input.read); close(output.write); close(errors.write)
        guard code == 0 else {
            close(input.write); close(output.read); close(errors.read)
            throw ChildCommandFailure(description: "could not start \(executable): \(String(cString: strerror(code)))")
        }
        self.pid = pid
        stdinFD = input.write
        stdoutFD = output.read
        stderrFD = errors.read
        for fd in [stdinFD, stdoutFD, stderrFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    /// Swift's Glibc module does not declare pipe2 (it is behind _GNU_SOURCE); glibc has it.
    private static let pipe2: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32 = {
        unsafeBitCast(dlsym(nil, "pipe2")!, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

    /// glibc ≥ 2.34 can close every descriptor from 3 up in the child (its `closefrom_np` file
    /// action); Swift's Glibc module does not declare it, so it is looked up. Without it, the
    /// close-on-exec pipes above are still safe.
    private static func closeEverythingElse(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
    }

    package var outputsClosed: Bool { stdoutFD < 0 && stderrFD < 0 }

    package func closeInput() { if stdinFD >= 0 { close(stdinFD); stdinFD = -1 } }

    package func closePipes() {
        closeInput()
        if stdoutFD >= 0 { close(stdoutFD); stdoutFD = -1 }
        if stderrFD >= 0 { close(stderrFD); stderrFD = -1 }
    }

    /// Writes what input it can and reads what output there is, waiting at most `waitMilliseconds`.
    package func pump(input: inout ArraySlice<UInt8>, stdout: inout [UInt8], stderr: inout [UInt8], waitMilliseconds: Int32) {
        var fds = [pollfd]()
        if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
        if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
        if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
        guard !fds.isEmpty else { usleep(UInt32(waitMilliseconds) * 1000); return }
        guard poll(&fds, nfds_t(fds.count), waitMilliseconds) > 0 else { return }
        for entry in fds where entry.revents != 0 {
            if entry.fd == stdinFD {
                let written = input.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
                if written > 0 { input = input.dropFirst(written) }
                if input.isEmpty || (written < 0 && errno != EAGAIN) { closeInput() }
            } else if entry.fd == stdoutFD {
                if !drain(stdoutFD, into: &stdout) { close(stdoutFD); stdoutFD = -1 }
            } else if entry.fd == stderrFD {
                if !drain(stderrFD, into: &stderr) { close(stderrFD); stderrFD = -1 }
            }
        }
    }

    /// True when an output pipe has data (or EOF) waiting right now.
    package func hasReadableOutput() -> Bool {
        var fds = [stdoutFD, stderrFD].filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        return !fds.isEmpty && poll(&fds, nfds_t(fds.count), 0) > 0
    }

    /// Reads what is available; false at EOF or on an error.
    private func drain(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 { buffer.append(contentsOf: chunk[0..<count]); continue }
            if count == 0 { return false }
            return errno == EAGAIN || errno == EINTR
        }
    }

    /// The exit status (128 + signal for a signal) once the child has exited; nil while it runs.
    package func reapIfExited() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 && errno == ECHILD ? -1 : nil }
        return Self.decode(status)
    }

    package func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Self.decode(status)
    }

    package func kill() { _ = Glibc.kill(pid, SIGKILL) }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
