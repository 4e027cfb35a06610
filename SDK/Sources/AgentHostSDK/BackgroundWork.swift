import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU-heavy one-off work that a step awaits — training a classifier, building an index — run
/// where it cannot hold up the host's event loops.
///
/// A step runs on its session's loop thread, which serves every other call on that loop, so such
/// work must leave it. Swift's global executor (`Task.detached`) is not far enough: its threads run
/// at the loops' own priority, and when the loops keep the cores busy the kernel lets the work hold
/// a core a loop has just woken up for (one of three scheduler traces of the paced chat benchmark
/// had a loop waiting behind a 4.4 ms run of such a thread; docs/benchmarks.md, "The paced stall's
/// floor; plugin training below the loops …", where the stall figures did not measurably change).
///
/// `run` gives the work its own thread at nice `niceness`: the kernel preempts it as soon as a
/// loop thread (nice 0) wants the core, and it still gets every idle cycle. The price is that on a
/// saturated host the work waits its turn: keep it to one-offs, not per-turn computation.
/// The awaiting step resumes on a normal-priority pool thread when the work is done (never on the
/// low-priority one); the ABI lets a step act and finish from any thread.
public enum BackgroundWork {
    /// The lowest priority a thread can ask for without privileges.
    public static let niceness: Int32 = 19
    /// Its threads' name in `top -H` and `/proc/PID/task/*/comm`.
    public static let threadName = "plugin-backgrd"

    /// Runs `work` on a new low-priority thread and returns its result.
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            // A thread per call: the work is one-off and milliseconds long, next to which starting a
            // thread (~50 µs) is small, and no idle thread is kept in every process that loads the SDK.
            Thread {
                lowerPriorityAndName()
                let result = work()
                // Resumed from a normal-priority thread, not this one: the step goes on from where
                // it is resumed, into host code whose locks a loop takes too (its task queue, the
                // session's), and a nice-19 thread preempted while holding one would keep that loop
                // waiting for as long as busier threads keep the nice-19 thread off the cores.
                DispatchQueue.global().async { continuation.resume(returning: result) }
            }.start()
        }
    }

    /// The calling thread's nice value (Linux keeps one per thread).
    public static func currentNiceness() -> Int32 {
        #if canImport(Glibc)
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return 0
        #endif
    }

    private static func lowerPriorityAndName() {
        #if canImport(Glibc)
        // On Linux `who` 0 with PRIO_PROCESS is the calling thread, not the whole process.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        // Named for `top -H`: a new thread starts with its creator's name (the kernel copies it), so
        // it would pass for a loop or pool thread. Through /proc: Foundation's `Thread.name` does not
        // reach the kernel's name here, and the SDK has no C glue for pthread_setname_np.
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        if fd >= 0 {
            _ = write(fd, threadName, threadName.utf8.count)
            close(fd)
        }
        #endif
    }
}
