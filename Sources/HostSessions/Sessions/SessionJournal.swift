import Dispatch
import Foundation
import HostSupport
import Synchronization

/// Session store health, for `/health` and metrics.
public struct SessionHealth: Sendable, Equatable, CustomStringConvertible {
    public enum Status: String, Sendable { case ok, degraded }
    public let status: Status
    /// Why degraded (nil when ok).
    public let reason: String?
    public let redis: RedisConnection.State
    /// Saves waiting in the local journal for Redis.
    public let journalDepth: Int

    public init(status: Status, reason: String?, redis: RedisConnection.State, journalDepth: Int) {
        self.status = status
        self.reason = reason
        self.redis = redis
        self.journalDepth = journalDepth
    }

    public var description: String { reason.map { "\(status.rawValue): \($0)" } ?? status.rawValue }
}

/// Nothing the host acknowledged is lost: the durable write path in front of `SessionStore.save`.
///
/// - **Write-ahead.** Every finished session is appended to a local file and fsynced first; saves
///   arriving together share one write and one fsync (group commit). Only then is the save
///   `durable`, and only then does the server send the session's `end` event: a SIGKILL at any
///   moment loses sessions still in progress, never one whose `end` went out.
/// - **Then Redis, in order.** Journaled records go to Redis in order through the store's atomic
///   save, up to `saveWindow` of them in flight on its connection (one at a time, a busy host
///   ended sessions faster than they reached Redis and the backlog grew without bound). With
///   `replica_acks`, each window is closed by one `WAIT` and lands at its answer. The save is
///   idempotent per session id, so a line sent twice (a crash after Redis took it, before the
///   file forgot it; a save behind one that failed, sent again after it) does no harm. The file
///   is compacted as records land (truncated whenever nothing is pending; otherwise rewritten
///   once its landed lines are at least as many as its pending ones, so the rewrites cost a
///   bounded amount per record).
/// - **Outages.** While Redis is down or failing, records wait in the file (reported `.journaled`,
///   `/health` degraded) and replay in order when the connection is back. `start()` replays a
///   journal left by an earlier process. A save Redis keeps *rejecting* (error replies about that
///   record, not outages) is moved to `<path>.rejected` after `maxErrorReplies` tries so one bad
///   record cannot block the others; it is still on disk.
/// - **Loss is never silent.** A record neither the file nor Redis took is counted
///   (`agent_host_session_records_total{result="lost"}`) and logged with its session, tenant and
///   caller; `close` reports what is left outside Redis, so a drain can exit non-zero.
///
/// Threading: all state and all file I/O live on one serial DispatchQueue (fsync is slow and
/// must never run on an event loop). Store completions arrive on the loop and hop to the queue.
/// `depth`, `health` and `pending(tenant:caller:)` are readable from any thread.
public final class SessionJournal: @unchecked Sendable {
    // @unchecked: mutable state below is confined to `queue`; cross-thread reads go through
    // `depthValue`, `waitingValue`, `pendingIndex` and `journalError`.

    public enum SaveOutcome: Sendable, Equatable {
        /// In Redis.
        case stored
        /// On local disk (fsynced), to be replayed into Redis.
        case journaled
        /// Neither Redis nor the journal took it (disk failure too); logged at error level.
        case lost(String)
    }

    /// What `close` leaves behind: records not in Redis.
    public struct CloseReport: Sendable, Equatable, CustomStringConvertible {
        /// Records on disk in the journal but not in Redis (the next host started with this
        /// journal and a reachable Redis replays them).
        public let waiting: Int
        /// Records neither Redis nor the journal took since this journal started.
        public let lost: Int
        public let path: String

        package init(waiting: Int, lost: Int, path: String) {
            self.waiting = waiting
            self.lost = lost
            self.path = path
        }

        public var placed: Bool { waiting == 0 && lost == 0 }

        public var description: String {
            var parts: [String] = []
            if waiting > 0 { parts.append("\(waiting) session record(s) are not in Redis: they wait in the journal \(path) and are replayed by the next host started with it") }
            if lost > 0 { parts.append("\(lost) session record(s) were LOST (neither Redis nor the journal took them; each is in the log)") }
            return parts.isEmpty ? "every session record is in Redis" : parts.joined(separator: "; ")
        }
    }

