// Glibc's `stdout` is a mutable C global, which Swift 6 refuses to touch from ordinary code;
// these two functions are the only places that do.
@preconcurrency import Glibc

/// The process's standard output, as the command line uses it.
public enum StandardOutput {
    /// Lines operators and scripts wait on ("agent-host listening on …", chat and call output)
    /// leave as they are printed even when stdout is a file or a pipe, where C would otherwise
    /// buffer them in blocks until exit. Call once, at start, before other threads print.
    public static func lineBuffered() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }

    /// Writes out what stdout holds. Not `fflush(nil)`: that locks every stream, stdin included,
    /// and so waits forever behind a thread blocked in `readLine`.
    public static func flush() {
        fflush(stdout)
    }
}
