import Foundation
import HostNet
import HostSessions
import HostSupport

/// Lost calls whose callers never call back (docs/scaling.md, "What each kind of session
/// survives"). A call's checkpoint is found by its caller, so a host records a lost call when the
/// caller calls again (HostServer+LostCalls.swift); a caller who does not would leave no record of
/// the call at all, though every turn of it was answered. So every `lostCallSweepSeconds` one
/// loop of each host reads the owner index of the call checkpoints (`RedisCallCheckpoints`): for
/// every other process with calls still checkpointed, it asks whether that process is gone (the
/// same question a callback asks, HostServer+CallLiveness.swift) and, only if so, reads its calls'
/// checkpoints, records each as `host_lost` and drops it from the index. Its own process's index
/// it tidies (the calls that ended since), so the index holds about the calls now live.
///
/// Why the checkpoint stays: a caller who calls back later is still continued where they were;
/// that callback records the call again, which changes nothing (the record's append is idempotent
/// per session id, and both copies come from the same checkpoint). Two hosts sweeping at once
/// record it twice the same way; only the one whose removal from the index counted logs it.
extension HostServer {
    /// Starts the periodic sweep (loop thread). Needs call checkpoints and owner leases (Redis).
    package func startLostCallSweep() {
        loop.preconditionInLoop()
        guard calls != nil, ownership != nil, settings.lostCallSweepSeconds > 0, lostCallSweep == nil else { return }
        let period = UInt64(settings.lostCallSweepSeconds * 1000)
        let timer = LoopTimer(loop: loop)
        lostCallSweep = timer
        timer.start(after: period, repeat: period) { [self] in sweepLostCalls() }
    }

    /// One pass (loop thread): every process with checkpointed calls, one after the other. A pass
    /// still running when the timer fires again is left to finish.
    func sweepLostCalls() {
        loop.preconditionInLoop()
        guard !lostCallSweepRunning, let calls else { return }
        lostCallSweepRunning = true
        calls.ownersWithCalls { [self] owners in
            loop.execute { [self] in sweep(owners[...]) }
        }
    }

    private func sweep(_ owners: ArraySlice<CallOwner>) {
        guard let calls, let me = ownership?.leases.me, let entry = owners.first else {
            lostCallSweepRunning = false
            return
        }
        let rest = owners.dropFirst()
        let instance = entry.owner.instance
        // This process's own calls are live or ended here: their index is only tidied.
        guard instance != me.instance else {
            return calls.tidyCalls(ofOwner: instance) { [self] in loop.execute { self.sweep(rest) } }
        }
        // Asked of the process, before any of its checkpoints is read: a live one's are not.
        ownerIsGone(entry.owner, since: entry.firstCallStartedAt) { [self] gone in
            guard gone else { return sweep(rest) }
            calls.calls(ofOwner: instance) { [self] found in
                loop.execute { [self] in
                    guard let found else { return sweep(rest) }
                    record(swept: found[...]) { [self] in loop.execute { self.sweep(rest) } }
                }
            }
        }
    }

    /// Records each call of a gone process (loop thread); `next` once all are handed to the store.
    /// Redacting and encoding grow with the call: off the loop.
    private func record(swept: ArraySlice<ChatCheckpoint>, next: @escaping @Sendable () -> Void) {
        guard let calls, let checkpoint = swept.first else { return next() }
        let rest = swept.dropFirst()
        // A tenant this host does not serve is left to one that does: the redaction rules are its.
        guard let tenant = tenants[checkpoint.tenant] else { return record(swept: rest, next: next) }
        let redaction = tenant.runtime.configuration.telephony.redaction
        let persistence = persistence
        let logger = services.logger
        let metrics = services.metrics
        DispatchQueue.global().async { [self] in
            let completed = CompletedSession(lostCall: checkpoint, outcome: SessionRecord.Outcome.hostLost, redaction: redaction)
            persistence.saveLostCall(completed.redacted()) {
                // Out of the index only once the record is durable: a host killed in between leaves it to the next sweep.
                calls.forget(checkpoint) { removed in
                    guard removed else { return }
                    metrics.increment("agent_host_lost_calls_recorded_total", labels: ["tenant": checkpoint.tenant])
                    logger.log(.info, "server", "call \(checkpoint.sessionID) of \(checkpoint.tenant) was lost with host \(checkpoint.owner?.hostID ?? "?") (last checkpoint \(checkpoint.updatedAt), turn \(checkpoint.turnNumber)) and its caller has not called back: recorded as host_lost; a callback still continues it")
                }
            }
            loop.execute { [self] in record(swept: rest, next: next) }
        }
    }
}