    public let store: SessionStore
    public let path: String
    /// Delay before retrying a save that failed while the connection still looked up.
    public let retryMilliseconds: Int
    public let maxErrorReplies: Int
    /// How long `close` keeps replaying pending records into a reachable Redis.
    public let closeReplaySeconds: Double
    private let metrics: MetricsRegistry?
    private let logger: Logger
    private let queue: DispatchQueue
    private let file: JournalFile

    private let depthValue = Atomic<Int>(0)
    private let waitingValue = Atomic<Int>(0)
    private let pendingIndex = Mutex<[String: [SessionRecord.Interaction]]>([:])
    private let journalError = Mutex<String?>(nil)
    private let lostCount = Atomic<Int>(0)

    // MARK: queue state

    private struct Entry {
        let tenant: String
        let caller: String
        let interaction: SessionRecord.Interaction
        /// The interaction as JSON (what the save script takes).
        let json: String
        /// The conversation's checkpoint and lease changes, made with the record (`ConversationEnd`).
        let ending: ConversationEnd?
        /// A lost call recorded by a sweep: its call checkpoint stays (`SessionStore.save`).
        var keepsCallCheckpoint = false
        /// The journal line.
        let line: String
        var errorReplies = 0
        /// Its place in `entries` (`nextSequence`), set when it joins them.
        var sequence: UInt64 = 0
        /// Redis could not take it when it was first tried: reported `.journaled`, counted as waiting.
        var waiting = false
        /// Runs once the record is durable (in the file, or in Redis if the file failed).
        var durable: (@Sendable (SaveOutcome) -> Void)?
        /// Runs once the record is placed: `.stored` in Redis, `.journaled` waiting for it, `.lost`.
        var placed: (@Sendable (SaveOutcome) -> Void)?
    }

    /// Saves accepted but not yet written: the next flush writes them with one fsync.
    private var incoming: [Entry] = []
    private var flushScheduled = false
    /// On disk, not yet in Redis, in order: `entries[head...]` (a moving head instead of O(n) removeFirst).
    private var entries: [Entry] = []
    private var head = 0
    private var loaded = false
    /// Redis saves in flight: `entries[head..<head + inFlight]`, sent in order, taken in order.
    private var inFlight = 0
    /// Bumped when a failure stops the pipeline: answers to saves sent before it are ignored
    /// (those records are sent again, after the one that failed).
    private var pipelineEpoch = 0
    /// Numbers entries in the order they joined `entries`; answers are matched to them by it.
    private var nextSequence: UInt64 = 0
    /// Answers that came before the answer of a record sent earlier, by `Entry.sequence`.
    private var answers: [UInt64: Result<Int, SessionStoreError>] = [:]
    /// The last Redis attempt failed: wait for a reconnect or the retry timer.
    private var paused = false
    private var retryScheduled = false
    private var compactionScheduled = false
    private var removedSinceCompaction = 0
    private var closing = false
    private var closeExpired = false
    private var closed = false
    private var closeWaiters: [@Sendable (CloseReport) -> Void] = []

    private var pendingCount: Int { entries.count - head }

    /// Most saves in flight to Redis at once (`pump`): enough to keep a connection busy, few
    /// enough that the store's other commands on the same connection wait behind little.
    public static let saveWindow = 16

    /// Saves wait for replicas (`replica_acks`): each window of saves is closed by one `WAIT`
    /// and lands only at its answer. Not a WAIT per save: each blocks the connection for up to
    /// half the command timeout while a replica is away, so sixteen queued WAITs would time out
    /// the ones behind them and reset the connection every second of the outage.
    private var replicated: Bool { store.replicaAcks > 0 }

