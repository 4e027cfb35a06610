import Foundation
import HostSpeech
import XCTest

/// Shared, lazily built engines (building the LM and the recognizer once keeps the suite fast).
enum SpeechFixtures {
    static let flite = FliteSynthesizer()

    static let domainModel = Task { () throws -> DomainLanguageModel in
        try DomainLanguageModel.build(phrases: SupportPhrases.all)
    }

    static let domainRecognizer = Task { () throws -> PocketSphinxRecognizer in
        try await PocketSphinxRecognizer.make(languageModel: try await domainModel.value)
    }

    /// flite audio for `text`, cached (16 kHz).
    static func speech(_ text: String) async throws -> [Int16] {
        if let cached = cache.withLock({ $0[text] }) { return cached }
        let samples = try await flite.synthesizeAll(text: text).samples
        cache.withLock { $0[text] = samples }
        return samples
    }

    private static let cache = LockedDictionary()
}

final class LockedDictionary: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String: [Int16]] = [:]
    func withLock<R>(_ body: (inout [String: [Int16]]) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&storage)
    }
}

/// Feeds `samples` to a session the way the audio loop does (20 ms frames, with 300 ms of
/// silence either side) and returns the transcript.
func recognize(_ samples: [Int16], with session: RecognitionSession, sampleRate: Int = 16_000) async throws -> Transcript {
    let silence = [Int16](repeating: 0, count: sampleRate * 3 / 10)
    let audio = silence + samples + silence
    let frame = sampleRate / 50
    var offset = 0
    while offset < audio.count {
        session.accept(samples: Array(audio[offset..<min(offset + frame, audio.count)]))
        offset += frame
    }
    return try await session.finish()
}

/// Resident memory of this process in MB (for decoder cost).
func residentMegabytes() -> Double {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
