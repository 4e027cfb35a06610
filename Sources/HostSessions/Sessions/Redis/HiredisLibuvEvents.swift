import CHiredis
import CLibUV

/// Replaces the poll callbacks of hiredis's `adapters/libuv.h` after `redisLibuvAttach`.
///
/// Why: libuv reports a socket error (POLLERR: a connection reset, an asynchronously refused
/// connect) by calling the poll callback with a non-zero status *and stopping the handle*; the
/// 0.14.1 adapter's `redisLibuvPoll` returns on any non-zero status without telling hiredis. The
/// socket then goes silent: hiredis never sees the disconnect, queued commands wait for their
/// timeouts and a reconnect waits for the connect timeout (seen when a connection landed in a
/// stopping redis-server's accept queue). Here a non-zero status becomes a read, which makes
/// hiredis read the socket error, disconnect and flush its callbacks (or finish a failed connect).
///
/// Everything else is the adapter's own: its `redisLibuvEvents` allocation, `uv_poll_t` and
/// cleanup stay in charge; only the four add/del hooks are swapped for ones that start the poll
/// with `poll` below. Loop thread only, like all hiredis calls.
enum HiredisLibuvEvents {
    /// Call right after a successful `redisLibuvAttach(ac, loop)`.
    static func install(on ac: UnsafeMutablePointer<redisAsyncContext>) {
        ac.pointee.ev.addRead = { HiredisLibuvEvents.update($0, add: Int32(UV_READABLE.rawValue)) }
        ac.pointee.ev.delRead = { HiredisLibuvEvents.update($0, remove: Int32(UV_READABLE.rawValue)) }
        ac.pointee.ev.addWrite = { HiredisLibuvEvents.update($0, add: Int32(UV_WRITABLE.rawValue)) }
        ac.pointee.ev.delWrite = { HiredisLibuvEvents.update($0, remove: Int32(UV_WRITABLE.rawValue)) }
    }

    private static func update(_ privdata: UnsafeMutableRawPointer?, add: Int32 = 0, remove: Int32 = 0) {
        guard let privdata else { return }
        let events = privdata.assumingMemoryBound(to: redisLibuvEvents.self)
        events.pointee.events = (events.pointee.events | add) & ~remove
        let handle = pollHandle(events)
        if events.pointee.events != 0 {
            uv_poll_start(handle, events.pointee.events, HiredisLibuvEvents.poll)
        } else {
            uv_poll_stop(handle)
        }
    }

    private static func pollHandle(_ events: UnsafeMutablePointer<redisLibuvEvents>) -> UnsafeMutablePointer<uv_poll_t> {
        let offset = MemoryLayout<redisLibuvEvents>.offset(of: \redisLibuvEvents.handle)!
        return (UnsafeMutableRawPointer(events) + offset).assumingMemoryBound(to: uv_poll_t.self)
    }

    private static let poll: @convention(c) (UnsafeMutablePointer<uv_poll_t>?, Int32, Int32) -> Void = { handle, status, ready in
        guard let data = handle?.pointee.data else { return }
        let events = data.assumingMemoryBound(to: redisLibuvEvents.self)
        guard let context = events.pointee.context else { return }
        if status != 0 {
            // libuv already stopped the handle; hiredis re-arms it if the read finds no error.
            redisAsyncHandleRead(context)
            return
        }
        if ready & Int32(UV_READABLE.rawValue) != 0 { redisAsyncHandleRead(context) }
        // The read may have freed the context; the adapter's cleanup clears `context` then.
        if ready & Int32(UV_WRITABLE.rawValue) != 0, let context = events.pointee.context { redisAsyncHandleWrite(context) }
    }
}
