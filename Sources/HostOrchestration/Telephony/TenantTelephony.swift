import HostModels
import HostSupport

/// A tenant's phone settings (docs/telephony.md): where people are reached when an agent
/// escalates, the Twilio account that can move a live call there, call recording, and what is
/// redacted from everything the host stores or logs.
public struct TenantTelephony: Sendable, Equatable {
    /// Department → where its people answer: an E.164 number (`+15550100`) or a SIP URI
    /// (`sip:queue@pbx.example`); `default` covers departments not named.
    public var transfer: [String: String] = [:]
    /// Needed to transfer a Twilio call (the REST API moves the live call).
    public var twilio: TwilioAccount?
    /// nil or disabled: calls are not recorded.
    public var recording: RecordingPolicy?
    /// What is replaced in stored transcripts, the session record and logs.
    public var redaction = Redaction()
    /// Which SIP peers may call this tenant's numbers (nil: the tenant takes no SIP calls).
    public var sip: TenantSIP?

    public init() {}

    /// Where a person of `department` answers, else the `default` target, else nil (no transfer:
    /// the caller is queued as before).
    public func transferTarget(department: String) -> String? {
        transfer[department.lowercased()] ?? transfer["default"]
    }

    /// Whether `target` is one the TwiML `<Dial>` can reach: `+` and 8–15 digits, or `sip:`/`sips:`
    /// user@host without characters that would break out of the XML or the URI.
    package static func transferTargetProblem(_ target: String) -> String? {
        if target.hasPrefix("+") {
            let digits = target.dropFirst()
            guard (8...15).contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else {
                return "\"\(target)\" is not an E.164 number: + and 8 to 15 digits, e.g. +15550100"
            }
            return nil
        }
        if target.hasPrefix("sip:") || target.hasPrefix("sips:") {
            let rest = target.drop { $0 != ":" }.dropFirst()
            guard rest.contains("@"), !rest.hasPrefix("@"), !rest.hasSuffix("@"),
                  rest.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && !"<>\"'&".unicodeScalars.contains($0) }) else {
                return "\"\(target)\" is not a SIP URI such as sip:queue@pbx.example"
            }
            return nil
        }
        return "\"\(target)\" must be an E.164 number (+15550100) or a SIP URI (sip:queue@pbx.example)"
    }
}

/// `twilio:` — the account whose calls the host may update. The auth token comes from the
/// environment or a file and is a `Secret`: never printed or logged.
public struct TwilioAccount: Sendable, Equatable {
    public var accountSID: String
    public var authToken: Secret
    /// Twilio's REST API; another base only for a stand-in on this machine (tests).
    public var apiURL = "https://api.twilio.com"
    /// The host as Twilio reaches it (https, behind the TLS proxy): whisper URLs are built on it.
    public var publicURL: String

    public init(accountSID: String, authToken: Secret, publicURL: String) {
        self.accountSID = accountSID
        self.authToken = authToken
        self.publicURL = publicURL
    }
}

/// `recording:` — both sides of every voice call as a stereo WAV (caller left, agent right).
public struct RecordingPolicy: Sendable, Equatable {
    public var enabled = true
    /// Where the WAVs go (`<directory>/<session id>.wav`); created at start.
    public var directory: String
    /// Files older than this are deleted by the sweep.
    public var retentionDays = 30
    /// Played to the caller before the agent's greeting ("This call may be recorded.").
    public var announce: String?

    public init(directory: String) {
        self.directory = directory
    }
}
