import CLibUV

/// Is anything listening at `host:port`? One non-blocking TCP connect on the loop, closed as soon
/// as it is answered. Used to tell a dead host from a live one before taking its work over
/// (docs/scaling.md, "Owner leases"): a refused connection answers within a round trip, which
/// is what lets a conversation move off a killed host without waiting for any TTL.
public final class TCPProbe {
    public enum Outcome: Sendable, Equatable {
        /// A process accepted the connection.
        case listening
        /// The connection was refused (`ECONNREFUSED`): the machine answered and nothing listens there.
        case refused(String)
        /// No answer within the timeout (a host hung, or a network dropping packets): unknown.
        case noAnswer
    }

    private let loop: EventLoop
    private let timer: LoopTimer
    private var tcp: UnsafeMutablePointer<uv_tcp_t>?
    private var completion: ((Outcome) -> Void)?

    /// Loop thread. `host` is an IPv4 or IPv6 address or a name (resolved off the loop by libuv;
    /// a name that does not resolve is `noAnswer`: unknown, not dead); `completion` runs once, on the loop.
    public static func check(loop: EventLoop, host: String, port: Int, timeoutMilliseconds: UInt64 = 1000,
                             completion: @escaping (Outcome) -> Void) {
        loop.preconditionInLoop()
        TCPProbe(loop: loop, completion: completion).start(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds)
    }

    private init(loop: EventLoop, completion: @escaping (Outcome) -> Void) {
        self.loop = loop
        self.timer = LoopTimer(loop: loop)
        self.completion = completion
    }

    private func start(host: String, port: Int, timeoutMilliseconds: UInt64) {
        var address = sockaddr_storage()
        let numeric = withUnsafeMutableBytes(of: &address) { raw in
            host.contains(":")
                ? uv_ip6_addr(host, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
                : uv_ip4_addr(host, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
        guard numeric == 0 else {
            timer.start(after: timeoutMilliseconds) { [self] in finish(.noAnswer) }
            return Resolver(loop: loop).resolve(host, port: port) { [self] result in
                guard completion != nil else { return }
                guard case .success(var resolved) = result else { return finish(.noAnswer) }
                connect(&resolved.storage)
            }
        }
        timer.start(after: timeoutMilliseconds) { [self] in finish(.noAnswer) }
        connect(&address)
    }

    private func connect(_ address: UnsafeMutablePointer<sockaddr_storage>) {
        let tcp = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop.uv, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()   // released in the close callback
        self.tcp = tcp
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status = uv_tcp_connect(request, tcp, UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr.self)) { request, status in
            guard let request else { return }
            let probe = Unmanaged<TCPProbe>.fromOpaque(request.pointee.data).takeRetainedValue()
            request.deallocate()
            // ECANCELED: the timeout closed the handle first and already answered.
            probe.finish(TCPProbe.outcome(status))
        }
        if status < 0 {
            Unmanaged<TCPProbe>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            finish(Self.outcome(status))
        }
    }

    /// Only a refusal proves nothing listens: an unreachable host or network, or a timeout, may be
    /// a partition in front of a live process, so those are "no answer" (unknown), never "dead".
    public static func outcome(_ status: Int32) -> Outcome {
        if status == 0 { return .listening }
        if status == UV_ECONNREFUSED.rawValue { return .refused(UVError(status).description) }
        return .noAnswer
    }

    private func finish(_ outcome: Outcome) {
        guard let completion else { return }
        self.completion = nil
        timer.close()
        if let tcp {
            self.tcp = nil
            uv_close(uvHandle(tcp)) { handle in
                guard let handle else { return }
                if let data = handle.pointee.data { Unmanaged<TCPProbe>.fromOpaque(data).release() }
                handle.deallocate()
            }
        }
        completion(outcome)
    }
}
