import HostAudio

/// A call's audio as it travels on one channel's wire (docs/protocol.md §2 `start`; Twilio Media
/// Streams): the encoding and the rate. Checked once, when the channel says what it sends.
package struct CallAudioFormat: Equatable, Sendable, CustomStringConvertible {
    package enum Encoding: String, Sendable { case pcm16, mulaw }

    package let encoding: Encoding
    package let sampleRate: Int

    /// The rates a voice socket may ask for; the speech pipeline runs at 16 kHz.
    package static let sampleRates = [8_000, 16_000, 24_000]
    /// A voice socket's format until its `start` says otherwise.
    package static let voiceSocketDefault = CallAudioFormat(.pcm16, 16_000)
    /// Twilio Media Streams: mu-law at 8 kHz, always.
    package static let twilio = CallAudioFormat(.mulaw, 8_000)

    private init(_ encoding: Encoding, _ sampleRate: Int) {
        self.encoding = encoding
        self.sampleRate = sampleRate
    }

    /// A client's `start`: `sample_rate` 8000/16000/24000, `encoding` "pcm16" or "mulaw".
    package init(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        guard Self.sampleRates.contains(sampleRate) else { throw .badStart("sample_rate must be 8000, 16000 or 24000 (got \(sampleRate))") }
        guard let known = Encoding(rawValue: encoding) else { throw .badStart("encoding must be pcm16 or mulaw (got \(encoding))") }
        self.init(known, sampleRate)
    }

    package var description: String { "\(encoding.rawValue) at \(sampleRate) Hz" }
}

/// The one place where a channel's bytes become the PCM16 samples a call works on, and back
/// (Pipecat's frame serializers): inbound wire bytes (chunks of any size; a PCM16 chunk may end
/// mid-sample, the byte waits for the next) are decoded and resampled to `outputRate` (16 kHz,
/// the speech pipeline's; a Realtime model may ask for its own). Owned by the transport, so the
/// call never knows the wire. Stateful (the odd byte, the resampler's filter): one per stream.
package struct CallAudioCodec {
    package let format: CallAudioFormat
    package let outputRate: Int
    private var pcm = PCM16Decoder()
    private let resampler: Resampler?

    package init(format: CallAudioFormat, outputRate: Int = 16_000) throws(Resampler.Failure) {
        self.format = format
        self.outputRate = outputRate
        resampler = format.sampleRate == outputRate ? nil : try Resampler(inputRate: format.sampleRate, outputRate: outputRate)
    }

    /// Inbound: wire bytes to PCM16 samples at `outputRate`.
    package mutating func decode(_ bytes: [UInt8]) -> [Int16] {
        let samples = format.encoding == .mulaw ? MuLaw.decode(bytes) : pcm.decode(bytes)
        return resampler?.process(samples) ?? samples
    }

    /// Outbound: one frame of PCM16 samples (already at the wire's rate) to wire bytes.
    package static func encode(_ frame: ArraySlice<Int16>, as encoding: CallAudioFormat.Encoding) -> [UInt8] {
        encoding == .mulaw ? MuLaw.encode(frame) : PCM16.littleEndianBytes(frame)
    }
}

/// A transport's inbound side: the codec for the rate its call asks for, made at the first audio
/// (a fallback from Realtime to the cascaded pipeline asks for another rate: a new stream).
package struct CallAudioInbound {
    package private(set) var format: CallAudioFormat
    private var codec: CallAudioCodec?

    package init(format: CallAudioFormat) { self.format = format }

    /// Whether audio has arrived (the format is then fixed).
    package var started: Bool { codec != nil }

    /// A voice socket's `start`: before any audio only.
    package mutating func configure(sampleRate: Int, encoding: String) throws(VoiceCallError) {
        guard !started else { throw .badStart("start must come before any audio") }
        format = try CallAudioFormat(sampleRate: sampleRate, encoding: encoding)
    }

    package mutating func decode(_ bytes: [UInt8], at rate: Int) -> [Int16] {
        if codec?.outputRate != rate {
            // The format's rates are checked and speex takes any positive pair: this cannot fail.
            codec = try? CallAudioCodec(format: format, outputRate: rate)
        }
        return codec?.decode(bytes) ?? []
    }
}
