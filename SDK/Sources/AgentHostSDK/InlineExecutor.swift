/// Runs an agent's or tool's async code on the thread that resumes it: the session thread that
/// called into the plugin (step, on_tool_result, HTTP and timer callbacks all arrive there).
///
/// Without it every step and every tool result hopped to Swift's global pool and back, a thread
/// switch each way (measured: most of a turn's wall time). The ABI already asks plugin calls to
/// return promptly, so plugin code running on the session thread is the contract, not a shortcut.
/// CPU-heavy work belongs in `BackgroundWork.run` or a tool the agent awaits.
final class InlineExecutor: TaskExecutor {
    static let shared = InlineExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }
}
