import Foundation
import HostOrchestration
import HostSessions
import HostSupport
import HostTenancy

/// Voice calls whose host dies (docs/scaling.md, "What each kind of session survives"). A call's
/// audio and line cannot move, so the call itself is lost; what survives is its state: after
/// every turn it is checkpointed under its caller (docs/protocol.md §8), holding an owner lease
/// like a chat conversation. When that caller starts a new call and a checkpoint of theirs names
/// a dead owner, the host records the lost call (outcome `host_lost`) and the new call starts at
/// the agent they were with, with the agents' states and the lost call's lines.
extension HostServer {
    /// A lost call this host took up: its last checkpoint and its `previous_sessions` summary.
    struct LostCall: Sendable {
        let checkpoint: ChatCheckpoint
        let summary: String
    }

    /// Checkpoints the call after each of its turns, and claims its lease (loop thread). Not for
    /// a caller id that does not name one person (`sharedCallerIDs`): every withheld number of a
    /// tenant would share one hash, and a stranger's call would continue another's.
    func checkpointCallTurns(of session: ServerSession) {
        guard let calls, !Self.isSharedCallerID(session.caller) else { return }
        session.onCallTurnEnd = { [weak self] session in
            guard let conversation = session.conversation, conversation.ended == nil else { return }
            var checkpoint = ChatCheckpoint(conversation)
            checkpoint.owner = self?.ownership?.leases.me
            calls.save(checkpoint)
        }
        claimLease(of: session)
    }

    /// The call ended here and is recorded (loop thread): nothing is left to recover. Its checkpoint
    /// goes with its record's append (SessionStore.appendScript), journaled: a removal sent
    /// here would be lost while Redis is away, and the call would come back as a cut-off one.
    /// Its lease becomes the ended marker (docs/protocol.md §7): a host that finds the checkpoint
    /// anyway (its removal still in a journal) knows the call is over. With a Redis store the
    /// record's append writes the marker too (`ConversationEnd`), and this runs only for a call
    /// that ends without a record of its own here.
    func callEnded(_ session: ServerSession) {
        ownership?.leases.end(tenant: session.tenantID, sessionID: session.id)
    }

    /// The caller's earlier sessions and, for a `call`, their lost call (loop thread; `completion`
    /// on it). Both are asked at once, so a call's start waits for one Redis round trip (or one
    /// timeout while Redis hangs), not two; the lost call's record, saved meanwhile, is merged in.
    func callerHistory(tenant: ServedTenant, caller: String, call: Bool,
                       completion: @escaping @Sendable (_ previous: [String], _ lost: LostCall?) -> Void) {
        let pending = CallerHistory()
        let finish: @Sendable () -> Void = {
            guard pending.lost != nil, let previous = pending.previous else { return }
            let lost = pending.lost ?? nil
            completion(Self.including(lost, in: previous), lost)
        }
        recoverLostCall(tenant: tenant, caller: caller, enabled: call) { [self] lost in
            loop.execute {
                pending.lost = .some(lost)
                finish()
            }
        }
        persistence.previousSessions(tenant: tenant.id, caller: caller) { [self] previous in
            loop.execute {
                pending.previous = previous
                finish()
            }
        }
    }

    /// Records every lost call of `caller` and answers the newest, for the new call to continue
    /// (loop thread; `completion` on it). A call is lost when its checkpoint's owner lease is
    /// this host's to take (HostServer+Ownership.swift: none, or its owner is dead); a call live
    /// on this process or another live host is left alone. Of two hosts taking one lost call at
    /// once, the lease and the checkpoint's atomic take let one record it and continue it.
    func recoverLostCall(tenant: ServedTenant, caller: String, enabled: Bool,
                         completion: @escaping @Sendable (LostCall?) -> Void) {
        // Without leases nobody can tell a lost call from one live on another host.
        guard enabled, let calls, let me = ownership?.leases.me, !Self.isSharedCallerID(caller) else { return completion(nil) }
        calls.all(tenant: tenant.id, caller: caller) { [self] found in
            loop.execute { [self] in
                let candidates = found.filter {
                    $0.tenant == tenant.id && $0.caller == caller && registry.session($0.sessionID) == nil && $0.owner?.instance != me.instance
                }
                recover(candidates.sorted { $0.updatedAt < $1.updatedAt }[...], tenant: tenant, newest: nil, completion: completion)
            }
        }
    }

    /// One candidate after the other, oldest first (loop thread).
    private func recover(_ candidates: ArraySlice<ChatCheckpoint>, tenant: ServedTenant, newest: LostCall?,
                         completion: @escaping @Sendable (LostCall?) -> Void) {
        guard let calls, let candidate = candidates.first else { return completion(newest) }
        let rest = candidates.dropFirst()
        // The owner is asked before the lease is touched (HostServer+CallLiveness): a lapsed lease
        // may only mean Redis was away longer than its TTL while its host went on with the call, and
        // a lease written here, even for the moment until it is released, could meet that host's
        // renewal, which would count it lost to another host (`call_lease_lost`) when it was not.
        ownerIsGone(of: candidate) { [self] gone in
            guard gone else {
                services.logger.log(.info, "server", "call \(candidate.sessionID) of \(candidate.owner?.hostID ?? "?") has a checkpoint and its host lives: not taken for lost")
                return recover(rest, tenant: tenant, newest: newest, completion: completion)
            }
            takeLease(tenant: tenant.id, sessionID: candidate.sessionID) { [self] refusal in
                // Ended (its lease is the ended marker): recorded by its host, its checkpoint's removal
                // still on the way (in a journal); dropped here, never continued nor recorded again.
                if refusal?.response.status == 404 {
                    calls.take(tenant: tenant.id, caller: candidate.caller, sessionID: candidate.sessionID) { _ in }
                    return recover(rest, tenant: tenant, newest: newest, completion: completion)
                }
                // Held by a host that answers after all (or Redis did not answer): not lost.
                if refusal != nil { return recover(rest, tenant: tenant, newest: newest, completion: completion) }
                take(candidate, rest: rest, tenant: tenant, newest: newest, completion: completion)
            }
        }
    }

