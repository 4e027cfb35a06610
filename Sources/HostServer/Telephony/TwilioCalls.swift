import Foundation
import HostNet
import HostOrchestration
import HostSupport

/// Twilio's Calls resource, the one operation the host needs: updating a live call with new
/// TwiML (`POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`, form-encoded, HTTP basic
/// auth with the account SID and auth token). The request runs on the loop's curl multi
/// (`HTTPClient`): nothing waits. The token is only ever put in the Authorization header.
package struct TwilioCalls: Sendable {
    let account: TwilioAccount
    let http: HTTPClient

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Replaces what the call `callSid` is doing with `twiml` (Twilio then ends the Media Stream).
    func update(callSid: String, twiml: String, completion: @escaping @Sendable (Result<Void, Failure>) -> Void) {
        guard Self.isSid(callSid, prefix: "CA") else {
            return completion(.failure(Failure(description: "call sid \"\(callSid)\" is not a Twilio call sid (CA and 32 hex digits): was the stream started by <Connect><Stream>?")))
        }
        let url = "\(account.apiURL)/2010-04-01/Accounts/\(account.accountSID)/Calls/\(callSid).json"
        let credentials = Data("\(account.accountSID):\(account.authToken.reveal())".utf8).base64EncodedString()
        var request = ClientRequest(method: "POST", url: url,
                                    headers: ["Authorization": "Basic " + credentials,
                                              "Content-Type": "application/x-www-form-urlencoded"],
                                    body: Array(Self.form(["Twiml": twiml]).utf8), timeoutMilliseconds: 10_000)
        request.maxResponseBytes = 256 * 1024
        _ = http.send(request) { result in
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                completion(.success(()))
            case .success(let response):
                // Twilio's errors are JSON: {"code": 21220, "message": "Call is not in-progress…"}.
                let error = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
                let message = error?["message"] as? String ?? String(response.text.prefix(200))
                let code = (error?["code"] as? NSNumber).map { " (Twilio error \($0))" } ?? ""
                completion(.failure(Failure(description: "Twilio answered \(response.status)\(code): \(message)")))
            case .failure(let error):
                completion(.failure(Failure(description: "Twilio's API is unreachable at \(account.apiURL): \(error)")))
            }
        }
    }

    static func isSid(_ sid: String, prefix: String) -> Bool {
        sid.hasPrefix(prefix) && sid.count == 34 && sid.dropFirst(2).allSatisfy(\.isHexDigit)
    }

    /// application/x-www-form-urlencoded: everything but unreserved characters percent-encoded.
    package static func form(_ fields: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}

/// The TwiML the host writes (XML-escaped: a summary is the caller's words).
package enum TwiML {
    static func escape(_ text: String) -> String { XMLText.escape(text) }

    /// Dials `target` (E.164 → `<Number>`, SIP URI → `<Sip>`); the person answering first hears
    /// the TwiML at `whisperURL` (the summary), then the caller is bridged.
    package static func dial(_ target: String, whisperURL: String) -> String {
        let noun = target.hasPrefix("+") ? "Number" : "Sip"
        return #"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><\#(noun) url="\#(escape(whisperURL))" method="POST">\#(escape(target))</\#(noun)></Dial></Response>"#
    }

    package static func say(_ text: String) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?><Response><Say>\#(escape(text))</Say></Response>"#
    }
}
