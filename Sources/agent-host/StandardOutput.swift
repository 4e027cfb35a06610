// Glibc's `stdout` is a mutable C global, which Swift 6 refuses to touch from ordinary code;
// it is only read here, once, on the main thread before any other thread exists.
@preconcurrency import Glibc

enum StandardOutput {
    /// Lines operators and scripts wait on ("agent-host listening on …", chat and call output)
    /// leave as they are printed even when stdout is a file or a pipe, where C would otherwise
    /// buffer them in blocks until exit.
    static func lineBuffered() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }
}
