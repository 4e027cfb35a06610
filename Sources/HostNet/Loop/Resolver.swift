// CHostShims for SOCK_STREAM: a whole-module (release) build finds the socket constants through
// it (it includes <sys/socket.h>), not through Glibc (see WebSocketClient.swift).
import CHostShims
import CLibUV
import Glibc

/// One resolved address: the socket address to connect to and its numeric text (for libraries
/// that take a string, such as hiredis).
public struct ResolvedAddress {
    public var storage: sockaddr_storage
    public var length: Int
    /// "127.0.0.1", "::1": `inet_ntop` of `storage`.
    public let text: String
}

/// The one way the host resolves names: `uv_getaddrinfo` on the loop (libuv runs getaddrinfo on
/// its thread pool, so the loop never blocks on DNS), the first IPv4 or IPv6 stream address,
/// failures as a typed `UVError` (`UV_EAI_NONAME` for an unknown name). Used by the WebSocket
/// client and the Redis connection.
///
/// Loop-confined: `resolve` runs on `loop`'s thread and completes there, exactly once. Callers
/// that may have moved on meanwhile (a timeout, a newer attempt) check that in the completion.
public struct Resolver {
    public let loop: EventLoop

    public init(loop: EventLoop) { self.loop = loop }

    /// Resolves `host` (a name or a numeric address) for a TCP connection to `port`.
    public func resolve(_ host: String, port: Int, completion: @escaping (Result<ResolvedAddress, UVError>) -> Void) {
        loop.preconditionInLoop()
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        let box = Unmanaged.passRetained(CompletionBox(completion))
        request.pointee.data = box.toOpaque()
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let status = uv_getaddrinfo(loop.uv, request, { request, status, result in
            guard let request else { return }
            let box = Unmanaged<CompletionBox>.fromOpaque(request.pointee.data).takeRetainedValue()
            request.deallocate()
            defer { if let result { uv_freeaddrinfo(result) } }
            guard status == 0 else { return box.completion(.failure(UVError(status))) }
            guard let address = Resolver.firstAddress(result) else {
                return box.completion(.failure(UVError(UV_EAI_NODATA.rawValue)))
            }
            box.completion(.success(address))
        }, host, String(port), &hints)
        if status < 0 {
            box.release()
            request.deallocate()
            completion(.failure(UVError(status)))
        }
    }

    /// The first IPv4 or IPv6 entry of a getaddrinfo list.
    static func firstAddress(_ list: UnsafeMutablePointer<addrinfo>?) -> ResolvedAddress? {
        var cursor = list
        while let info = cursor {
            cursor = info.pointee.ai_next
            let family = info.pointee.ai_family
            guard family == AF_INET || family == AF_INET6, let address = info.pointee.ai_addr else { continue }
            var storage = sockaddr_storage()
            let length = Int(info.pointee.ai_addrlen)
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.baseAddress!.copyMemory(from: address, byteCount: min(length, raw.count))
            }
            var name = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let ok = withUnsafePointer(to: &storage) { pointer in
                let raw = UnsafeRawPointer(pointer)
                return family == AF_INET6
                    ? uv_ip6_name(raw.assumingMemoryBound(to: sockaddr_in6.self), &name, name.count) == 0
                    : uv_ip4_name(raw.assumingMemoryBound(to: sockaddr_in.self), &name, name.count) == 0
            }
            guard ok else { continue }
            let text = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return ResolvedAddress(storage: storage, length: length, text: text)
        }
        return nil
    }
}

/// Carries a completion through libuv's `data` pointer.
private final class CompletionBox {
    let completion: (Result<ResolvedAddress, UVError>) -> Void
    init(_ completion: @escaping (Result<ResolvedAddress, UVError>) -> Void) { self.completion = completion }
}
