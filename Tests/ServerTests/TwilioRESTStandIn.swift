import Foundation
import HostModels
import HostNet
import HostOrchestration
import TestSupport

/// A STAND-IN for Twilio's REST API (Twilio is a paid external service), faithful to the parts
/// the host uses: `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` with HTTP basic
/// auth (account SID : auth token), an `application/x-www-form-urlencoded` body carrying `Twiml`,
/// Twilio's error shapes (`{"code","message","more_info","status"}`: 20003 authentication, 20404
/// unknown call, 21220 call not in progress), and the call's state. When the new TwiML dials a
/// person (`<Dial><Number url=…>` or `<Sip url=…>`), it does what Twilio does when that person
/// answers: POSTs to the `url` (form fields CallSid, AccountSid, From, To, CallStatus) and runs
/// the returned TwiML for the person only — here, it keeps what a `<Say>` would speak — then
/// bridges the caller. It is not Twilio: it implements nothing else.
final class TwilioRESTStandIn: @unchecked Sendable {
    struct Call: Sendable {
        var status: String  // queued, ringing, in-progress, completed
        var dialed: String?
        var whisperHeard: String?
        var bridged = false
        /// `<Play digits>` played on the call, and the `<Connect><Stream>` that followed it.
        var playedDigits: [String] = []
        var streamURL: String?
        var streamParameters: [String: String] = [:]
    }

    let accountSID = "AC" + String(repeating: "0123456789abcdef", count: 2)
    let authToken = "standin-auth-token-" + UUID().uuidString.prefix(8).lowercased()
    private let loop = EventLoop(name: "twilio-standin")
    private var server: HTTPServer!
    private let client: HTTPClient
    private let state = LockedBox<(calls: [String: Call], requests: [String], whisperStatuses: [Int])>(([:], [], []))
    private(set) var url = ""

    /// A tenant's `twilio:` settings pointing at this stand-in (the host's Twilio requests reach
    /// it; Twilio's requests to the host are signed over `publicURL`).
    func account(publicURL: String = "https://voice.example.com") -> TwilioAccount {
        var account = TwilioAccount(accountSID: accountSID, authToken: Secret(authToken), publicURL: publicURL)
        account.apiURL = url
        return account
    }

    init() throws {
        loop.start()
        client = HTTPClient(loop: loop)
        let started = loop.submitAndWait { [self] () -> Result<Int, Error> in
            server = HTTPServer(loop: loop) { [self] request, respond in handle(request, respond) }
            return Result { try server.start() }
        }
        url = "http://127.0.0.1:\(try XCTUnwrapResult(started).get())"
    }

    func stop() {
        client.close()
        loop.submitAndWait { [server] in server?.stop() }
        loop.stop()
    }

    /// A call Twilio is connecting to the host's Media Stream.
    func placeCall(_ sid: String) { state.mutate { $0.calls[sid] = Call(status: "in-progress") } }
    func call(_ sid: String) -> Call? { state.value.calls[sid] }
    /// The caller hung up.
    func finishCall(_ sid: String) { state.mutate { $0.calls[sid]?.status = "completed" } }
    /// Every API request, as "METHOD path status".
    var requests: [String] { state.value.requests }
    /// The host's answers to the (signed) whisper fetches.
    var whisperStatuses: [Int] { state.value.whisperStatuses }

