import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import PluginABI
import Synchronization

/// "agent_host.http/1" for the harness, offered only with `PluginHarness(…, grantHTTP: true)`:
/// requests go out through URLSession. The contract is the host's — the request is copied before
/// `request` returns, a malformed method or URL is refused with AH_ERR_INVALID_ARGUMENT and no
/// callback, every accepted request gets exactly one callback (AH_OK with any HTTP status, or
/// AH_ERR_TIMEOUT / AH_ERR_UNAVAILABLE / AH_ERR_CANCELLED with a message), `timeout_ms` bounds the
/// whole request (0 = 10 s) — except that callbacks run on a URLSession or dispatch thread rather
/// than a session loop, and redirects are followed.
nonisolated(unsafe) let harnessHTTP: UnsafeMutablePointer<ah_host_http_t> = {
    let table = UnsafeMutablePointer<ah_host_http_t>.allocate(capacity: 1)
    table.initialize(to: ah_host_http_t(
        struct_size: UInt32(MemoryLayout<ah_host_http_t>.size),
        request: { host, request, callback, user, outID, error in
            guard let harness = PluginHarness.from(host), let request, let callback else {
                HarnessHTTP.write("http.request: host, request and callback are required", to: error)
                return AH_ERR_INVALID_ARGUMENT
            }
            return HarnessHTTP.start(harness.services, request.pointee, HarnessHTTP.Callback(function: callback, user: user), outID, error)
        },
        cancel: { host, id in
            guard let harness = PluginHarness.from(host) else { return }
            HarnessHTTP.finish(harness.services, id, status: AH_ERR_CANCELLED, message: "request cancelled")
        }))
    return table
}()

enum HarnessHTTP {
    /// The plugin's callback and its opaque pointer, handed back once.
    struct Callback: @unchecked Sendable {
        // @unchecked: `user` is the plugin's pointer, only passed back to its own callback.
        let function: ah_http_callback_t
        let user: UnsafeMutableRawPointer?
    }

    /// One request in flight.
    struct Call: @unchecked Sendable {
        // @unchecked: URLSessionTask is thread-safe to cancel; the rest is immutable.
        let callback: Callback
        let task: URLSessionDataTask
    }

    static func start(_ services: HarnessServices, _ c: ah_http_request_t, _ callback: Callback,
                      _ outID: UnsafeMutablePointer<UInt64>?, _ error: UnsafeMutablePointer<ah_error_t>?) -> ah_status_t {
        guard c.struct_size >= UInt32(MemoryLayout<ah_http_request_t>.size) else {
            write("http.request: struct_size is \(c.struct_size); set it to sizeof(ah_http_request_t)", to: error)
            return AH_ERR_INVALID_ARGUMENT
        }
        guard let method = c.method.flatMap({ String(validatingCString: $0) }), (1...32).contains(method.utf8.count),
              method.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            write("http.request: method must be an upper-case HTTP method such as GET or POST", to: error)
            return AH_ERR_INVALID_ARGUMENT
        }
        guard let text = c.url.flatMap({ String(validatingCString: $0) }), let url = URL(string: text),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", !(url.host ?? "").isEmpty else {
            write("http.request: url must be an absolute http:// or https:// URL", to: error)
            return AH_ERR_INVALID_ARGUMENT
        }
        guard c.header_count == 0 || c.headers != nil, c.body_len == 0 || c.body != nil else {
            write("http.request: headers or body is NULL but its count is not 0", to: error)
            return AH_ERR_INVALID_ARGUMENT
        }
        let timeout = c.timeout_ms == 0 ? 10_000 : Int(c.timeout_ms)
        var request = URLRequest(url: url, timeoutInterval: Double(timeout) / 1000)
        request.httpMethod = method
        for index in 0..<Int(c.header_count) {
            guard let name = c.headers![index].name.flatMap({ String(validatingCString: $0) }), !name.isEmpty,
                  let value = c.headers![index].value.flatMap({ String(validatingCString: $0) }),
                  !name.contains(":"), !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }) else {
                write("http.request: header \(index) has no valid name or value", to: error)
                return AH_ERR_INVALID_ARGUMENT
            }
            request.addValue(value, forHTTPHeaderField: name)
        }
        if c.body_len > 0 { request.httpBody = Data(bytes: c.body!, count: c.body_len) }

        let id = services.nextID()
        let task = URLSession.shared.dataTask(with: request) { data, response, failure in
            if let response = response as? HTTPURLResponse {
                let headers = response.allHeaderFields.map { ("\($0.key)", "\($0.value)") }
                finish(services, id, status: AH_OK, httpStatus: Int32(response.statusCode), headers: headers, body: data ?? Data())
            } else {
                let code = (failure as? URLError)?.code
                let status = code == .timedOut ? AH_ERR_TIMEOUT : (code == .cancelled ? AH_ERR_CANCELLED : AH_ERR_UNAVAILABLE)
                finish(services, id, status: status, message: failure.map { "\(url.host ?? "host"): \($0.localizedDescription)" } ?? "no response")
            }
        }
        services.httpCalls.withLock { $0[id] = Call(callback: callback, task: task) }
        outID?.pointee = id
        task.resume()
        // URLSession's timeout is per idle gap; this bounds the whole request, as the host does.
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(timeout)) {
            finish(services, id, status: AH_ERR_TIMEOUT, message: "no response from \(url.host ?? "host") within \(timeout) ms")
        }
        return AH_OK
    }

    /// Delivers request `id`'s one callback, unless it was already delivered; cancels the task
    /// when the request ends without its response (cancel, timeout).
    static func finish(_ services: HarnessServices, _ id: UInt64, status: ah_status_t, httpStatus: Int32 = 0,
                       headers: [(String, String)] = [], body: Data = Data(), message: String? = nil) {
        guard let call = services.httpCalls.withLock({ $0.removeValue(forKey: id) }) else { return }
        if status != AH_OK { call.task.cancel() }
        let deliver: @Sendable () -> Void = {
            let strings = headers.flatMap { [strdup($0.0)!, strdup($0.1)!] }
            defer { strings.forEach { free($0) } }
            let cHeaders = (0..<headers.count).map { ah_http_header_t(name: strings[2 * $0], value: strings[2 * $0 + 1]) }
            var bytes = [UInt8](body)
            bytes.append(0)
            cHeaders.withUnsafeBufferPointer { headerBuffer in
                bytes.withUnsafeBufferPointer { bodyBuffer in
                    bodyBuffer.withMemoryRebound(to: CChar.self) { bodyChars in
                        withOptionalCString(message) { cMessage in
                            var response = ah_http_response_t(
                                struct_size: UInt32(MemoryLayout<ah_http_response_t>.size), status: status, http_status: httpStatus,
                                headers: headers.isEmpty ? nil : headerBuffer.baseAddress, header_count: UInt32(headers.count),
                                body: bodyChars.baseAddress, body_len: bytes.count - 1, error_message: cMessage)
                            call.callback.function(call.callback.user, &response)
                        }
                    }
                }
            }
        }
        // Never inside the plugin's own `cancel` call.
        if status == AH_ERR_CANCELLED { DispatchQueue.global().async(execute: deliver) } else { deliver() }
    }

    static func write(_ message: String, to error: UnsafeMutablePointer<ah_error_t>?) {
        guard let error else { return }
        let all = Array(message.utf8)
        var count = min(all.count, Int(AH_ERROR_MESSAGE_CAPACITY) - 1)
        if count < all.count { while count > 0 && all[count] & 0xC0 == 0x80 { count -= 1 } }
        withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
            buffer.copyBytes(from: all[..<count])
            buffer[count] = 0
        }
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
