// What every commerce tool shares: schemas, id checks, the backend client and its replies.
import AgentHostSDK

/// JSON Schema fragments for the ids the tools take.
enum Schema {
    static let orderID: JSONValue = [
        "type": "string", "pattern": "^ORD-\\d{5}$",
        "description": "The order id, e.g. ORD-12345 (the caller may say just the digits)",
    ]
    static let customerID: JSONValue = [
        "type": "string", "pattern": "^CUST-\\d{1,10}$",
        "description": "The customer account id, e.g. CUST-1001",
    ]
}

/// Checks and normalises what goes into URLs and bodies, so nothing odd reaches the backend.
enum Identifiers {
    /// "ord-12345", " ORD-12345 " and "12345" all become "ORD-12345".
    static func order(_ raw: String) throws -> String {
        var id = trimmed(raw).uppercased()
        if id.count == 5, id.allSatisfy(\.isASCIIDigitCharacter) { id = "ORD-" + id }
        guard id.hasPrefix("ORD-"), id.count == 9, id.dropFirst(4).allSatisfy(\.isASCIIDigitCharacter) else {
            throw PluginError.invalidArgument("order_id must look like ORD-12345, got '\(raw.prefix(40))'")
        }
        return id
    }

    /// "cust-1001" becomes "CUST-1001".
    static func customer(_ raw: String) throws -> String {
        let id = trimmed(raw).uppercased()
        let digits = id.dropFirst(5)
        guard id.hasPrefix("CUST-"), (1...10).contains(digits.count), digits.allSatisfy(\.isASCIIDigitCharacter) else {
            throw PluginError.invalidArgument("customer_id must look like CUST-1001, got '\(raw.prefix(40))'")
        }
        return id
    }

    static func text(_ raw: String, field: String, limit: Int) throws -> String {
        let value = trimmed(raw)
        guard !value.isEmpty else { throw PluginError.invalidArgument("\(field) must not be empty") }
        guard value.count <= limit else { throw PluginError.invalidArgument("\(field) is longer than \(limit) characters") }
        return value
    }

    /// Without surrounding whitespace. Slices the UTF-8 view (response bodies pass through here:
    /// reversing Characters cost more than the HTTP round trip, measured with perf).
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}

/// The tenant's backend: where it is, how to authenticate, how long to wait.
struct Backend: Sendable {
    static let httpExtension = "agent_host.http/1"
    static let defaultTimeoutMilliseconds: UInt32 = 3000

    enum Method: String { case get = "GET", post = "POST" }

    let baseURL: String
    let apiKey: String?
    let timeoutMilliseconds: UInt32
    let http: HTTPClient
    let host: PluginHost

