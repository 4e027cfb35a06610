import Foundation
import HostNet

/// A protocol-faithful OTLP/HTTP trace receiver (a stand-in for an OpenTelemetry collector): a
/// real HTTP listener on loopback taking `POST /v1/traces` with `Content-Type:
/// application/x-protobuf`, decoding each `ExportTraceServiceRequest` with `OTLPTraceDecoder`
/// and answering with an empty `ExportTraceServiceResponse`, as the OTLP specification says.
/// Anything else gets the status a collector would give (404, 405, 415, 400).
public final class OTLPReceiver: @unchecked Sendable {
    // @unchecked: `received`, `failures` are guarded by `lock`; the server runs on its own loop.
    private let loop = EventLoop(name: "otlp-receiver")
    private var server: HTTPServer!
    private let lock = NSLock()
    private var received: [OTLPSpan] = []
    private var failures: [String] = []
    private var exports = 0

    public init() throws {
        loop.start()
        server = HTTPServer(loop: loop) { [weak self] request, respond in
            respond(self?.handle(request) ?? HTTPResponse(status: 503))
        }
        do { try server.start() } catch {
            loop.stop()
            throw error
        }
    }

    /// The base endpoint to configure (`telemetry.otlp_endpoint`).
    public var endpoint: String { "http://127.0.0.1:\(server.port)" }

    public var spans: [OTLPSpan] { lock.withLock { received } }
    /// Requests that were not valid OTLP/HTTP protobuf exports, and why.
    public var rejected: [String] { lock.withLock { failures } }
    public var exportCount: Int { lock.withLock { exports } }

    public func stop() {
        server.stop()
        loop.stop()
    }

