import Glibc
import PluginABI

/// An HTTP request made through the host's event loop.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-request timeout in milliseconds; 0 = the host's default.
    public var timeoutMilliseconds: UInt32

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeoutMilliseconds: UInt32 = 0) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

public struct HTTPResponse: Sendable {
    public let statusCode: Int
    public let headers: [(String, String)]
    public let body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct HTTPClient: @unchecked Sendable {
    // @unchecked: holds the host's immutable service table, whose functions are thread-safe.
    let host: PluginHost
    let table: UnsafePointer<ah_host_http_t>

    /// Sends a request. A response with any HTTP status returns; no response at all throws
    /// (`PluginError.timeout`, `.unavailable`, `.cancelled`). Task cancellation cancels the request.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let box = ResponseBox()
        let id = try start(request, box: box)
        return try await withTaskCancellationHandler {
            try await box.wait()
        } onCancel: {
            table.pointee.cancel(host.raw, id)
        }
    }

    private func start(_ request: HTTPRequest, box: ResponseBox) throws -> UInt64 {
        let flat = request.headers.flatMap { [$0.0, $0.1] }
        return try withCStrings(flat) { cStrings in
            var headers = (0..<request.headers.count).map {
                ah_http_header_t(name: cStrings[2 * $0], value: cStrings[2 * $0 + 1])
            }
            var error = ah_error_t()
            var requestID: UInt64 = 0
            let status: ah_status_t = headers.withUnsafeMutableBufferPointer { headerBuffer in
                request.body.withUnsafeBufferPointer { body in
                    body.withMemoryRebound(to: CChar.self) { bodyChars in
                        var c = ah_http_request_t()
                        c.struct_size = UInt32(MemoryLayout<ah_http_request_t>.size)
                        return request.method.withCString { method in
                            request.url.withCString { url in
                                c.method = method
                                c.url = url
                                c.headers = UnsafePointer(headerBuffer.baseAddress)
                                c.header_count = UInt32(headerBuffer.count)
                                c.body = bodyChars.baseAddress
                                c.body_len = bodyChars.count
                                c.timeout_ms = request.timeoutMilliseconds
                                let user = Unmanaged.passRetained(box).toOpaque()
                                let status = table.pointee.request(host.raw, &c, httpCallback, user, &requestID, &error)
                                if status != AH_OK { Unmanaged<ResponseBox>.fromOpaque(user).release() }
                                return status
                            }
                        }
                    }
                }
            }
            if status != AH_OK {
                throw PluginError(status: status, message: ABIText.message(of: &error, default: "HTTP request refused"))
            }
            return requestID
        }
    }
}

/// Receives one HTTP completion, possibly before anyone awaits it.
final class ResponseBox: @unchecked Sendable {
    // @unchecked: all state is guarded by `lock`.
    private let lock = NSLockLite()
    private var result: Result<HTTPResponse, PluginError>?
    private var waiter: CheckedContinuation<HTTPResponse, any Error>?

    func complete(_ value: Result<HTTPResponse, PluginError>) {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(with: value.mapError { $0 as any Error })
        } else {
            result = value
            lock.unlock()
        }
    }

    func wait() async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(with: result.mapError { $0 as any Error })
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}

private let httpCallback: ah_http_callback_t = { user, response in
    guard let user else { return }
    let box = Unmanaged<ResponseBox>.fromOpaque(user).takeRetainedValue()
    guard let response else {
        box.complete(.failure(.failed("host delivered no response")))
        return
    }
    let r = response.pointee
    guard r.status == AH_OK else {
        let message = r.error_message.map { String(cString: $0) } ?? "request failed"
        box.complete(.failure(PluginError(status: r.status, message: message)))
        return
    }
    var headers: [(String, String)] = []
    if let list = r.headers {
        for i in 0..<Int(r.header_count) {
            headers.append((String(cString: list[i].name), String(cString: list[i].value)))
        }
    }
    let body = r.body.map { Array(UnsafeRawBufferPointer(start: $0, count: r.body_len)) } ?? []
    box.complete(.success(HTTPResponse(statusCode: Int(r.http_status), headers: headers, body: body)))
}

