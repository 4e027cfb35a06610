import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Where speech work runs relative to the event loop. A busy host has two cores and one loop
/// thread that must tick every 20 ms for every call's playback; decoders and synthesisers are
/// throughput work. So:
/// - per-call decoder queues target one non-overcommitting global queue (about one thread per
///   core, instead of a thread per call), and
/// - every speech work item runs at nice `niceness`, so when the cores are saturated the
///   scheduler gives the loop its tick first (CFS weights: nice 0 gets ~9x the share of nice 10).
/// A thread keeps the lower priority after the item (raising it back needs CAP_SYS_NICE); such
/// threads only ever run speech and other background work.
public enum SpeechThreads {
    public static let niceness: Int32 = 10
    static let pool = DispatchQueue.global(qos: .utility)

    /// Call first thing in a speech work item. It also names the pool thread `speech` for
    /// `top -H` (docs/operations.md, "Threads"): such threads only run speech and background work.
    static func lowerPriority() {
        #if canImport(Glibc)
        // On Linux the nice value is per thread, and `who` 0 is the calling thread.
        if getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) < niceness {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
            // Once per thread, with the priority. Through /proc: pthread_setname_np is not
            // declared to Swift here (HostNet's ThreadName has a C shim; this module has no C glue).
            let fd = open("/proc/thread-self/comm", O_WRONLY)
            if fd >= 0 {
                _ = write(fd, "speech", 6)
                close(fd)
            }
        }
        #endif
    }
}
