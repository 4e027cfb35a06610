/// Cuts a stream of PCM16 sample buffers of any size into frames of exactly `frameSize` samples
/// (20 ms by default: 320 samples at 16 kHz), keeping the remainder for the next buffer.
///
/// The VAD and turn detector reason in fixed frames, while clients send whatever chunk sizes their
/// audio stack produces. Pure computation on caller-owned state; call it from the event loop.
///
///     var reframer = Reframer(sampleRate: 16_000)
///     reframer.append(samples)
///     while let frame = reframer.nextFrame() { ... }
public struct Reframer: Sendable {
    public let frameSize: Int
    private var buffer: [Int16] = []
    private var readIndex = 0

    /// Frames of `frameSize` samples (must be positive).
    public init(frameSize: Int) {
        precondition(frameSize > 0, "Reframer frame size must be positive")
        self.frameSize = frameSize
        buffer.reserveCapacity(frameSize * 2)
    }

    /// Frames of `frameMilliseconds` at `sampleRate` (20 ms at 16 kHz → 320 samples).
    public init(sampleRate: Int, frameMilliseconds: Int = 20) {
        self.init(frameSize: sampleRate * frameMilliseconds / 1000)
    }

    /// Samples received but not yet returned in a frame (always less than `frameSize` after draining).
    public var pendingCount: Int { buffer.count - readIndex }

    /// Adds samples to the stream.
    public mutating func append(_ samples: some Collection<Int16>) {
        // Drop consumed samples before growing, so the buffer stays about one frame long.
        if readIndex > 0 && readIndex >= buffer.count - readIndex {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: samples)
    }

    /// The next complete frame, or nil until enough samples have arrived.
    public mutating func nextFrame() -> [Int16]? {
        guard pendingCount >= frameSize else { return nil }
        let frame = Array(buffer[readIndex..<readIndex + frameSize])
        readIndex += frameSize
        return frame
    }

    /// Appends `samples` and returns every frame now complete.
    public mutating func frames(appending samples: some Collection<Int16>) -> [[Int16]] {
        append(samples)
        var frames: [[Int16]] = []
        while let frame = nextFrame() { frames.append(frame) }
        return frames
    }

    /// End of stream: the next frame, the last one zero-padded to full size; nil when nothing is left.
    /// Call it in a loop (`while let frame = reframer.flush()`).
    public mutating func flush() -> [Int16]? {
        guard pendingCount > 0 else { return nil }
        if pendingCount >= frameSize { return nextFrame() }
        var frame = Array(buffer[readIndex...])
        frame.append(contentsOf: repeatElement(0, count: frameSize - frame.count))
        reset()
        return frame
    }

    /// Discards buffered samples (start of a new stream).
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        readIndex = 0
    }
}