    init(host: PluginHost, settings: PluginSettings) throws {
        guard let http = host.http else {
            throw PluginError.notPermitted("\(Self.httpExtension) is not granted to tenant \(host.tenantID); these tools need it")
        }
        guard let given = settings["backend_url"], given != .null, let text = given.stringValue,
              !Identifiers.trimmed(text).isEmpty else {
            throw PluginError.invalidArgument("settings.backend_url is missing: set the backend's base URL, e.g. http://127.0.0.1:8090")
        }
        guard let url = Self.baseURL(Identifiers.trimmed(text)) else {
            throw PluginError.invalidArgument("settings.backend_url is missing a valid http(s) base URL (got '\(text.prefix(60))')")
        }
        var key: String?
        if let value = settings["api_key"], value != .null {
            guard let string = value.stringValue else { throw PluginError.invalidArgument("settings.api_key must be a string") }
            key = string.isEmpty ? nil : string
        }
        guard key?.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) ?? true else {
            throw PluginError.invalidArgument("settings.api_key must be printable ASCII without spaces")
        }
        var timeout = Self.defaultTimeoutMilliseconds
        if let value = settings["timeout_ms"], value != .null {
            guard let number = value.numberValue, number.rounded() == number, number >= 1, number <= 60_000 else {
                throw PluginError.invalidArgument("settings.timeout_ms must be a whole number from 1 to 60000")
            }
            timeout = UInt32(number)
        }
        self.baseURL = url
        self.apiKey = key
        self.timeoutMilliseconds = timeout
        self.http = http
        self.host = host
    }

    /// "http://h:p/base/" → "http://h:p/base"; nil unless an absolute http(s) URL with a host.
    static func baseURL(_ text: String) -> String? {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
              text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
              !text.contains("?"), !text.contains("#") else { return nil }
        let afterScheme = text[text.range(of: "://")!.upperBound...]
        guard let first = afterScheme.first, first != "/", first != ":" else { return nil }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Sends one request; throws only when no HTTP response arrived (in words an agent can say).
    func send(_ method: Method, _ path: String, body: JSONValue? = nil, system: String, tool: String) async throws -> BackendReply {
        var headers = [("Accept", "application/json"), ("User-Agent", "agent-host-commerce-tools/1.0.0")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let request = HTTPRequest(method: method.rawValue, url: baseURL + path, headers: headers,
                                  body: body.map { Array($0.jsonString().utf8) } ?? [],
                                  timeoutMilliseconds: timeoutMilliseconds)
        do {
            let response = try await http.send(request)
            return BackendReply(status: response.statusCode, body: response.body, system: system, tool: tool, host: host)
        } catch let error as PluginError {
            host.log(.warning, "\(tool): \(method.rawValue) \(path) got no response: \(error.message)")
            switch error {
            case .cancelled: throw error
            case .timeout: throw PluginError.timeout("\(system) did not answer in time; please try again in a moment")
            case .unavailable: throw PluginError.unavailable("\(system) cannot be reached right now; please try again later")
            default: throw PluginError.unavailable("\(system) could not be asked (\(error.message))")
            }
        } catch is CancellationError {
            throw PluginError.cancelled
        }
    }
}

/// One HTTP answer from the backend, turned into the tool's output or a PluginError.
struct BackendReply: Sendable {
    let status: Int
    let body: [UInt8]
    let system: String
    let tool: String
    let host: PluginHost

    var text: String { Identifiers.trimmed(String(decoding: body, as: UTF8.self)) }

    /// The output for a 2xx; the refusal JSON for 409/422 when `refusalsAreAnswers`; else throws.
    func output(notFound: String, refusalsAreAnswers: Bool = false) throws -> String {
        switch status {
        case 200..<300:
            let text = self.text
            if text.isEmpty { return #"{"ok":true}"# }
            guard let json = try? JSONValue.parse(text), json.isContainer else {
                host.log(.warning, "\(tool): HTTP \(status) with a body that is not a JSON object (\(body.count) bytes)")
                throw PluginError.unavailable("\(system) sent a reply we could not read; please try again later")
            }
            return text
        case 409 where refusalsAreAnswers, 422 where refusalsAreAnswers:
            let detail = ErrorDetail(text)
            let refusal: JSONValue = [
                "refused": true,
                "code": .string(detail.code ?? (status == 409 ? "conflict" : "not_allowed")),
                "reason": .string(detail.message ?? "\(system) declined the request"),
            ]
            return refusal.jsonString()
        case 404:
            throw PluginError.notFound(notFound)
        case 400, 422:
            throw PluginError.invalidArgument(ErrorDetail(text).message ?? "\(system) did not accept the request")
        case 401, 403:
            host.log(.error, "\(tool): the backend answered HTTP \(status); check settings.api_key")
            throw PluginError.unavailable("the backend rejected our credentials, so \(system) cannot be used right now")
        case 409:
            throw PluginError.failed(ErrorDetail(text).message ?? "\(system) declined the request")
        case 500...:
            host.log(.warning, "\(tool): the backend answered HTTP \(status)")
            throw PluginError.unavailable("\(system) is having problems right now; please try again later")
        default:
            host.log(.warning, "\(tool): unexpected HTTP \(status) from the backend")
            throw PluginError.unavailable("\(system) gave an unexpected answer; please try again later")
        }
    }
}

/// The backend's error body, read leniently: {"error":{"code","message"}}, {"code","message"},
/// {"error":"…"} or anything else (then nothing is known).
struct ErrorDetail {
    var code: String?
    var message: String?

    init(_ text: String) {
        guard let json = try? JSONValue.parse(text) else { return }
        let error = json["error"]
        code = json["code"]?.stringValue ?? error?["code"]?.stringValue ?? json["error_code"]?.stringValue
        message = json["message"]?.stringValue ?? error?["message"]?.stringValue ?? json["reason"]?.stringValue
            ?? json["detail"]?.stringValue ?? error?.stringValue
        if let text = message {
            let clean = Identifiers.trimmed(text)
            message = clean.isEmpty ? nil : String(clean.prefix(300))
        }
        if code?.isEmpty ?? false { code = nil }
    }
}

extension JSONValue {
    var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }
}
