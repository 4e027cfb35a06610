import CLibUV
import Foundation

/// A UDP socket on the loop (libuv `uv_udp_t`), for one call's RTP: datagrams in through a
/// callback, out with `uv_udp_try_send` (never blocks: a datagram the kernel cannot take now is
/// dropped, as RTP would lose it anyway). Loop-thread only; the handle is freed in its close callback.
public final class UDPSocket {
    private let handle: UnsafeMutablePointer<uv_udp_t>
    /// One receive buffer, reused: libuv hands each datagram to `received` before the next read.
    private let buffer = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 16)
    private var peer = sockaddr_storage()
    private var hasPeer = false
    private var closed = false
    /// Each datagram's bytes and the numeric address it came from.
    public var received: (([UInt8], String) -> Void)?
    public private(set) var dropped = 0

    public init(loop: EventLoop) {
        handle = .allocate(capacity: 1)
        uv_udp_init(loop.uv, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// Binds `host` (numeric) on `port` (0: the kernel picks) and starts reading; returns the port.
    public func bind(host: String, port: Int = 0) throws(UVError) -> Int {
        var address = sockaddr_storage()
        var status = Self.fill(&address, host: host, port: port)
        guard status == 0 else { throw UVError(status) }
        status = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_bind(handle, $0, 0) } }
        guard status == 0 else { throw UVError(status) }
        var bound = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_getsockname(handle, $0, &length) } }
        status = uv_udp_recv_start(handle, { handle, _, buffer in
            let socket = Unmanaged<UDPSocket>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            buffer!.pointee = uv_buf_init(socket.buffer.assumingMemoryBound(to: CChar.self), 2048)
        }, { handle, count, _, address, _ in
            guard count > 0, let address, let data = handle?.pointee.data else { return }
            let socket = Unmanaged<UDPSocket>.fromOpaque(data).takeUnretainedValue()
            let bytes = [UInt8](UnsafeRawBufferPointer(start: socket.buffer, count: count))
            socket.received?(bytes, UDPSocket.numeric(address))
        })
        guard status == 0 else { throw UVError(status) }
        return Self.port(of: bound)
    }

    /// Where `send` goes (the SDP's connection address and port).
    public func connectPeer(host: String, port: Int) throws(UVError) {
        let status = Self.fill(&peer, host: host, port: port)
        guard status == 0 else { throw UVError(status) }
        hasPeer = true
    }

    public func send(_ bytes: [UInt8]) {
        guard hasPeer, !closed else { return }
        let status = bytes.withUnsafeBytes { raw -> Int32 in
            var buffer = uv_buf_init(UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: CChar.self)), UInt32(raw.count))
            return withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_try_send(handle, &buffer, 1, $0) } }
        }
        if status < 0 { dropped += 1 }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        received = nil
        let buffer = self.buffer
        uv_udp_recv_stop(handle)
        handle.withMemoryRebound(to: uv_handle_t.self, capacity: 1) {
            guard uv_is_closing($0) == 0 else { handle.deallocate(); buffer.deallocate(); return }
            $0.pointee.data = buffer
            uv_close($0) { handle in
                handle?.pointee.data.deallocate()
                handle?.deallocate()
            }
        }
    }

    deinit { close() }

    private static func fill(_ address: inout sockaddr_storage, host: String, port: Int) -> Int32 {
        withUnsafeMutableBytes(of: &address) { raw in
            host.contains(":")
                ? uv_ip6_addr(host, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self))
                : uv_ip4_addr(host, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self))
        }
    }

    private static func numeric(_ address: UnsafePointer<sockaddr>) -> String {
        var text = [CChar](repeating: 0, count: 64)
        if address.pointee.sa_family == sa_family_t(AF_INET6) {
            _ = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_name($0, &text, text.count) }
        } else {
            _ = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_name($0, &text, text.count) }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func port(of address: sockaddr_storage) -> Int {
        var copy = address
        return withUnsafeBytes(of: &copy) { raw in
            // sin_port and sin6_port sit at the same offset, in network order.
            Int(UInt16(raw[2]) << 8 | UInt16(raw[3]))
        }
    }
}