    public init(store: SessionStore, path: String, retryMilliseconds: Int = 1000, maxErrorReplies: Int = 5,
                closeReplaySeconds: Double = 5, metrics: MetricsRegistry? = nil, logger: Logger = .shared) {
        self.store = store
        self.path = path
        self.retryMilliseconds = retryMilliseconds
        self.maxErrorReplies = maxErrorReplies
        self.closeReplaySeconds = closeReplaySeconds
        self.metrics = metrics
        self.logger = logger
        self.queue = DispatchQueue(label: "agent-host.session-journal")
        self.file = JournalFile(path: path)
        metrics?.describe("agent_host_redis_up", type: "gauge", help: "1 while the session store's Redis connection is up.")
        metrics?.describe("agent_host_session_journal_depth", type: "gauge", help: "Session records in the local journal not yet in Redis.")
        metrics?.describe("agent_host_session_saves_total", type: "counter",
                          help: "Session saves by result: stored (direct), journaled, replayed (journal to Redis), rejected (moved aside), lost.")
        metrics?.describe("agent_host_session_records_total", type: "counter",
                          help: "Finished-session records by where they went: saved (in Redis), journaled (waited on disk for Redis), rejected (set aside in <journal>.rejected), lost.")
        metrics?.set("agent_host_redis_up", store.connection.state == .connected ? 1 : 0)
        metrics?.set("agent_host_session_journal_depth", 0)
        for result in ["saved", "journaled", "rejected", "lost"] {
            metrics?.increment("agent_host_session_records_total", by: 0, labels: ["result": result])
        }
        store.connection.observeState { [weak self] state in
            guard let self else { return }
            self.metrics?.set("agent_host_redis_up", state == .connected ? 1 : 0)
            if state == .connected {
                self.queue.async {
                    self.paused = false
                    self.pump()
                }
            }
        }
    }

    // MARK: public API (any thread)

    /// [thread-safe] Loads a journal left by an earlier process and replays it once Redis is up.
    public func start() {
        queue.async { [self] in
            loadIfNeeded()
            pump()
        }
    }

