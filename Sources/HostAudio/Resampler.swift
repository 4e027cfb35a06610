import CSpeexDSP

/// Streaming mono PCM16 sample-rate converter over speexdsp's resampler.
///
/// Used for 8 kHz and 24 kHz callers (the recogniser wants 16 kHz) and for the agent's speech going
/// back at the caller's rate. Feed chunks of any size to `process`; `flush` at end of stream returns
/// the tail so that a stream of N input samples yields exactly `outputCount(forInput: N)` outputs,
/// time-aligned with the input (speex's leading filter delay is skipped, so the first chunk comes out
/// about `inputLatency` samples short and `flush` makes up for it).
/// Pure computation (no threads, no I/O): call it per frame from the event loop. Not Sendable: it
/// owns C state, so keep one per stream and per direction on one thread.
public final class Resampler {
    public enum Failure: Error, Equatable { case invalidRates(input: Int, output: Int), speex(code: Int32) }

    public let inputRate: Int
    public let outputRate: Int
    /// Quality 0...10; 5 (speex's "desktop" preset) is transparent for telephone speech.
    public let quality: Int
    /// nil when the rates are equal: passthrough costs nothing and adds no latency.
    private let state: OpaquePointer?
    private var inputCount = 0
    private var outputCount = 0

    public init(inputRate: Int, outputRate: Int, quality: Int = 5) throws(Failure) {
        guard (1...384_000).contains(inputRate), (1...384_000).contains(outputRate) else {
            throw .invalidRates(input: inputRate, output: outputRate)
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.quality = min(max(quality, 0), 10)
        if inputRate == outputRate {
            state = nil
            return
        }
        var error: Int32 = 0
        guard let st = speex_resampler_init(1, UInt32(inputRate), UInt32(outputRate), Int32(self.quality), &error) else {
            throw .speex(code: error)
        }
        speex_resampler_skip_zeros(st)
        state = st
    }

    deinit {
        if let state { speex_resampler_destroy(state) }
    }

    /// Input samples speex holds back before the matching output can be computed (0 for passthrough).
    public var inputLatency: Int { state.map { Int(speex_resampler_get_input_latency($0)) } ?? 0 }

    /// Output length of a whole stream of `count` input samples (what `process` + `flush` return).
    public func outputCount(forInput count: Int) -> Int {
        (count * outputRate + inputRate / 2) / inputRate
    }

    /// Resamples the next chunk of the stream; returns whatever output is ready.
    public func process(_ samples: [Int16]) -> [Int16] {
        inputCount += samples.count
        guard let state else {
            outputCount += samples.count
            return samples
        }
        let produced = samples.withUnsafeBufferPointer { run(state, $0) }
        outputCount += produced.count
        return produced
    }

    /// End of stream: the remaining output, then the resampler is ready for a new stream.
    public func flush() -> [Int16] {
        defer { reset() }
        let target = outputCount(forInput: inputCount)
        guard let state, outputCount < target else { return [] }
        // Zeros push the last real samples through the filter; the excess is trimmed to `target`.
        let zeros = [Int16](repeating: 0, count: max(inputLatency, 1) + inputRate / outputRate + 1)
        var tail: [Int16] = []
        for _ in 0..<4 where outputCount + tail.count < target {   // one round suffices; bounded anyway
            tail += zeros.withUnsafeBufferPointer { run(state, $0) }
        }
        return Array(tail.prefix(target - outputCount))
    }

    /// Forgets the stream (filter memory and counters) without emitting anything.
    public func reset() {
        inputCount = 0
        outputCount = 0
        if let state {
            speex_resampler_reset_mem(state)
            speex_resampler_skip_zeros(state)
        }
    }

    /// Runs speex until it has consumed all of `input` (it stops early when the output buffer fills).
    private func run(_ state: OpaquePointer, _ input: UnsafeBufferPointer<Int16>) -> [Int16] {
        guard let base = input.baseAddress, !input.isEmpty else { return [] }
        let capacity = input.count * outputRate / inputRate + 16
        var out = [Int16](repeating: 0, count: capacity)
        var consumed = 0
        var produced = 0
        while consumed < input.count {
            if produced == out.count { out.append(contentsOf: repeatElement(0, count: capacity)) }
            var inLength = UInt32(input.count - consumed)
            var outLength = UInt32(out.count - produced)
            let code = out.withUnsafeMutableBufferPointer { buffer in
                speex_resampler_process_int(state, 0, base + consumed, &inLength, buffer.baseAddress! + produced, &outLength)
            }
            // Only bad arguments fail, and ours are always valid; stop rather than spin.
            guard code == Int32(RESAMPLER_ERR_SUCCESS) else { break }
            consumed += Int(inLength)
            produced += Int(outLength)
            if inLength == 0 && outLength == 0 { break }
        }
        out.removeLast(out.count - produced)
        return out
    }
}
