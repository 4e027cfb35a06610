import Foundation
import HostNet
import HostOrchestration
import HostSupport
import HostTenancy
import HostVoice

/// The server's phone state: whisper TwiML waiting for Twilio, the recordings' writer queue and
/// the retention sweep. Loop-confined (the queue is the writer's; the whisper board is shared by
/// the host's loops, set by `ServerLoops` before they serve).
final class ServerTelephony: @unchecked Sendable {
    var whispers = WhisperBoard()
    /// Every call's recording is written here, off the loop (one queue: writes are sequential
    /// appends, a fraction of a core for hundreds of calls; docs/benchmarks.md).
    let recordingQueue = DispatchQueue(label: "agent-host.recording", qos: .utility)
    var sweepTimer: LoopTimer?
    /// Twilio calls playing digits, waiting for their new stream.
    let resumes = TwilioResumes()
    /// The SIP trunk endpoint, when `sip:` is configured (HostServer+SIP).
    var sip: SIPTrunk?
}

extension HostServer {
    /// Wraps a call's transport with the tenant's recording, redacted event logging and (set
    /// later) transfer; `logsEvents` for channels whose events only go to the log (Twilio).
    func phoneLine(_ transport: CallTransport, tenant: ServedTenant, logsEvents: Bool) -> PhoneLineTransport {
        let phone = tenant.runtime.configuration.telephony
        var makeRecorder: ((Int) -> CallRecorder)?
        if let policy = phone.recording, policy.enabled {
            let queue = telephony.recordingQueue
            let directory = Self.recordingDirectory(policy, tenant: tenant.id)
            makeRecorder = { rate in CallRecorder(directory: directory, sampleRate: rate, queue: queue) }
        }
        return PhoneLineTransport(transport, redaction: phone.redaction, logsEvents: logsEvents, makeRecorder: makeRecorder)
    }

    /// The session of a call opened: its recording is named after it, the record will name the
    /// recording, and the recording announcement plays before anything else.
    func phoneSessionOpened(_ session: ServerSession, line: PhoneLineTransport, call: any VoiceChannelCall, tenant: ServedTenant) {
        line.sessionOpened(session.id)
        session.recording = line.recordingName
        if line.recordingName != nil, let announce = tenant.runtime.configuration.telephony.recording?.announce {
            call.announce(announce)
        }
    }

    /// Twilio calls: an escalation with a transfer target moves the live call (REST update with
    /// `<Dial>`) once the agent's last words have played; the person hears the summary first.
    func enableTwilioTransfer(_ session: ServerSession, line: PhoneLineTransport, callSid: String, tenant: ServedTenant) {
        guard let account = tenant.runtime.configuration.telephony.twilio, let http = services.http else { return }
        let calls = TwilioCalls(account: account, http: http)
        let loop = self.loop
        let metrics = services.metrics
        session.conversation?.transferHandler = { [telephony] request in
            let token = telephony.whispers.post(request.summary, account: account)
            let twiml = TwiML.dial(request.target, whisperURL: "\(account.publicURL)/twilio/whisper/\(token)")
            line.beforeClose = { hangUpNow in
                let hangUp = LoopBound(hangUpNow)
                calls.update(callSid: callSid, twiml: twiml) { result in
                    loop.execute {
                        switch result {
                        case .success:
                            Logger.shared.log(.info, "twilio", "call \(callSid) transferred to the \(request.department) team")
                        case .failure(let failure):
                            metrics.increment("agent_host_errors_total", labels: ["kind": "transfer_failed"])
                            Logger.shared.log(.error, "twilio", "transfer of call \(callSid) failed: \(failure); the caller keeps the queue ticket")
                        }
                        hangUp.value()
                    }
                }
            }
        }
    }