/// Plugin metrics; the host adds `plugin` and `tenant` labels.
public struct Metrics: @unchecked Sendable {
    // @unchecked: holds the host's immutable service table, whose functions are thread-safe.
    let host: PluginHost
    let table: UnsafePointer<ah_host_metrics_t>

    public func increment(_ name: String, by value: Double = 1, labels: [String: String] = [:]) {
        record(labels) { table.pointee.counter_add(host.raw, name, $0, $1, value) }
    }

    public func gauge(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        record(labels) { table.pointee.gauge_set(host.raw, name, $0, $1, value) }
    }

    public func observe(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        record(labels) { table.pointee.histogram_observe(host.raw, name, $0, $1, value) }
    }

    private func record(_ labels: [String: String], _ body: (UnsafePointer<ah_metric_label_t>?, UInt32) -> ah_status_t) {
        let pairs = labels.sorted { $0.key < $1.key }
        let status = withCStrings(pairs.flatMap { [$0.key, $0.value] }) { c in
            let list = (0..<pairs.count).map { ah_metric_label_t(name: c[2 * $0], value: c[2 * $0 + 1]) }
            return list.withUnsafeBufferPointer { body($0.baseAddress, UInt32($0.count)) }
        }
        if status != AH_OK { host.log(.warning, "metric refused (status \(status))") }
    }
}

/// Per-session key/value storage, namespaced to this plugin.
public struct SessionStore: @unchecked Sendable {
    // @unchecked: holds the host's immutable service table, whose functions are thread-safe.
    let host: PluginHost
    let table: UnsafePointer<ah_host_session_kv_t>

    public func get(_ key: String, session: String) -> String? {
        final class Reader { var value: String? }
        let reader = Reader()
        let status = table.pointee.get(host.raw, session, key, { user, value, length in
            guard let user, let value else { return }
            let reader = Unmanaged<Reader>.fromOpaque(user).takeUnretainedValue()
            reader.value = String(decoding: UnsafeRawBufferPointer(start: value, count: length), as: UTF8.self)
        }, Unmanaged.passUnretained(reader).toOpaque())
        return status == AH_OK ? reader.value : nil
    }

    @discardableResult
    public func set(_ key: String, _ value: String, session: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                table.pointee.set(host.raw, session, key, $0.baseAddress, $0.count) == AH_OK
            }
        }
    }

    public func remove(_ key: String, session: String) {
        _ = table.pointee.remove(host.raw, session, key)
    }
}

/// One-shot timers on the host's loop.
public struct Timers: @unchecked Sendable {
    // @unchecked: holds the host's immutable service table, whose functions are thread-safe.
    let host: PluginHost
    let table: UnsafePointer<ah_host_timer_t>

    /// Suspends for `milliseconds` without blocking any thread the host owns.
    public func sleep(milliseconds: UInt64) async throws {
        let box = ResponseBox()
        var error = ah_error_t()
        var id: UInt64 = 0
        let user = Unmanaged.passRetained(box).toOpaque()
        let status = table.pointee.start(host.raw, milliseconds, { user, _, cancelled in
            guard let user else { return }
            let box = Unmanaged<ResponseBox>.fromOpaque(user).takeRetainedValue()
            box.complete(cancelled != 0 ? .failure(.cancelled) : .success(HTTPResponse(statusCode: 0, headers: [], body: [])))
        }, user, &id, &error)
        guard status == AH_OK else {
            Unmanaged<ResponseBox>.fromOpaque(user).release()
            throw PluginError(status: status, message: ABIText.message(of: &error, default: "timer refused"))
        }
        let timerID = id
        _ = try await withTaskCancellationHandler {
            try await box.wait()
        } onCancel: {
            table.pointee.cancel(host.raw, timerID)
        }
    }
}

/// A tiny pthread mutex: the SDK avoids Foundation's NSLock to keep plugins light.
final class NSLockLite: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