    /// Takes `candidate`, whose owner is gone and whose lease is this host's, and records it (loop thread).
    private func take(_ candidate: ChatCheckpoint, rest: ArraySlice<ChatCheckpoint>, tenant: ServedTenant, newest: LostCall?,
                      completion: @escaping @Sendable (LostCall?) -> Void) {
        guard let calls else { return completion(newest) }
        calls.take(tenant: tenant.id, caller: candidate.caller, sessionID: candidate.sessionID) { [self] taken in
            loop.execute { [self] in
                switch taken {
                case .taken(let checkpoint):
                    record(lostCall: checkpoint, tenant: tenant) { [self] lost in
                        recover(rest, tenant: tenant, newest: lost, completion: completion)
                    }
                case .gone:
                    // Another callback took it first: that one records it.
                    ownership?.leases.release(tenant: tenant.id, sessionID: candidate.sessionID)
                    recover(rest, tenant: tenant, newest: newest, completion: completion)
                case .unknown:
                    // The take may have run with its answer lost: record the call from the copy
                    // read before (the record's append is idempotent per session id), so it is
                    // not lost twice; it is not continued (another host may have taken it).
                    record(lostCall: candidate, tenant: tenant) { [self] _ in
                        recover(rest, tenant: tenant, newest: newest, completion: completion)
                    }
                }
            }
        }
    }

    /// Saves the lost call's session record (outcome `host_lost`) and gives its lease up once the
    /// record is durable. Redacting and encoding grow with the call: off the loop; `next` runs on it.
    private func record(lostCall checkpoint: ChatCheckpoint, tenant: ServedTenant,
                        next: @escaping @Sendable (LostCall) -> Void) {
        let completed = CompletedSession(lostCall: checkpoint, outcome: SessionRecord.Outcome.hostLost,
                                         redaction: tenant.runtime.configuration.telephony.redaction)
        let persistence = persistence
        services.metrics.increment("agent_host_calls_recovered_total", labels: ["tenant": tenant.id])
        services.logger.log(.info, "server", "call \(checkpoint.sessionID) of \(tenant.id) was lost with host \(checkpoint.owner?.hostID ?? "?") (last checkpoint \(checkpoint.updatedAt), turn \(checkpoint.turnNumber)): recorded as host_lost; the caller's new call continues it")
        DispatchQueue.global().async { [self] in
            let redacted = completed.redacted()
            let summary = SessionSummary.summary(SessionRecord.Interaction(redacted))
            persistence.save(redacted) { [self] in
                loop.execute { [self] in ownership?.leases.release(tenant: tenant.id, sessionID: checkpoint.sessionID) }
            }
            loop.execute { next(LostCall(checkpoint: checkpoint, summary: summary)) }
        }
    }

    /// Caller ids that stand for whoever withheld their number (Twilio's `anonymous`, `restricted`,
    /// `unknown`, and the fake numbers carriers put in From), compared without case.
    static let sharedCallerIDs: Set<String> = ["anonymous", "restricted", "unknown", "unavailable", "private", "withheld",
                                               "+266696687", "+86282452253", "+7378742833", "+2562533"]

    static func isSharedCallerID(_ caller: String) -> Bool {
        let id = caller.lowercased()
        return id.isEmpty || sharedCallerIDs.contains(id) || id.hasPrefix("anonymous@") || id.hasPrefix("sip:anonymous@")
            || id.hasPrefix(withheldPrefix)
    }

    static let withheldPrefix = "withheld-"

    /// The caller id a phone line's call goes by (docs/protocol.md §8, "Withheld numbers"): the
    /// number when it names one person; for a withheld one, `withheld-{call}`, new with every call.
    /// Such a caller has no identity: no earlier sessions, no record shared with every other
    /// withheld caller of the tenant (who would all be "returning" to each other), no checkpoint.
    static func callerIdentity(number: String, call: String) -> String {
        isSharedCallerID(number) ? withheldPrefix + call : number
    }

    /// The caller's earlier sessions with the lost call among them: its record may not have
    /// reached Redis yet when they are read (it is durable in the journal first).
    static func including(_ lost: LostCall?, in previous: [String]) -> [String] {
        guard let lost else { return previous }
        let marker = "\"session_id\":" + JSONText.quote(lost.checkpoint.sessionID)
        guard !previous.contains(where: { $0.contains(marker) }) else { return previous }
        return Array((previous + [lost.summary]).suffix(10))
    }
}

/// `callerHistory`'s two answers as they come (loop-confined). `lost` is nil until answered,
/// `.some(nil)` when there is no lost call.
private final class CallerHistory: @unchecked Sendable {
    // @unchecked: touched only on the server loop's thread.
    var previous: [String]?
    var lost: HostServer.LostCall??
}

extension ServerSession {
    /// Holds an owner lease: a chat conversation, or a checkpointed voice call.
    var holdsLease: Bool { onTurnEnd != nil || onCallTurnEnd != nil }
}
