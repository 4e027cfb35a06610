import Foundation

/// Mono PCM16 audio read from a WAV file.
public struct WAVAudio: Sendable, Equatable {
    public var samples: [Int16]
    public var sampleRate: Int

    public init(samples: [Int16], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    public var seconds: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }
}

/// RIFF/WAVE files for the `call` command and benchmarks: reads 16-bit PCM (any rate, any number of
/// channels, averaged down to mono) and G.711 µ-law (format 7, what phone systems record); writes
/// 16-bit PCM mono. Everything else is refused with a message saying how to convert the file.
/// Whole-file work: never call it from an event loop's thread.
public enum WAVFile {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The file could not be read or written (missing, permissions).
        case io(path: String, reason: String)
        /// The bytes are not RIFF/WAVE at all.
        case notWAV(path: String)
        /// A WAV whose encoding we do not decode; `encoding` says what it is.
        case unsupported(path: String, encoding: String)
        /// A WAV cut short or with inconsistent headers.
        case malformed(path: String, reason: String)

        public var description: String {
            switch self {
            case let .io(path, reason): return "cannot access \(path): \(reason)"
            case let .notWAV(path): return "\(path) is not a WAV file (no RIFF/WAVE header); convert it: sox in.mp3 -b 16 -c 1 out.wav"
            case let .unsupported(path, encoding):
                return "\(path) is \(encoding) WAV; convert it to 16-bit PCM: sox in.wav -b 16 out.wav"
            case let .malformed(path, reason): return "\(path) is a damaged WAV file: \(reason)"
            }
        }
    }

    static let pcmFormat: UInt16 = 1
    static let floatFormat: UInt16 = 3
    static let aLawFormat: UInt16 = 6
    static let muLawFormat: UInt16 = 7
    static let extensibleFormat: UInt16 = 0xFFFE

    /// Reads and decodes the file at `path`.
    public static func read(path: String) throws(Failure) -> WAVAudio {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw .io(path: path, reason: reason)
        }
        return try decode([UInt8](data), name: path)
    }

    /// Writes `samples` (mono PCM16 at `sampleRate`) as a canonical 44-byte-header WAV file.
    public static func write(_ audio: WAVAudio, to path: String) throws(Failure) {
        guard FileManager.default.createFile(atPath: path, contents: Data(encode(audio))) else {
            throw .io(path: path, reason: "cannot create the file")
        }
    }

    /// The bytes of a mono PCM16 WAV file.
    public static func encode(_ audio: WAVAudio) -> [UInt8] {
        let dataBytes = audio.samples.count * 2
        var out: [UInt8] = []
        out.reserveCapacity(44 + dataBytes)
        out += Array("RIFF".utf8); out += le32(36 + dataBytes); out += Array("WAVE".utf8)
        out += Array("fmt ".utf8); out += le32(16)
        out += le16(Int(pcmFormat)); out += le16(1)                       // PCM, mono
        out += le32(audio.sampleRate); out += le32(audio.sampleRate * 2)  // sample rate, byte rate
        out += le16(2); out += le16(16)                                   // block align, bits
        out += Array("data".utf8); out += le32(dataBytes)
        out += PCM16.littleEndianBytes(audio.samples)
        return out
    }

    /// Decodes WAV bytes; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(Failure) -> WAVAudio {
        guard bytes.count >= 12, tag(bytes, 0) == "RIFF", tag(bytes, 8) == "WAVE" else { throw .notWAV(path: name) }
        var format: Format?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = tag(bytes, offset)
            let size = Int(u32(bytes, offset + 4))
            let body = offset + 8
            if id == "fmt " {
                guard size >= 16, body + size <= bytes.count else { throw .malformed(path: name, reason: "the format chunk is cut short") }
                format = try Format(bytes, at: body, size: size, name: name)
            } else if id == "data" {
                guard let format else { throw .malformed(path: name, reason: "audio data comes before the format chunk") }
                // Streaming writers leave the size at 0 or 0xFFFFFFFF: "up to the end of the file".
                let unknownLength = size == 0 || size == 0xFFFF_FFFF
                guard unknownLength || body + size <= bytes.count else {
                    throw .malformed(path: name, reason: "its data chunk promises \(size) bytes but only \(bytes.count - body) are there (truncated?)")
                }
                let end = unknownLength ? bytes.count : body + size
                return WAVAudio(samples: format.monoSamples(bytes[body..<end]), sampleRate: format.sampleRate)
            }
            offset = body + size + (size & 1)   // chunks are padded to an even length
        }
        throw .malformed(path: name, reason: format == nil ? "no format chunk (truncated?)" : "no data chunk (truncated?)")
    }

    /// The `fmt ` chunk, checked.
    struct Format {
        let muLaw: Bool
        let channels: Int
        let sampleRate: Int

        init(_ bytes: [UInt8], at body: Int, size: Int, name: String) throws(Failure) {
            var code = u16(bytes, body)
            channels = Int(u16(bytes, body + 2))
            sampleRate = Int(u32(bytes, body + 4))
            let bits = Int(u16(bytes, body + 14))
            // WAVE_FORMAT_EXTENSIBLE keeps the real format code in its sub-format GUID's first two bytes.
            if code == extensibleFormat {
                guard size >= 40 else { throw .malformed(path: name, reason: "the extensible format chunk is cut short") }
                code = u16(bytes, body + 24)
            }
            guard channels >= 1 else { throw .malformed(path: name, reason: "it declares \(channels) channels") }
            guard (1_000...384_000).contains(sampleRate) else { throw .malformed(path: name, reason: "it declares a sample rate of \(sampleRate) Hz") }
            switch (code, bits) {
            case (pcmFormat, 16): muLaw = false
            case (muLawFormat, 8): muLaw = true
            case (pcmFormat, _): throw .unsupported(path: name, encoding: "\(bits)-bit PCM")
            case (floatFormat, _): throw .unsupported(path: name, encoding: "\(bits)-bit float")
            case (aLawFormat, _): throw .unsupported(path: name, encoding: "A-law")
            case (muLawFormat, _): throw .unsupported(path: name, encoding: "\(bits)-bit µ-law")
            default: throw .unsupported(path: name, encoding: "format-\(code) (compressed)")
            }
        }

        /// Decoded samples, channels averaged into one; a trailing partial frame is ignored.
        func monoSamples(_ data: ArraySlice<UInt8>) -> [Int16] {
            let decoded = muLaw ? MuLaw.decode(data) : PCM16.samples(littleEndian: data)
            guard channels > 1 else { return decoded }
            let frames = decoded.count / channels
            var mono = [Int16](repeating: 0, count: frames)
            for frame in 0..<frames {
                var sum = 0
                for channel in 0..<channels { sum += Int(decoded[frame * channels + channel]) }
                mono[frame] = Int16(sum / channels)
            }
            return mono
        }
    }

    private static func tag(_ bytes: [UInt8], _ offset: Int) -> String {
        String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
    }

    private static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(u16(bytes, offset)) | UInt32(u16(bytes, offset + 2)) << 16
    }

    private static func le16(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }
    private static func le32(_ value: Int) -> [UInt8] { le16(value) + le16(value >> 16) }
}
