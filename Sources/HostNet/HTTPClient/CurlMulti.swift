import CCurl
import CHostShims
import CLibUV

/// curl_global_init is not thread-safe and must run once before any other curl call; a lazy
/// global gives exactly that.
let curlGlobalInit: CURLcode = host_curl_global_init_default()

/// The classic curl-multi-on-libuv driver: curl says which sockets to watch (SOCKETFUNCTION) and
/// when to wake it (TIMERFUNCTION); uv_poll_t / uv_timer_t report back via curl_multi_socket_action.
/// Loop-thread only. Its uv handles retain it until `shutdown()` has closed them.
final class CurlMulti: @unchecked Sendable {
    // @unchecked: all state is confined to the loop thread (`HTTPClient` hops there with execute).
    private let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    private let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
    private var watchers: [curl_socket_t: SocketWatcher] = [:]
    private var transfers: [UInt64: CurlTransfer] = [:]
    private(set) var isShutDown = false

    /// Call on the loop thread.
    init(loop: EventLoop) {
        _ = curlGlobalInit
        self.loop = loop
        multi = curl_multi_init()
        uv_timer_init(loop.uv, timer)
        timer.pointee.data = Unmanaged.passRetained(self).toOpaque()   // released when the timer closes
        let me = Unmanaged.passUnretained(self).toOpaque()
        host_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        host_curl_multi_setopt_socket_callback(multi) { _, socket, what, owner, _ in
            Unmanaged<CurlMulti>.fromOpaque(owner!).takeUnretainedValue().watch(socket, what)
            return 0
        }
        host_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        host_curl_multi_setopt_timer_callback(multi) { _, milliseconds, owner in
            Unmanaged<CurlMulti>.fromOpaque(owner!).takeUnretainedValue().schedule(milliseconds)
            return 0
        }
    }

    func start(id: UInt64, request: ClientRequest, completion: @escaping @Sendable (ClientResult) -> Void) {
        guard !isShutDown else { return completion(.failure(ClientError(kind: .cancelled, message: "client closed"))) }
        guard let transfer = CurlTransfer(id: id, request: request, completion: completion) else {
            return completion(.failure(ClientError(kind: .other, message: "curl_easy_init failed")))
        }
        transfers[id] = transfer
        // Adding only arms the timer (0 ms); the transfer starts on the next loop iteration.
        let added = curl_multi_add_handle(multi, transfer.easy)
        if added != CURLM_OK {
            finish(transfer, .failure(ClientError(kind: .other, message: String(cString: curl_multi_strerror(added)))))
        }
    }

    /// Completes `id` with `.cancelled` unless it already completed.
    func cancel(_ id: UInt64) {
        guard let transfer = transfers[id] else { return }
        finish(transfer, .failure(ClientError(kind: .cancelled, message: "request \(id) cancelled")))
    }

    /// Cancels everything in flight and releases curl and the uv handles.
    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        for transfer in transfers.values {
            finish(transfer, .failure(ClientError(kind: .cancelled, message: "client closed")))
        }
        curl_multi_cleanup(multi)   // closes cached connections (their sockets get CURL_POLL_REMOVE)
        for watcher in watchers.values { watcher.close() }
        watchers = [:]
        uv_close(uvHandle(timer)) { handle in
            guard let handle else { return }
            Unmanaged<CurlMulti>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
    }

    // MARK: curl → libuv

    private func watch(_ socket: curl_socket_t, _ what: Int32) {
        if what == CURL_POLL_REMOVE {
            watchers.removeValue(forKey: socket)?.close()
            return
        }
        let watcher = watchers[socket] ?? {
            let created = SocketWatcher(loop: loop, socket: socket, owner: self)
            watchers[socket] = created
            return created
        }()
        var events: Int32 = 0
        if what & CURL_POLL_IN != 0 { events |= Int32(UV_READABLE.rawValue) }
        if what & CURL_POLL_OUT != 0 { events |= Int32(UV_WRITABLE.rawValue) }
        watcher.start(events)
    }

    private func schedule(_ milliseconds: Int) {
        guard milliseconds >= 0 else { uv_timer_stop(timer); return }
        // Never act inside curl's callback: a 0 ms timer runs on the next loop iteration.
        uv_timer_start(timer, { handle in
            Unmanaged<CurlMulti>.fromOpaque(handle!.pointee.data).takeUnretainedValue().act(on: CURL_SOCKET_TIMEOUT, events: 0)
        }, UInt64(milliseconds), 0)
    }

    // MARK: libuv → curl

    func act(on socket: curl_socket_t, events: Int32) {
        guard !isShutDown else { return }
        var running: Int32 = 0
        curl_multi_socket_action(multi, socket, events, &running)
        collectFinished()
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var tag: UnsafeMutableRawPointer?
            host_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &tag)
            guard let transfer = transfers[UInt64(UInt(bitPattern: tag))] else { continue }
            finish(transfer, transfer.result(code))
        }
    }

    /// The single exit of a transfer: forget it, detach it from curl, then tell the caller once.
    private func finish(_ transfer: CurlTransfer, _ result: ClientResult) {
        transfers[transfer.id] = nil
        curl_multi_remove_handle(multi, transfer.easy)
        transfer.cleanup()
        transfer.completion(result)
    }
}