    /// [thread-safe] Saves durably. `durable` runs (on the journal's queue) once the record
    /// survives a crash: fsynced in the journal (`.journaled`), or, when the file cannot be
    /// written, in Redis (`.stored`); `.lost` when neither took it. `completion` runs once the
    /// record is placed: `.stored` in Redis, or `.journaled` when Redis could not take it and it
    /// waits on disk. Both arrive within the command timeout plus an fsync.
    /// `ending` is journaled and replayed with the record (`ConversationEnd`).
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String, ending: ConversationEnd? = nil,
                     keepsCallCheckpoint: Bool = false,
                     durable: (@Sendable (SaveOutcome) -> Void)? = nil,
                     completion: (@Sendable (SaveOutcome) -> Void)? = nil) {
        let json: String
        do { json = try interaction.jsonText() } catch {
            let outcome = lose(sessionID: interaction.sessionID, tenant: tenant, caller: caller, reason: "cannot encode it: \(error)")
            durable?(outcome)
            completion?(outcome)
            return
        }
        // `ends` and `keeps_call_checkpoint` are optional: a journal written before they existed
        // replays as it did, and an older host replaying a newer journal ignores them (JSONDecoder
        // skips unknown keys; the lost call's checkpoint then goes with its record, as it did).
        let line = "{\"v\":1,\"tenant\":" + JSONText.quote(tenant) + ",\"caller\":" + JSONText.quote(caller)
            + ",\"interaction\":" + json + (ending.map { ",\"ends\":" + $0.jsonText } ?? "")
            + (keepsCallCheckpoint ? ",\"keeps_call_checkpoint\":true" : "") + "}"
        let entry = Entry(tenant: tenant, caller: caller, interaction: interaction, json: json, ending: ending,
                          keepsCallCheckpoint: keepsCallCheckpoint, line: line, durable: durable, placed: completion)
        queue.async { [self] in
            loadIfNeeded()
            incoming.append(entry)
            // Group commit: every save queued before the flush runs shares its write and fsync.
            if !flushScheduled {
                flushScheduled = true
                queue.async { [self] in flush() }
            }
        }
    }

    /// [thread-safe] `save` for async callers: returns once the record is placed.
    public func save(_ interaction: SessionRecord.Interaction, tenant: String, caller: String) async -> SaveOutcome {
        await withCheckedContinuation { continuation in
            save(interaction, tenant: tenant, caller: caller) { continuation.resume(returning: $0) }
        }
    }

    /// [thread-safe] Records in the journal not yet in Redis (in flight or waiting).
    public var depth: Int { depthValue.load(ordering: .acquiring) }

    /// [thread-safe] Records waiting in the journal because Redis could not take them.
    public var waiting: Int { waitingValue.load(ordering: .acquiring) }

    /// [thread-safe] ok, or degraded with the reason (Redis not connected, records waiting in
    /// the journal, journal file failing).
    public var health: SessionHealth {
        let redis = store.connection.state
        let waiting = waiting
        var reasons: [String] = []
        if redis != .connected {
            reasons.append("redis \(store.connection.url) \(redis)" + (store.connection.lastError.map { " (\($0))" } ?? ""))
        }
        if waiting > 0 { reasons.append("\(waiting) session record(s) waiting in the journal") }
        if let error = journalError.withLock({ $0 }) { reasons.append("journal: \(error)") }
        return SessionHealth(status: reasons.isEmpty ? .ok : .degraded,
                             reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
                             redis: redis, journalDepth: depth)
    }

    /// [thread-safe] The journaled (not yet in Redis) interactions for one caller, oldest first:
    /// a caller who calls back while Redis is down still finds their last session.
    public func pending(tenant: String, caller: String) -> [SessionRecord.Interaction] {
        pendingIndex.withLock { $0[SessionRecord.key(tenant: tenant, caller: caller)] ?? [] }
    }

    /// [thread-safe] Writes what was accepted, keeps replaying into a reachable Redis for up to
    /// `closeReplaySeconds`, closes the file, and reports what is not in Redis. Later saves
    /// still journal.
    public func close(report: @escaping @Sendable (CloseReport) -> Void) {
        queue.async { [self] in
            closing = true
            closeWaiters.append(report)
            queue.asyncAfter(deadline: .now() + closeReplaySeconds) { [self] in
                closeExpired = true
                checkClosed()
            }
            checkClosed()
        }
    }

    /// [thread-safe] `close` when the report is not needed.
    public func close(completion: (@Sendable () -> Void)? = nil) {
        close(report: { _ in completion?() })
    }

    // MARK: queue internals

    /// Writes the incoming saves with one fsync; only then are they durable.
    private func flush() {
        flushScheduled = false
        let batch = incoming
        incoming.removeAll()
        guard !batch.isEmpty else { return checkClosed() }
        do {
            try file.append(batch.map(\.line))
        } catch {
            journalError.withLock { $0 = "\(error)" }
            logger.log(.error, "sessions", "session journal \(path) cannot be written (\(error)); saving \(batch.count) record(s) straight to redis")
            for entry in batch { saveWithoutJournal(entry, journalFailure: "\(error)") }
            return
        }
        journalError.withLock { $0 = nil }
        for var entry in batch {
            let durable = entry.durable
            entry.durable = nil
            appendPending(entry)
            durable?(.journaled)
        }
        publishDepth()
        pump()
    }

    /// The file failed (disk full, I/O error): Redis directly, or the record is lost.
    private func saveWithoutJournal(_ entry: Entry, journalFailure: String) {
        guard store.connection.state == .connected, !closed else {
            let outcome = lose(sessionID: entry.interaction.sessionID, tenant: entry.tenant, caller: entry.caller,
                               reason: "journal write failed (\(journalFailure)) and redis is \(store.connection.state)")
            entry.durable?(outcome)
            entry.placed?(outcome)
            return checkClosed()
        }
        sendingDirect += 1
        store.save(json: entry.json, sessionID: entry.interaction.sessionID, tenant: entry.tenant, caller: entry.caller,
                   ending: entry.ending, keepsCallCheckpoint: entry.keepsCallCheckpoint) { [self] result in
            queue.async { [self] in
                sendingDirect -= 1
                let outcome: SaveOutcome
                switch result {
                case .success:
                    count("stored")
                    countRecord("saved")
                    outcome = .stored
                case .failure(let error):
                    outcome = lose(sessionID: entry.interaction.sessionID, tenant: entry.tenant, caller: entry.caller,
                                   reason: "journal write failed (\(journalFailure)) and redis refused it (\(error))")
                }
                entry.durable?(outcome)
                entry.placed?(outcome)
                checkClosed()
            }
        }
    }

    private var sendingDirect = 0

    /// A record on disk joins the pending ones: numbered for matching Redis's answers, and
    /// findable by its caller (`pending(tenant:caller:)`).
    private func appendPending(_ entry: Entry) {
        var entry = entry
        entry.sequence = nextSequence
        nextSequence += 1
        entries.append(entry)
        pendingIndex.withLock { $0[SessionRecord.key(tenant: entry.tenant, caller: entry.caller), default: []].append(entry.interaction) }
    }

    /// Sends pending records to Redis in order, up to `saveWindow` in flight (with replicas to
    /// wait for, a window at a time, then its `WAIT`).
    private func pump() {
        guard !closed, head + inFlight < entries.count else { return checkClosed() }
        // Past the close deadline nothing more is sent: what is in flight is answered, then it closes.
        guard !(closing && closeExpired) else { return checkClosed() }
        guard store.connection.state == .connected, !paused else {
            // Saves in flight are answered either way (and a failure reports every record waiting).
            if inFlight == 0 { reportWaiting() }
            return checkClosed()
        }
        if replicated, inFlight > 0 { return }
        while inFlight < Self.saveWindow, head + inFlight < entries.count {
            send(entries[head + inFlight])
            inFlight += 1
        }
        if replicated { waitForReplicas() }
    }

    private func send(_ entry: Entry) {
        let epoch = pipelineEpoch
        store.save(json: entry.json, sessionID: entry.interaction.sessionID, tenant: entry.tenant, caller: entry.caller,
                   ending: entry.ending, keepsCallCheckpoint: entry.keepsCallCheckpoint, waitingForReplicas: false) { [self] result in
            queue.async { [self] in
                // Sent before a failure stopped the pipeline: that record is sent again in turn.
                guard epoch == pipelineEpoch else { return }
                answers[entry.sequence] = result
                if !replicated {
                    takeAnswers(epoch: epoch)
                    if epoch == pipelineEpoch { pump() }
                }
            }
        }
    }

    /// The window's `WAIT`: sent after its saves on the same connection, so answered after them.
    private func waitForReplicas() {
        let epoch = pipelineEpoch
        store.waitForReplicas { [self] result in
            queue.async { [self] in
                guard epoch == pipelineEpoch else { return }
                switch result {
                case .success:
                    takeAnswers(epoch: epoch)
                    guard epoch == pipelineEpoch else { return }
                    // Every save of the window was answered before its WAIT; if one is missing
                    // all the same, send again from the head rather than wait for nothing.
                    if inFlight > 0 { stopPipeline() }
                    pump()
                case .failure(let error):
                    // Not known to be on a replica: the window waits and is sent again. A WAIT's
                    // error is about replication (NOREPLICAS; a demoted master's "WAIT cannot be
                    // used with replica instances"), never a record, so it never counts toward
                    // setting one aside — unless the head's own save failed, which decides.
                    if head < entries.count, let own = answers[entries[head].sequence], case .failure = own {
                        landed(entries[head], own)  // a failure: it stops the pipeline too
                    } else {
                        stopPipeline()
                        pause("\(error)")
                    }
                }
            }
        }
    }

    /// Lands records in the order they were sent, while the head's answer is here (answers come
    /// in send order on one connection, but they are matched to records all the same). A failure
    /// among them stops the pipeline (a new epoch).
    private func takeAnswers(epoch: Int) {
        while inFlight > 0, head < entries.count, epoch == pipelineEpoch,
              let answer = answers.removeValue(forKey: entries[head].sequence) {
            inFlight -= 1
            landed(entries[head], answer)
        }
    }

    /// The head record's answer from Redis. A failure stops the pipeline (`stopPipeline`).
    private func landed(_ entry: Entry, _ result: Result<Int, SessionStoreError>) {
        switch result {
        case .success:
            let landed = removeHead()
            count(landed.waiting ? "replayed" : "stored")
            countRecord("saved")
            if pendingCount == 0 {
                if landed.waiting { logger.log(.info, "sessions", "session journal replayed") }
                scheduleCompaction()
            } else if removedSinceCompaction >= max(256, pendingCount) {
                compact()
            }
            if !landed.waiting { landed.placed?(.stored) }
        case .failure(let error) where error.isTransient:
            stopPipeline()
            pause("\(error)")
        case .failure(let error):
            stopPipeline()
            entries[head].errorReplies += 1
            guard entries[head].errorReplies >= maxErrorReplies else { return pause("\(error)") }
            let reason = "redis rejected it \(maxErrorReplies) times: \(error)"
            do {
                try file.reject(entry.line, reason: reason)
            } catch {
                return pause("cannot move a rejected save aside: \(error)")
            }
            logger.log(.error, "sessions", "session \(entry.interaction.sessionID) for \(entry.tenant)/\(entry.caller): \(reason); moved to \(file.rejectedPath)")
            let rejected = removeHead()
            count("rejected")
            countRecord("rejected")
            rejected.placed?(.journaled)
            compact()
            pump()
        }
    }

    /// Forgets the saves in flight: their answers are ignored and their records sent again, in
    /// order, from the head. A record behind a failed one may so reach Redis twice (idempotent);
    /// if Redis took it and the failed one lands only later, that caller's two interactions are
    /// stored in the opposite order — only around a record Redis rejected, never on an outage.
    private func stopPipeline() {
        pipelineEpoch += 1
        inFlight = 0
        answers.removeAll()
    }

    /// Redis could not take the head record: everything pending waits on disk.
    private func pause(_ failure: String) {
        paused = true
        reportWaiting()
        logger.log(.warning, "sessions", "session records wait in the journal (\(pendingCount) pending): \(failure)")
        scheduleRetry()
        checkClosed()
    }

    /// Pending records not yet reported are now waiting for Redis: `.journaled`, counted once.
    private func reportWaiting() {
        var newlyWaiting = 0
        for index in head..<entries.count where !entries[index].waiting {
            entries[index].waiting = true
            newlyWaiting += 1
            count("journaled")
            countRecord("journaled")
            entries[index].placed?(.journaled)
            entries[index].placed = nil
        }
        if newlyWaiting > 0 { waitingValue.add(newlyWaiting, ordering: .releasing) }
    }

    /// A retry for failures the connection state will not announce (error replies, a timeout on a
    /// connection that came back before we noticed).
    private func scheduleRetry() {
        guard !retryScheduled, !closed else { return }
        retryScheduled = true
        queue.asyncAfter(deadline: .now() + .milliseconds(retryMilliseconds)) { [self] in
            retryScheduled = false
            paused = false
            pump()
        }
    }

    /// Truncates the file shortly after the last pending record landed: a burst of sessions
    /// shares one truncation instead of paying an fsync each.
    private func scheduleCompaction() {
        guard !compactionScheduled else { return }
        compactionScheduled = true
        queue.asyncAfter(deadline: .now() + .milliseconds(50)) { [self] in
            compactionScheduled = false
            compact()
        }
    }

    @discardableResult
    private func removeHead() -> Entry {
        let entry = entries[head]
        entries[head].placed = nil
        head += 1
        removedSinceCompaction += 1
        if entry.waiting { waitingValue.subtract(1, ordering: .releasing) }
        pendingIndex.withLock { index in
            let key = SessionRecord.key(tenant: entry.tenant, caller: entry.caller)
            guard var list = index[key] else { return }
            if let at = list.firstIndex(where: { $0.sessionID == entry.interaction.sessionID }) { list.remove(at: at) }
            index[key] = list.isEmpty ? nil : list
        }
        publishDepth()
        return entry
    }

    /// Rewrites the file to the pending entries (truncates it when none are left); a no-op when
    /// nothing was removed since the last rewrite, unless `force`d.
    private func compact(force: Bool = false) {
        guard force || removedSinceCompaction > 0 else { return }
        if head > 0 {
            entries.removeFirst(head)
            head = 0
        }
        do {
            try file.rewrite(entries.map(\.line))
            removedSinceCompaction = 0
        } catch {
            // The old file still holds everything pending (plus landed lines, which replay
            // idempotently), so nothing is lost; retry at the next compaction.
            journalError.withLock { $0 = "compaction failed: \(error)" }
            logger.log(.error, "sessions", "session journal compaction failed: \(error)")
        }
    }

    private func loadIfNeeded() {
        guard !loaded else { return }
        loaded = true
        let read: (lines: [String], torn: String?)
        do { read = try file.readLines() } catch {
            journalError.withLock { $0 = "\(error)" }
            logger.log(.error, "sessions", "cannot read session journal: \(error)")
            return
        }
        struct Stored: Decodable {
            let tenant: String
            let caller: String
            let interaction: SessionRecord.Interaction
            let ends: ConversationEnd?
            let keepsCallCheckpoint: Bool?

            enum CodingKeys: String, CodingKey {
                case tenant, caller, interaction, ends
                case keepsCallCheckpoint = "keeps_call_checkpoint"
            }
        }
        var unreadable: [(String, String)] = []
        if let torn = read.torn { unreadable.append((torn, "incomplete last line (crash during write; never acknowledged)")) }
        for line in read.lines {
            do {
                let stored = try JSONDecoder().decode(Stored.self, from: Data(line.utf8))
                appendPending(Entry(tenant: stored.tenant, caller: stored.caller, interaction: stored.interaction,
                                    json: try stored.interaction.jsonText(), ending: stored.ends,
                                    keepsCallCheckpoint: stored.keepsCallCheckpoint ?? false, line: line))
            } catch {
                unreadable.append((line, "unreadable journal line: \(error)"))
            }
        }
        for (line, reason) in unreadable {
            try? file.reject(line, reason: reason)
            logger.log(.warning, "sessions", "\(reason); moved to \(file.rejectedPath)")
        }
        // A torn or unreadable line must go before the next append glues a line onto it.
        if !unreadable.isEmpty { compact(force: true) }
        publishDepth()
        if pendingCount > 0 {
            // Records from an earlier run waited for Redis by definition.
            reportWaiting()
            logger.log(.info, "sessions", "session journal \(path) holds \(pendingCount) record(s) from an earlier run; replaying when redis is up")
        }
    }

    /// Closes once everything accepted is written and, while Redis takes them (and the close
    /// deadline has not passed), every pending record is in Redis.
    private func checkClosed() {
        guard closing, !closed, !flushScheduled, incoming.isEmpty, inFlight == 0, sendingDirect == 0 else { return }
        if !closeExpired, pendingCount > 0, !paused, store.connection.state == .connected { return pump() }
        closed = true
        compact()
        file.close()
        reportWaiting()
        let report = CloseReport(waiting: pendingCount, lost: lostCount.load(ordering: .relaxed), path: path)
        if !report.placed { logger.log(.error, "sessions", "session journal closed: \(report)") }
        let waiters = closeWaiters
        closeWaiters.removeAll()
        for waiter in waiters { waiter(report) }
    }

    /// Counts and logs one lost record; returns the outcome to report.
    private func lose(sessionID: String, tenant: String, caller: String, reason: String) -> SaveOutcome {
        count("lost")
        countRecord("lost")
        lostCount.add(1, ordering: .relaxed)
        logger.log(.error, "sessions", "session \(sessionID) for \(tenant)/\(caller) LOST: \(reason)")
        return .lost(reason)
    }

    private func publishDepth() {
        depthValue.store(pendingCount, ordering: .releasing)
        metrics?.set("agent_host_session_journal_depth", Double(pendingCount))
    }

    private func count(_ result: String) {
        metrics?.increment("agent_host_session_saves_total", labels: ["result": result])
    }

    private func countRecord(_ result: String) {
        metrics?.increment("agent_host_session_records_total", labels: ["result": result])
    }
}
