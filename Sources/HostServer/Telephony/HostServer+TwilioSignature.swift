import Foundation
import HostNet
import HostOrchestration
import HostSupport

/// Every request Twilio makes to the host carries `X-Twilio-Signature` (TwilioSignature); a
/// tenant with `twilio:` settings (whose auth token is the key) only accepts signed ones, so a
/// stranger who learns a URL can neither read a whisper nor open a call's Media Stream.
extension HostServer {
    static let twilioSignatureHeader = "X-Twilio-Signature"

    /// nil when `request` is signed for `account` (URL on its `public_url`, form parameters);
    /// otherwise the 403 to answer, logged and counted.
    func twilioSignatureRefusal(_ request: HTTPRequest, account: TwilioAccount, what: String) -> HTTPResponse? {
        guard let problem = twilioSignatureProblem(request, account: account, webSocket: false) else { return nil }
        refusedTwilioSignature("\(request.method) \(what): \(problem)")
        return ServerResponses.error(403, "\(problem): only Twilio may call this URL (docs/telephony.md, \"Request signatures\")")
    }

    /// The `WS /twilio/media` handshake, before the tenant is known (it comes with `start`): a
    /// signature that no tenant's token and public URL produce is refused with 403, as is an
    /// unsigned handshake when every tenant has `twilio:` settings. Otherwise `start`
    /// checks the chosen tenant's (`twilioStreamSignatureProblem`).
    func twilioHandshakeRefusal(_ request: HTTPRequest) -> HTTPResponse? {
        let accounts = tenants.values.map { $0.runtime.configuration.telephony.twilio }
        let signers = accounts.compactMap { $0 }
        guard !signers.isEmpty else { return nil }
        let signature = request.headers[Self.twilioSignatureHeader]
        if signature == nil, signers.count < accounts.count { return nil }   // an unsigned tenant may own the stream
        if signers.contains(where: { twilioSignatureProblem(request, account: $0, webSocket: true) == nil }) { return nil }
        let problem = signature == nil ? "no \(Self.twilioSignatureHeader) header" : "\(Self.twilioSignatureHeader) does not match any tenant's Twilio account and public_url"
        refusedTwilioSignature("WebSocket /twilio/media handshake: \(problem)")
        return ServerResponses.error(403, "\(problem): only Twilio may open a Media Stream here (docs/telephony.md, \"Request signatures\")")
    }

    /// nil when the stream's handshake was signed for the tenant's `account`; else why not (logged and counted).
    func twilioStreamSignatureProblem(_ handshake: HTTPRequest, account: TwilioAccount) -> String? {
        guard let problem = twilioSignatureProblem(handshake, account: account, webSocket: true) else { return nil }
        refusedTwilioSignature("Media Stream start: \(problem)")
        return problem
    }

    private func twilioSignatureProblem(_ request: HTTPRequest, account: TwilioAccount, webSocket: Bool) -> String? {
        guard let signature = request.headers[Self.twilioSignatureHeader] else { return "no \(Self.twilioSignatureHeader) header" }
        let url = TwilioSignature.url(publicURL: account.publicURL, request: request, webSocket: webSocket)
        let parameters = webSocket ? [] : TwilioSignature.formParameters(request)
        guard TwilioSignature.isValid(signature, authToken: account.authToken.reveal(), url: url, parameters: parameters) else {
            return "\(Self.twilioSignatureHeader) does not match \(url) and the request's parameters (is public_url the URL Twilio uses?)"
        }
        return nil
    }

    private func refusedTwilioSignature(_ detail: String) {
        services.metrics.increment("agent_host_errors_total", labels: ["kind": "twilio_signature"])
        Logger.shared.log(.warning, "twilio", "refused an unsigned or badly signed request, \(detail)")
    }
}
