import CLibUV

/// A one-shot or repeating timer on a loop. Loop-thread only: create, start and cancel it there.
/// The uv handle is freed in its close callback, as libuv requires.
public final class LoopTimer {
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?
    private var closed = false

    public init(loop: EventLoop) {
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.uv, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// Fires `callback` after `delayMilliseconds`, then every `repeatMilliseconds` if non-zero.
    public func start(after delayMilliseconds: UInt64, repeat repeatMilliseconds: UInt64 = 0, _ callback: @escaping () -> Void) {
        guard !closed else { return }
        self.callback = callback
        uv_timer_start(handle, { handle in
            guard let data = handle?.pointee.data else { return }
            Unmanaged<LoopTimer>.fromOpaque(data).takeUnretainedValue().callback?()
        }, delayMilliseconds, repeatMilliseconds)
    }

    public func stop() {
        guard !closed else { return }
        uv_timer_stop(handle)
    }

    /// Stops and releases the timer; it cannot be started again.
    public func close() {
        guard !closed else { return }
        closed = true
        callback = nil
        handle.withMemoryRebound(to: uv_handle_t.self, capacity: 1) {
            // Already closing: the loop stopped and closed every handle it still had (EventLoop's
            // final walk, with no callback), and has finished with it. A timer released after that
            // (a call's objects freed after the host stopped) only frees its memory.
            guard uv_is_closing($0) == 0 else { return handle.deallocate() }
            uv_close($0) { handle in handle?.deallocate() }
        }
    }

    deinit { close() }
}
