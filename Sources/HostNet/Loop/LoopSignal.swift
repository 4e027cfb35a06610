import CLibUV

/// Watches a POSIX signal on a loop (uv_signal_t), so handlers run on the loop thread instead of
/// in async-signal context. Loop-thread only, like `LoopTimer`; the handle is freed in its close callback.
public final class LoopSignal {
    private let handle: UnsafeMutablePointer<uv_signal_t>
    private var callback: ((Int32) -> Void)?
    private var closed = false

    public init(loop: EventLoop) {
        handle = .allocate(capacity: 1)
        uv_signal_init(loop.uv, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// Calls `callback` with the signal number each time `signal` arrives.
    public func start(signal: Int32, _ callback: @escaping (Int32) -> Void) {
        guard !closed else { return }
        self.callback = callback
        uv_signal_start(handle, { handle, signum in
            guard let data = handle?.pointee.data else { return }
            Unmanaged<LoopSignal>.fromOpaque(data).takeUnretainedValue().callback?(signum)
        }, signal)
    }

    /// Stops watching and releases the handle.
    public func close() {
        guard !closed else { return }
        closed = true
        callback = nil
        uv_signal_stop(handle)
        handle.withMemoryRebound(to: uv_handle_t.self, capacity: 1) {
            uv_close($0) { handle in handle?.deallocate() }
        }
    }

    deinit { close() }
}
