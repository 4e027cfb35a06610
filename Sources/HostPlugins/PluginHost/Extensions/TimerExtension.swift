import HostNet
import PluginABI
import Synchronization

/// "agent_host.timer/1": one-shot timers on the host's loop. Callbacks run on the loop thread.
nonisolated(unsafe) let timerTable = permanentTable(ah_host_timer_t(
    struct_size: UInt32(MemoryLayout<ah_host_timer_t>.size),
    start: { host, delay, callback, user, outID, error in
        guard let context = InstanceContext.from(host), let callback, let loop = context.services.callingLoop?.loop else {
            return AH_ERR_INVALID_ARGUMENT
        }
        let id = PluginTimers.shared.makeID()
        outID?.pointee = id
        let request = PluginTimers.Pending(callback: callback, user: user)
        PluginTimers.shared.start(id: id, delay: delay, request: request, on: loop)
        return AH_OK
    },
    cancel: { _, id in PluginTimers.shared.cancel(id: id) }))

/// Pending plugin timers by id, so `cancel` can find them from any thread.
final class PluginTimers: Sendable {
    static let shared = PluginTimers()

    struct Pending: @unchecked Sendable {
        // @unchecked: `user` is the plugin's opaque pointer, only handed back to its callback.
        let callback: ah_timer_callback_t
        let user: UnsafeMutableRawPointer?
    }

    private struct Entry: @unchecked Sendable {
        // @unchecked: the LoopTimer is touched only on its loop's thread.
        let pending: Pending
        let timer: LoopTimer
        let loop: EventLoop
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    /// Timer ids are process-wide because `entries` is: two HostServices must not collide.
    private let nextID = Atomic<UInt64>(1)

    func makeID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    func start(id: UInt64, delay: UInt64, request: Pending, on loop: EventLoop) {
        loop.execute { [self] in
            let timer = LoopTimer(loop: loop)
            entries.withLock { $0[id] = Entry(pending: request, timer: timer, loop: loop) }
            timer.start(after: delay) { [self] in finish(id: id, cancelled: false) }
        }
    }

    func cancel(id: UInt64) {
        guard let loop = entries.withLock({ $0[id]?.loop }) else { return }
        loop.execute { [self] in finish(id: id, cancelled: true) }
    }

    private func finish(id: UInt64, cancelled: Bool) {
        guard let entry = entries.withLock({ $0.removeValue(forKey: id) }) else { return }
        entry.timer.close()
        entry.pending.callback(entry.pending.user, id, cancelled ? 1 : 0)
    }
}
