import CCurl
import CLibUV

/// A uv_poll_t on one of curl's sockets, reporting readiness back to `CurlMulti`.
/// Loop-thread only; the poll handle is freed in its close callback.
final class SocketWatcher {
    private let poll = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
    private let socket: curl_socket_t
    private unowned let owner: CurlMulti

    init(loop: EventLoop, socket: curl_socket_t, owner: CurlMulti) {
        self.socket = socket
        self.owner = owner
        uv_poll_init_socket(loop.uv, poll, socket)
        poll.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    func start(_ events: Int32) {
        uv_poll_start(poll, events) { poll, status, events in
            let watcher = Unmanaged<SocketWatcher>.fromOpaque(poll!.pointee.data).takeUnretainedValue()
            var flags: Int32 = 0
            if status < 0 { flags = CURL_CSELECT_ERR }
            if events & Int32(UV_READABLE.rawValue) != 0 { flags |= CURL_CSELECT_IN }
            if events & Int32(UV_WRITABLE.rawValue) != 0 { flags |= CURL_CSELECT_OUT }
            watcher.owner.act(on: watcher.socket, events: flags)
        }
    }

    /// Stops polling; after this no callback refers to the watcher.
    func close() {
        uv_poll_stop(poll)
        uv_close(uvHandle(poll)) { $0?.deallocate() }
    }
}
