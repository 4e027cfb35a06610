/// Warnings that could come once per socket in a flood, written at most once per cause per
/// window: the first at once, then while the cause lasts one summary per window with how many
/// more there were. Loop-thread only.
final class ThrottledLog {
    private struct Cause {
        var count: Int
        var summary: (Int) -> String?
    }

    private let loop: EventLoop
    private let sink: @Sendable (String) -> Void
    private let windowMilliseconds: UInt64
    private var causes: [String: Cause] = [:]
    private var timer: LoopTimer?
    private var timerRunning = false

    init(loop: EventLoop, windowMilliseconds: UInt64 = 10_000, sink: @escaping @Sendable (String) -> Void) {
        self.loop = loop
        self.windowMilliseconds = windowMilliseconds
        self.sink = sink
    }

    /// Writes `line` if `cause` has been quiet for a window, else counts it for the summary
    /// (`summary(count)`, nil: none). Returns whether `line` was written.
    @discardableResult
    func note(_ cause: String, _ line: @autoclosure () -> String, summary: @escaping (Int) -> String?) -> Bool {
        if causes[cause] != nil {
            causes[cause]?.count += 1
            causes[cause]?.summary = summary   // the latest details (e.g. the last client)
            return false
        }
        sink(line())
        causes[cause] = Cause(count: 0, summary: summary)
        if !timerRunning {
            let timer = self.timer ?? LoopTimer(loop: loop)
            self.timer = timer
            timerRunning = true
            timer.start(after: windowMilliseconds, repeat: windowMilliseconds) { [unowned self] in flush() }
        }
        return true
    }

    func close() {
        timer?.close()
        timer = nil
        timerRunning = false
        causes = [:]
    }

    /// End of a window: a summary for each cause that recurred; quiet causes are forgotten.
    private func flush() {
        for (cause, state) in causes {
            if state.count > 0 {
                if let line = state.summary(state.count) { sink(line) }
                causes[cause]?.count = 0
            } else {
                causes[cause] = nil
            }
        }
        if causes.isEmpty {
            timer?.stop()
            timerRunning = false
        }
    }
}
