/// A deadline that activity pushes back: an idle timeout on a stream of frames or chunks.
/// `touch()` only records the loop time, so it costs nothing per frame; the timer is armed once
/// and, when it fires early, re-arms itself for the remainder. (Re-starting a LoopTimer on every
/// frame was a timer stop + start and a closure allocation per frame, 50 a second per voice call.)
/// Loop-thread only, like LoopTimer.
public final class LoopDeadline {
    private let loop: EventLoop
    private let timer: LoopTimer
    private var milliseconds: UInt64 = 0
    private var lastActivity: UInt64 = 0
    private var onExpiry: (() -> Void)?

    public init(loop: EventLoop) {
        self.loop = loop
        timer = LoopTimer(loop: loop)
    }

    /// (Re)starts the deadline: `onExpiry` runs once `milliseconds` pass without a `touch()`.
    public func start(milliseconds: UInt64, onExpiry: @escaping () -> Void) {
        self.milliseconds = milliseconds
        self.onExpiry = onExpiry
        lastActivity = loop.nowMilliseconds
        arm(after: milliseconds)
    }

    /// Activity: the deadline moves to `milliseconds` from now.
    public func touch() { lastActivity = loop.nowMilliseconds }

    public func close() {
        onExpiry = nil
        timer.close()
    }

    private func arm(after delay: UInt64) {
        timer.start(after: delay) { [unowned self] in
            let quiet = loop.nowMilliseconds &- lastActivity
            if quiet < milliseconds { return arm(after: milliseconds - quiet) }
            onExpiry?()
        }
    }
}