    /// `/twilio/whisper/{token}` and `/v1/sessions/{id}/recording`; nil when the path is neither.
    func telephonyRoute(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) -> Bool {
        let path = request.path
        if path.hasPrefix("/twilio/whisper/") {
            guard request.method == "POST" || request.method == "GET" else {
                respond(ServerResponses.error(405, "\(request.method) is not allowed on \(path): Twilio fetches it with POST"))
                return true
            }
            let token = String(path.dropFirst("/twilio/whisper/".count))
            guard let whisper = telephony.whispers.twiml(token) else {
                respond(ServerResponses.error(404, "no such whisper (they expire after 15 minutes)"))
                return true
            }
            // Only Twilio may fetch it: the summary names the caller and what they said.
            if let refusal = twilioSignatureRefusal(request, account: whisper.account, what: "whisper \(path)") {
                respond(refusal)
                return true
            }
            respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/xml"], body: Array(whisper.twiml.utf8)))
            return true
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 5, parts[1] == "v1", parts[2] == "sessions", parts[4] == "recording" {
            guard request.method == "GET" else {
                respond(ServerResponses.error(405, "\(request.method) is not allowed on \(path)"))
                return true
            }
            recording(sessionID: String(parts[3]), request, respond)
            return true
        }
        return false
    }

    /// GET /v1/sessions/{id}/recording: the tenant's key (401), a tenant that records (403), the
    /// session's WAV (404 when there is none, 409 while it is still being written). Read off the loop.
    private func recording(sessionID: String, _ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard Self.isSessionID(sessionID) else {
            return respond(ServerResponses.error(400, "'\(sessionID.prefix(64))' is not a session id (lowercase letters, digits and '-')"))
        }
        switch resolveTenant(request, bodyTenant: nil) {
        case .failure(let rejection): respond(rejection.response)
        case .success(let tenant): serveRecording(sessionID: sessionID, tenant: tenant, respond)
        }
    }

    /// The WAV of `sessionID`'s call for `tenant` (the caller checked the key: the tenant's on
    /// /v1/sessions/{id}/recording, an admin key on the console's). Read off the loop.
    package func serveRecording(sessionID: String, tenant: ServedTenant, _ respond: @escaping HTTPResponder) {
        guard let policy = tenant.runtime.configuration.telephony.recording else {
            return respond(ServerResponses.error(403, "tenant '\(tenant.id)' does not record calls (no recording: section)"))
        }
        let path = (Self.recordingDirectory(policy, tenant: tenant.id) as NSString).appendingPathComponent(sessionID + ".wav")
        // Another tenant's call (two tenants may share a directory: each has its own folder in it).
        let others = tenants.values.filter { $0.id != tenant.id }.compactMap { other in
            other.runtime.configuration.telephony.recording.map { (Self.recordingDirectory($0, tenant: other.id) as NSString).appendingPathComponent(sessionID + ".wav") }
        }
        let loop = self.loop
        DispatchQueue.global(qos: .utility).async {
            let response: HTTPResponse
            if let data = FileManager.default.contents(atPath: path) {
                response = HTTPResponse(status: 200, headers: ["Content-Type": "audio/wav"], body: [UInt8](data))
            } else if others.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
                response = ServerResponses.error(403, "session '\(sessionID)' belongs to another tenant: use that tenant's key and ?tenant=")
            } else if FileManager.default.fileExists(atPath: path + ".partial") {
                response = ServerResponses.error(409, "the recording of session '\(sessionID)' is still being written: try again in a few seconds")
            } else {
                response = ServerResponses.error(404, "no recording of session '\(sessionID)' for tenant '\(tenant.id)' (not a voice call, not recorded, or past retention)")
            }
            loop.execute { respond(response) }
        }
    }

    /// What a session id looks like (it names a file: nothing else may reach the path).
    package static func isSessionID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { (48...57).contains($0) || (97...122).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// `<recording.directory>/<tenant id>`: a tenant's recordings.
    static func recordingDirectory(_ policy: RecordingPolicy, tenant: String) -> String {
        (policy.directory as NSString).appendingPathComponent(tenant)
    }

    /// Deletes recordings past their tenant's retention, at start and hourly, off the loop.
    func startRecordingSweeps() {
        let policies = tenants.values.compactMap { tenant in
            tenant.runtime.configuration.telephony.recording.map { (Self.recordingDirectory($0, tenant: tenant.id), $0.retentionDays) }
        }
        guard !policies.isEmpty, telephony.sweepTimer == nil else { return }
        for (directory, _) in policies { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let timer = LoopTimer(loop: loop)
        telephony.sweepTimer = timer
        let queue = telephony.recordingQueue
        timer.start(after: 1_000, repeat: 3_600_000) {
            queue.async { for (directory, days) in policies { RecordingSweep.run(directory: directory, retentionDays: days) } }
        }
    }
}

/// A loop-thread closure carried through a `@Sendable` completion that hops back to the loop.
private struct LoopBound: @unchecked Sendable {
    let value: () -> Void
    init(_ value: @escaping () -> Void) { self.value = value }
}

/// Removes `*.wav` files older than the retention from a recording directory.
package enum RecordingSweep {
    @discardableResult
    package static func run(directory: String, retentionDays: Int, now: Date = Date()) -> [String] {
        let cutoff = now.addingTimeInterval(-Double(retentionDays) * 86_400)
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".wav") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  modified < cutoff else { continue }
            do {
                try FileManager.default.removeItem(atPath: path)
                removed.append(name)
            } catch {
                Logger.shared.log(.warning, "recording", "could not delete \(path) past retention: \(error)")
            }
        }
        if !removed.isEmpty { Logger.shared.log(.info, "recording", "deleted \(removed.count) recording(s) past \(retentionDays) days in \(directory)") }
        return removed
    }
}
