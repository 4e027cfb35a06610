import Foundation
import HostAudio
import HostSupport

/// One call's recording: a stereo 16-bit PCM WAV at the call's rate, caller on the left, agent
/// on the right (docs/telephony.md). The loop only stamps each buffer with the time it passed and
/// hands it to `queue`; decoding (mu-law/PCM16), placing on the timeline and file writes run there.
/// Both sides share one clock (the first buffer's time is 0), so what overlaps on the line
/// overlaps in the file: a barge-in shows as the caller's speech over the agent's, then the agent
/// stopping. The file is `<session id>.wav.partial` while written, `<session id>.wav` when done.
package final class CallRecorder: @unchecked Sendable {
    // @unchecked: `handOver` may be called from the loop only; everything else runs on `queue`.
    private let queue: DispatchQueue
    private let directory: String
    private let sampleRate: Int
    private var writer: Writer  // queue-confined

    package init(directory: String, sampleRate: Int, queue: DispatchQueue) {
        self.directory = directory
        self.sampleRate = sampleRate
        self.queue = queue
        writer = Writer(sampleRate: sampleRate)
    }

    // MARK: loop side: stamp and hand over

    /// Caller audio as it arrived (mu-law or PCM16 LE bytes at the call's rate).
    package func caller(_ bytes: [UInt8], mulaw: Bool) {
        let now = DispatchTime.now().uptimeNanoseconds
        queue.async { [self] in writer.caller(bytes, mulaw: mulaw, at: now) }
    }

    /// One frame of agent speech, as it left for the line.
    package func agent(_ frame: ArraySlice<Int16>) {
        let now = DispatchTime.now().uptimeNanoseconds
        let samples = Array(frame)
        queue.async { [self] in writer.agent(samples, at: now) }
    }

    /// The session the call belongs to (the file's name); the recording may start before it opens.
    package func name(sessionID: String) {
        let path = (directory as NSString).appendingPathComponent(sessionID + ".wav")
        queue.async { [self] in writer.name(path) }
    }

    /// Writes what is left, completes the header and renames the file; `done` (on `queue`) gets
    /// the final path, or nil when the call never had a session (nothing is kept).
    package func finish(_ done: @escaping @Sendable (String?) -> Void = { _ in }) {
        queue.async { [self] in done(writer.finish()) }
    }

    // MARK: writer side

    private struct Writer {
        let sampleRate: Int
        var path: String?
        var file: FileHandle?
        var start: UInt64?
        /// Samples before `base` are in the file; `left`/`right` hold `base...`.
        var base = 0
        var left: [Int16] = []
        var right: [Int16] = []
        var callerCursor = 0
        var agentCursor = 0
        var written = 0
        var decoder = PCM16Decoder()
        var failed = false

        init(sampleRate: Int) { self.sampleRate = sampleRate }

        /// Where on the timeline `now` is.
        mutating func position(_ now: UInt64) -> Int {
            if start == nil { start = now }
            return Int((now - min(now, start!)) * UInt64(sampleRate) / 1_000_000_000)
        }

        mutating func caller(_ bytes: [UInt8], mulaw: Bool, at now: UInt64) {
            let samples = mulaw ? MuLaw.decode(bytes) : decoder.decode(bytes)
            // The buffer ends now: it was spoken during the `count` samples before.
            let at = max(callerCursor, position(now) - samples.count)
            place(samples, at: at, left: true)
            callerCursor = at + samples.count
            flush(keepingLast: sampleRate)
        }

        mutating func agent(_ samples: [Int16], at now: UInt64) {
            // Frames are paced in real time: one starts playing when it is sent.
            let at = max(agentCursor, position(now))
            place(samples, at: at, left: false)
            agentCursor = at + samples.count
            flush(keepingLast: sampleRate)
        }

        mutating func place(_ samples: [Int16], at position: Int, left isLeft: Bool) {
            let offset = max(0, position - base)
            let end = offset + samples.count
            if left.count < end { left.append(contentsOf: repeatElement(0, count: end - left.count)) }
            if right.count < end { right.append(contentsOf: repeatElement(0, count: end - right.count)) }
            if isLeft {
                left.replaceSubrange(offset..<end, with: samples)
            } else {
                right.replaceSubrange(offset..<end, with: samples)
            }
        }

        mutating func name(_ path: String) {
            guard self.path == nil else { return }
            self.path = path
            let partial = path + ".partial"
            guard FileManager.default.createFile(atPath: partial, contents: Data(Self.header(sampleRate: sampleRate, dataBytes: 0))),
                  let handle = FileHandle(forWritingAtPath: partial) else {
                Logger.shared.log(.error, "recording", "cannot create \(partial): check recording.directory exists and is writable")
                failed = true
                return
            }
            _ = try? handle.seekToEnd()
            file = handle
        }

        /// Writes everything older than the last `keep` samples (a later buffer never lands
        /// that far back: both sides are placed at the current time or after their cursor).
        mutating func flush(keepingLast keep: Int) {
            guard let file, !failed else {
                // No session yet (it is opening): keep at most a minute.
                let excess = left.count - 60 * sampleRate
                if excess > 0 { base += excess; left.removeFirst(excess); right.removeFirst(min(excess, right.count)) }
                return
            }
            let count = max(0, min(left.count, right.count) - keep)
            guard count >= (keep == 0 ? 1 : sampleRate / 2) else { return }
            var bytes = [UInt8](repeating: 0, count: count * 4)
            for index in 0..<count {
                let l = UInt16(bitPattern: left[index]), r = UInt16(bitPattern: right[index])
                bytes[index * 4] = UInt8(l & 0xff); bytes[index * 4 + 1] = UInt8(l >> 8)
                bytes[index * 4 + 2] = UInt8(r & 0xff); bytes[index * 4 + 3] = UInt8(r >> 8)
            }
            do { try file.write(contentsOf: bytes) } catch {
                Logger.shared.log(.error, "recording", "writing \(path ?? "") failed: \(error)")
                failed = true
                return
            }
            written += count
            base += count
            left.removeFirst(count)
            right.removeFirst(count)
        }

        mutating func finish() -> String? {
            guard let path else { return nil }
            flush(keepingLast: 0)
            guard let file, !failed else { return nil }
            do {
                try file.seek(toOffset: 0)
                try file.write(contentsOf: Self.header(sampleRate: sampleRate, dataBytes: written * 4))
                try file.close()
                try FileManager.default.moveItem(atPath: path + ".partial", toPath: path)
            } catch {
                Logger.shared.log(.error, "recording", "finishing \(path) failed: \(error)")
                return nil
            }
            self.file = nil
            return path
        }

        /// RIFF/WAVE, PCM, 2 channels, 16 bits.
        static func header(sampleRate: Int, dataBytes: Int) -> [UInt8] {
            var out: [UInt8] = []
            func text(_ s: String) { out += Array(s.utf8) }
            func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out += $0 } }
            func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { out += $0 } }
            text("RIFF"); u32(36 + dataBytes); text("WAVE")
            text("fmt "); u32(16); u16(1); u16(2); u32(sampleRate); u32(sampleRate * 4); u16(4); u16(16)
            text("data"); u32(dataBytes)
            return out
        }
    }
}
