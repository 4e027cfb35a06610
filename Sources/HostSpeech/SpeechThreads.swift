import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where speech work runs relative to the event loop. A busy host has two cores and one loop
/// thread that must tick every 20 ms for every call's playback; decoders and synthesisers are
/// throughput work. So speech runs on its own threads — one for flite, one for espeak-ng, one
/// decoder thread per core (each call's decoder is pinned to one, so its work stays in order) —
/// and those threads run at nice `niceness`: when the cores are saturated the scheduler gives the
/// loop its tick first (CFS weights: nice 0 gets ~9x the share of nice 10). Dedicated threads, not
/// libdispatch's: a pool thread lowered for speech would later run other work (the session
/// journal, Redis callbacks) at the lower priority too, and raising it back needs CAP_SYS_NICE.
public enum SpeechThreads {
    public static let niceness: Int32 = 10

    static let flite = SpeechWorker(name: "speech.flite")
    static let espeak = SpeechWorker(name: "speech.espeak")
    static let decoders: [SpeechWorker] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map {
        SpeechWorker(name: "speech.pocketsphinx.\($0)")
    }
    private static let nextDecoder = Atomic<Int>(0)

    /// The decoder thread for a new call (round robin).
    static func decoderWorker() -> SpeechWorker {
        decoders[nextDecoder.wrappingAdd(1, ordering: .relaxed).oldValue % decoders.count]
    }
}

/// A serial executor on one dedicated, lowered-priority thread. Jobs run in submission order.
final class SpeechWorker: Sendable {
    private let state = Mutex<(jobs: [@Sendable () -> Void], next: Int)>(([], 0))
    private let wake = DispatchSemaphore(value: 0)
    private let threadID = Atomic<UInt>(0)

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func async(_ job: @escaping @Sendable () -> Void) {
        state.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    /// True on this worker's thread (engine code asserts it is where it must be).
    var isCurrent: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        #if canImport(Glibc)
        // On Linux the nice value is per thread, and `who` 0 is the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, SpeechThreads.niceness)
        #endif
        while true {
            wake.wait()
            let job = state.withLock { state -> (@Sendable () -> Void)? in
                guard state.next < state.jobs.count else { return nil }
                let job = state.jobs[state.next]
                state.next += 1
                // Compact now and then so the queue's storage does not grow for ever.
                if state.next > 64, state.next * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.next)
                    state.next = 0
                }
                return job
            }
            job?()
        }
    }
}