    private func handle(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let reply: (Int, [String: Any]) -> Void = { [state] status, object in
            state.mutate { $0.requests.append("\(request.method) \(request.path) \(status)") }
            let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            respond(HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: [UInt8](body)))
        }
        func error(_ status: Int, _ code: Int, _ message: String) {
            reply(status, ["code": code, "message": message, "more_info": "https://www.twilio.com/docs/errors/\(code)", "status": status])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        // /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json
        guard parts.count == 5, parts[0] == "2010-04-01", parts[1] == "Accounts", parts[3] == "Calls", parts[4].hasSuffix(".json") else {
            return error(404, 20404, "The requested resource \(request.path) was not found")
        }
        let expected = "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        guard request.headers["Authorization"] == expected, parts[2] == accountSID else {
            return error(401, 20003, "Authenticate")
        }
        guard request.method == "POST" else { return error(405, 20004, "Method not allowed") }
        guard request.headers["Content-Type"]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            return error(400, 21201, "the body must be application/x-www-form-urlencoded")
        }
        let form = Self.parseForm(request.bodyText)
        let callSid = String(parts[4].dropLast(".json".count))
        guard var call = state.value.calls[callSid] else {
            return error(404, 20404, "The requested resource /2010-04-01/Accounts/\(accountSID)/Calls/\(callSid).json was not found")
        }
        guard call.status == "in-progress" else { return error(400, 21220, "Call is not in-progress. Cannot redirect.") }
        guard let twiml = form["Twiml"] else { return error(400, 21201, "No 'Twiml', 'Url' or 'Status' parameter") }
        if let played = Self.attribute("digits", of: "Play", in: twiml) {
            // <Play digits> then <Connect><Stream>: Twilio ends the current stream, plays the digits,
            // and opens the new stream (the test, playing Twilio's media side, connects it).
            guard played.allSatisfy({ "0123456789*#w".contains($0) }) else { return error(400, 12100, "Invalid digits \(played)") }
            call.playedDigits.append(played)
            call.streamURL = Self.attribute("url", of: "Stream", in: twiml)
            call.streamParameters = Self.parameters(twiml)
            state.mutate { $0.calls[callSid] = call }
            return reply(200, ["sid": callSid, "account_sid": accountSID, "status": "in-progress", "api_version": "2010-04-01"])
        }
        guard let dial = Self.dialTarget(twiml) else { return error(400, 12100, "Document parse failure or no <Dial><Number|Sip> in the TwiML") }
        call.dialed = dial.target
        state.mutate { $0.calls[callSid] = call }
        reply(200, ["sid": callSid, "account_sid": accountSID, "status": "in-progress", "api_version": "2010-04-01"])
        // The person answers: Twilio fetches the whisper TwiML for them, then bridges.
        answer(callSid: callSid, target: dial.target, whisperURL: dial.url)
    }

    private func answer(callSid: String, target: String, whisperURL: String?) {
        guard let whisperURL else {
            state.mutate { $0.calls[callSid]?.bridged = true }
            return
        }
        let fields = ["CallSid": "CA" + String(repeating: "f", count: 32), "ParentCallSid": callSid, "AccountSid": accountSID,
                      "To": target, "CallStatus": "in-progress", "Direction": "outbound-dial"]
        let body = Self.form(fields)
        // Twilio signs the fetch (X-Twilio-Signature over the URL and the form); signing runs the
        // openssl command, so it happens off this stand-in's loop.
        let (client, state, authToken) = (self.client, self.state, self.authToken)
        DispatchQueue.global().async {
            let signature = (try? TwilioTestSignature.sign(authToken: authToken, url: whisperURL, parameters: fields)) ?? "unsigned"
            let request = ClientRequest(method: "POST", url: whisperURL,
                                        headers: ["Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature],
                                        body: Array(body.utf8))
            _ = client.send(request) { result in
                guard case .success(let response) = result else { return }
                state.mutate { $0.whisperStatuses.append(response.status) }
                guard response.status == 200, let said = Self.sayText(response.text) else { return }
                state.mutate { $0.calls[callSid]?.whisperHeard = said; $0.calls[callSid]?.bridged = true }
            }
        }
    }

    // MARK: TwiML and forms (only what this stand-in needs)

    static func dialTarget(_ twiml: String) -> (target: String, url: String?)? {
        guard twiml.contains("<Response>"), twiml.contains("<Dial"),
              let regex = try? NSRegularExpression(pattern: #"<(Number|Sip)((?:\s+\w+="[^"]*")*)\s*>([^<]+)</\1>"#),
              let match = regex.firstMatch(in: twiml, range: NSRange(twiml.startIndex..., in: twiml)),
              let attributes = Range(match.range(at: 2), in: twiml), let body = Range(match.range(at: 3), in: twiml) else { return nil }
        var url: String?
        if let urlRegex = try? NSRegularExpression(pattern: #"url="([^"]*)""#),
           let found = urlRegex.firstMatch(in: String(twiml[attributes]), range: NSRange(twiml[attributes].startIndex..., in: twiml[attributes])) {
            let text = String(twiml[attributes])
            url = Range(found.range(at: 1), in: text).map { unescape(String(text[$0])) }
        }
        return (unescape(String(twiml[body])), url)
    }

    static func attribute(_ name: String, of element: String, in twiml: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: "<\(element)\\b[^>]*\\s\(name)=\"([^\"]*)\""),
              let match = regex.firstMatch(in: twiml, range: NSRange(twiml.startIndex..., in: twiml)),
              let range = Range(match.range(at: 1), in: twiml) else { return nil }
        return unescape(String(twiml[range]))
    }

    static func parameters(_ twiml: String) -> [String: String] {
        guard let regex = try? NSRegularExpression(pattern: #"<Parameter name="([^"]*)" value="([^"]*)"\s*/>"#) else { return [:] }
        var out: [String: String] = [:]
        for match in regex.matches(in: twiml, range: NSRange(twiml.startIndex..., in: twiml)) {
            if let name = Range(match.range(at: 1), in: twiml), let value = Range(match.range(at: 2), in: twiml) {
                out[unescape(String(twiml[name]))] = unescape(String(twiml[value]))
            }
        }
        return out
    }

    static func sayText(_ twiml: String) -> String? {
        guard let start = twiml.range(of: "<Say>"), let end = twiml.range(of: "</Say>"), start.upperBound <= end.lowerBound else { return nil }
        return unescape(String(twiml[start.upperBound..<end.lowerBound]))
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func parseForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        return fields
    }

    static func form(_ fields: [String: String]) -> String {
        fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
    }
}

private struct StandInStartFailed: Error {}
private func XCTUnwrapResult<T>(_ value: T?) throws -> T {
    guard let value else { throw StandInStartFailed() }
    return value
}
