import Glibc
import Synchronization

/// Saves the input being run when the process dies on it: a signal handler (traps are SIGILL or
/// SIGTRAP, C aborts SIGABRT, bad memory SIGSEGV/SIGBUS, on an alternate stack so a stack
/// overflow is caught too) writes it with async-signal-safe calls, then hands the signal to the
/// handler that was there before (Swift's backtracer) so the process still dies loudly. A watchdog
/// thread does the same for an input that runs longer than the hang limit.
///
/// Only one engine runs per process; the harness loop sets `current` before each input.
enum CrashCapture {
    // Written by the fuzz loop (one thread) before each input, read by the handler: plain memory,
    // the handler may not take locks.
    nonisolated(unsafe) static var input: UnsafeRawPointer?
    nonisolated(unsafe) static var inputCount = 0
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var banner: UnsafeMutablePointer<CChar>?
    /// The handlers we replaced, by signal number (a plain array: the handler reads it).
    nonisolated(unsafe) static var previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    nonisolated(unsafe) static var installed = false
    nonisolated(unsafe) static var alternateStack: UnsafeMutableRawPointer?
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE]

    /// Increased after every input; the watchdog compares it across its naps.
    static let executions = Atomic<UInt64>(0)
    static let watching = Atomic<Bool>(false)

    static func arm(target: String, path artifact: String, hangSeconds: Double) {
        free(path)
        free(banner)
        path = strdup(artifact)
        banner = strdup("\nagent-host-fuzz: \(target) died on this input; it is saved in \(artifact)\n"
                        + "  reproduce: agent-host-fuzz \(target) --replay \(artifact)\n")
        if alternateStack == nil {
            let size = 1 << 16
            alternateStack = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            var stack = stack_t(ss_sp: alternateStack, ss_flags: 0, ss_size: size)
            sigaltstack(&stack, nil)
        }
        if !installed {
            installed = true
            for signal in signals {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { signal in CrashCapture.died(signal) }
                action.sa_flags = Int32(SA_ONSTACK)
                sigemptyset(&action.sa_mask)
                sigaction(signal, &action, previous + Int(signal))
            }
        }
        if !watching.exchange(true, ordering: .relaxed) { startWatchdog(hangSeconds: hangSeconds) }
    }

    /// Writes the input and the banner; only async-signal-safe calls.
    static func save() {
        guard let path else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            if let input, inputCount > 0 { _ = write(fd, input, inputCount) }
            close(fd)
        }
        if let banner { _ = write(STDERR_FILENO, banner, strlen(banner)) }
    }

    private static func died(_ signal: Int32) {
        save()
        path = nil   // once
        sigaction(signal, previous + Int(signal), nil)
        raise(signal)
    }

    private static func startWatchdog(hangSeconds: Double) {
        let nap = UInt32(Swift.max(1, Swift.min(hangSeconds / 4, 1)) * 1_000_000)
        let thread = Thread {
            var last = executions.load(ordering: .relaxed)
            var stuck = 0.0
            while true {
                usleep(nap)
                let now = executions.load(ordering: .relaxed)
                stuck = now == last && input != nil ? stuck + Double(nap) / 1_000_000 : 0
                last = now
                if stuck >= hangSeconds {
                    let note = "\nagent-host-fuzz: one input has run for \(Int(stuck)) s (the hang limit)\n"
                    _ = note.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                    save()
                    path = nil
                    abort()
                }
            }
        }
        thread.start()
    }
}

/// A detached thread running `body` (Foundation-free).
private final class Thread: @unchecked Sendable {
    private let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { argument in
            let me = Unmanaged<Thread>.fromOpaque(argument!).takeRetainedValue()
            me.body()
            return nil
        }, box)
        pthread_detach(thread)
    }
}
