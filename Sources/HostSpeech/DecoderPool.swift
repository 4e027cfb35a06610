import Foundation
import Synchronization

/// Warm decoders for a recognizer's new sessions (docs/voice.md, "The first turn"): creating a
/// pocketsphinx decoder costs ~0.2 s of CPU, and a fresh decoder's cepstral mean is not yet
/// adapted to speech, so a call's first utterance used to be decoded twice at the end of the turn
/// (`PocketSphinxSession`'s replay). A pooled decoder is created ahead of the call on a speech
/// thread and, when warm-up audio is given (the tenant's own phrases spoken by the offline
/// synthesiser), has already decoded it, so its mean is adapted and the session skips the replay.
///
/// Sizing follows the call rate: the pool starts at `initialTarget` and grows by one (up to
/// `maximumTarget`) each time a call finds it empty; every take starts a refill. Memory: the
/// resident-set growth of creating the first warm decoder, times the decoders held (`status`).
/// Thread-safe: `take` is called on session queues; decoders are handed over whole (a decoder is
/// used by one owner at a time).
final class DecoderPool: Sendable {
    struct Status: Sendable, Equatable {
        var ready: Int
        var target: Int
        var misses: Int
        var created: Int
        /// Estimated resident bytes of one warm decoder (nil until one was measured).
        var bytesPerDecoder: Int?
    }

    private struct State: ~Copyable {
        var ready: [SphinxDecoder] = []
        var target: Int
        var creating = 0
        var misses = 0
        var created = 0
        var bytesPerDecoder: Int?
    }

    let arguments: [String]
    let warmUpAudio: [Int16]
    let maximumTarget: Int
    private let state: Mutex<State>
    /// One creation at a time, below the loop's priority: warming never competes with live calls
    /// for more than one core.
    private let queue = DispatchQueue(label: "hostspeech.pocketsphinx.pool", target: SpeechThreads.pool)

    init(arguments: [String], warmUpAudio: [Int16], initialTarget: Int, maximumTarget: Int = 16) {
        self.arguments = arguments
        self.warmUpAudio = warmUpAudio
        self.maximumTarget = max(maximumTarget, initialTarget)
        state = Mutex(State(target: initialTarget))
        refill()
    }

    /// A warm decoder (and whether it is adapted), or nil when none is ready: the caller creates
    /// one itself and the pool grows.
    func take() -> (decoder: SphinxDecoder, adapted: Bool)? {
        let decoder: SphinxDecoder? = state.withLock { state in
            guard !state.ready.isEmpty else {
                state.misses += 1
                state.target = min(state.target + 1, maximumTarget)
                return nil
            }
            return state.ready.removeFirst()
        }
        refill()
        return decoder.map { ($0, !warmUpAudio.isEmpty) }
    }

    var status: Status {
        state.withLock { Status(ready: $0.ready.count, target: $0.target, misses: $0.misses, created: $0.created, bytesPerDecoder: $0.bytesPerDecoder) }
    }

    /// Blocks until the pool holds its target (start-up and benchmarks; never on a loop thread).
    func waitUntilFull(timeoutSeconds: Double = 30) {
        let deadline = monotonicSeconds() + timeoutSeconds
        while monotonicSeconds() < deadline, state.withLock({ $0.ready.count < $0.target }) { usleep(10_000) }
    }

    private func refill() {
        let wanted = state.withLock { state -> Int in
            let missing = max(0, state.target - state.ready.count - state.creating)
            state.creating += missing
            return missing
        }
        for _ in 0..<wanted {
            queue.async { [self] in
                SpeechThreads.lowerPriority()
                let measure = state.withLock { $0.bytesPerDecoder == nil }
                let before = measure ? Self.residentBytes() : 0
                let decoder = try? SphinxDecoder(arguments: arguments)
                if let decoder, !warmUpAudio.isEmpty, decoder.startUtterance() {
                    _ = decoder.process(warmUpAudio)
                    decoder.endUtterance()
                }
                let after = measure ? Self.residentBytes() : 0
                state.withLock { state in
                    state.creating -= 1
                    guard let decoder else { return }
                    state.created += 1
                    state.ready.append(decoder)
                    if measure, state.bytesPerDecoder == nil, after > before { state.bytesPerDecoder = after - before }
                }
            }
        }
    }

    /// VmRSS from /proc/self/statm (pages × page size).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