    /// Waits (at most `seconds`) until the spans received satisfy `condition`.
    public func waitFor(seconds: Double = 10, _ condition: ([OTLPSpan]) -> Bool) -> [OTLPSpan] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(spans) { break }
            usleep(20_000)
        }
        return spans
    }

    private func handle(_ request: HTTPRequest) -> HTTPResponse {
        func reject(_ status: Int, _ why: String) -> HTTPResponse {
            lock.withLock { failures.append("\(request.method) \(request.path): \(why)") }
            return HTTPResponse(status: status, text: why)
        }
        guard request.path == "/v1/traces" else { return reject(404, "not an OTLP traces path") }
        guard request.method == "POST" else { return reject(405, "OTLP/HTTP exports are POSTs") }
        let type = request.headers["Content-Type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/x-protobuf" else { return reject(415, "Content-Type \(type ?? "none") is not application/x-protobuf") }
        if let encoding = request.headers["Content-Encoding"], encoding.lowercased() != "identity" {
            return reject(415, "Content-Encoding \(encoding) is not supported by this receiver")
        }
        do {
            let spans = try OTLPTraceDecoder.decodeExportRequest(request.body)
            lock.withLock {
                received.append(contentsOf: spans)
                exports += 1
            }
        } catch {
            return reject(400, "undecodable ExportTraceServiceRequest: \(error)")
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/x-protobuf"], body: [])
    }
}

/// One span as the receiver decoded it (ids in lowercase hex, as W3C traceparent writes them).
public struct OTLPSpan: Sendable, CustomStringConvertible {
    public enum Value: Sendable, Equatable {
        case string(String), bool(Bool), int(Int64), double(Double), array([Value]), other
    }

    public var traceID = ""
    public var spanID = ""
    /// Empty for a root span.
    public var parentSpanID = ""
    public var name = ""
    /// SPAN_KIND_*: 1 internal, 2 server, 3 client.
    public var kind = 0
    public var startNanoseconds: UInt64 = 0
    public var endNanoseconds: UInt64 = 0
    public var attributes: [String: Value] = [:]
    /// STATUS_CODE_*: 0 unset, 1 ok, 2 error.
    public var statusCode = 0
    public var statusMessage = ""
    /// The resource's attributes (service.name, …).
    public var resource: [String: Value] = [:]

    public func string(_ key: String) -> String? {
        if case .string(let text) = attributes[key] { return text }
        return nil
    }

    public func int(_ key: String) -> Int64? {
        if case .int(let number) = attributes[key] { return number }
        return nil
    }

    /// Every string anywhere in the span's attributes (for "no caller text" checks).
    public var allStrings: [String] {
        func strings(_ value: Value) -> [String] {
            switch value {
            case .string(let text): [text]
            case .array(let values): values.flatMap(strings)
            default: []
            }
        }
        return attributes.values.flatMap(strings) + [name]
    }

    public var description: String { "\(name) [\(spanID) ← \(parentSpanID.isEmpty ? "root" : parentSpanID)] \(attributes)" }
}

/// A hand-written protobuf wire decoder for the OTLP trace messages, field numbers from
/// opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
/// common/v1/common.proto, resource/v1/resource.proto). Unknown fields are skipped, as protobuf
/// requires.
public enum OTLPTraceDecoder {
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
    }

    /// ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    public static func decodeExportRequest(_ bytes: [UInt8]) throws -> [OTLPSpan] {
        var spans: [OTLPSpan] = []
        try fields(bytes) { number, field in
            if number == 1, case .bytes(let resourceSpans) = field { spans += try decodeResourceSpans(resourceSpans) }
        }
        return spans
    }

    /// ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    static func decodeResourceSpans(_ bytes: ArraySlice<UInt8>) throws -> [OTLPSpan] {
        var resource: [String: OTLPSpan.Value] = [:]
        var spans: [OTLPSpan] = []
        try fields(bytes) { number, field in
            guard case .bytes(let body) = field else { return }
            switch number {
            case 1:  // Resource { repeated KeyValue attributes = 1; }
                try fields(body) { n, f in
                    if n == 1, case .bytes(let keyValue) = f { let (k, v) = try decodeKeyValue(keyValue); resource[k] = v }
                }
            case 2:  // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
                try fields(body) { n, f in
                    if n == 2, case .bytes(let span) = f { spans.append(try decodeSpan(span)) }
                }
            default: break
            }
        }
        return spans.map { var span = $0; span.resource = resource; return span }
    }

    /// Span: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6, start 7, end 8,
    /// attributes 9, status 15 { message 2, code 3 }.
    static func decodeSpan(_ bytes: ArraySlice<UInt8>) throws -> OTLPSpan {
        var span = OTLPSpan()
        try fields(bytes) { number, field in
            switch (number, field) {
            case (1, .bytes(let id)): span.traceID = hex(id)
            case (2, .bytes(let id)): span.spanID = hex(id)
            case (4, .bytes(let id)): span.parentSpanID = hex(id)
            case (5, .bytes(let name)): span.name = String(decoding: name, as: UTF8.self)
            case (6, .varint(let kind)): span.kind = Int(kind)
            case (7, .fixed64(let time)): span.startNanoseconds = time
            case (8, .fixed64(let time)): span.endNanoseconds = time
            case (9, .bytes(let keyValue)):
                let (key, value) = try decodeKeyValue(keyValue)
                span.attributes[key] = value
            case (15, .bytes(let status)):
                try fields(status) { n, f in
                    if n == 2, case .bytes(let message) = f { span.statusMessage = String(decoding: message, as: UTF8.self) }
                    if n == 3, case .varint(let code) = f { span.statusCode = Int(code) }
                }
            default: break
            }
        }
        guard span.traceID.count == 32, span.spanID.count == 16 else {
            throw Malformed(description: "span \"\(span.name)\" has trace id \"\(span.traceID)\" and span id \"\(span.spanID)\" (16 and 8 bytes required)")
        }
        return span
    }

    /// KeyValue { string key = 1; AnyValue value = 2; }
    static func decodeKeyValue(_ bytes: ArraySlice<UInt8>) throws -> (String, OTLPSpan.Value) {
        var key = ""
        var value = OTLPSpan.Value.other
        try fields(bytes) { number, field in
            if number == 1, case .bytes(let text) = field { key = String(decoding: text, as: UTF8.self) }
            if number == 2, case .bytes(let any) = field { value = try decodeAnyValue(any) }
        }
        return (key, value)
    }

    /// AnyValue { string 1; bool 2; int64 3; double 4; ArrayValue 5 { repeated AnyValue values = 1; } … }
    static func decodeAnyValue(_ bytes: ArraySlice<UInt8>) throws -> OTLPSpan.Value {
        var value = OTLPSpan.Value.other
        try fields(bytes) { number, field in
            switch (number, field) {
            case (1, .bytes(let text)): value = .string(String(decoding: text, as: UTF8.self))
            case (2, .varint(let flag)): value = .bool(flag != 0)
            case (3, .varint(let number)): value = .int(Int64(bitPattern: number))
            case (4, .fixed64(let bits)): value = .double(Double(bitPattern: bits))
            case (5, .bytes(let array)):
                var values: [OTLPSpan.Value] = []
                try fields(array) { n, f in if n == 1, case .bytes(let item) = f { values.append(try decodeAnyValue(item)) } }
                value = .array(values)
            default: break
            }
        }
        return value
    }

    // MARK: wire format

    enum Field {
        case varint(UInt64), fixed64(UInt64), bytes(ArraySlice<UInt8>), fixed32(UInt32)
    }

    /// Calls `body` with each field of a message in order.
    static func fields<C: Collection>(_ bytes: C, _ body: (Int, Field) throws -> Void) throws where C.Element == UInt8, C.Index == Int {
        let data = ArraySlice(bytes)
        var index = data.startIndex
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < data.endIndex else { throw Malformed(description: "a varint runs past the end") }
                let byte = data[index]
                index += 1
                guard shift < 64 else { throw Malformed(description: "a varint is longer than 10 bytes") }
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, data.endIndex - index >= count else { throw Malformed(description: "a field of \(count) bytes runs past the end") }
            defer { index += count }
            return data[index..<index + count]
        }
        while index < data.endIndex {
            let tag = try varint()
            let number = Int(tag >> 3)
            guard number > 0 else { throw Malformed(description: "field number 0") }
            switch tag & 7 {
            case 0: try body(number, .varint(try varint()))
            case 1: try body(number, .fixed64(try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }))
            case 2: try body(number, .bytes(try take(Int(clamping: try varint()))))
            case 5: try body(number, .fixed32(try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }))
            default: throw Malformed(description: "wire type \(tag & 7) (groups are not used by OTLP)")
            }
        }
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
