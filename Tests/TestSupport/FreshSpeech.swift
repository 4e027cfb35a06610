import Foundation
import HostAudio

/// Synthesised caller audio that does not depend on what ran before it in this process.
///
/// espeak-ng keeps state from one rendering to the next (the same text said twice differs from its
/// 26th sample on; after other text even its length changes), and nothing in its API resets it.
/// A test that synthesised in-process therefore heard whatever the tests before it had rendered —
/// tests that passed alone failed now and then in the whole suite. Here each text is rendered by a
/// fresh `agent-host-bench speak` process, so it is always its first rendering: the same samples
/// in every run, in any order (docs/testing.md, "Synthesised audio in tests").
public enum FreshSpeech {
    /// `text` in `voice` (an espeak-ng voice such as "en-us", or flite's "slt"), 16 kHz mono.
    /// Cached per voice and text for the life of the test process.
    public static func samples(_ text: String, voice: String = "en-us") throws -> [Int16] {
        let key = "\(voice)\u{1F}\(text)"
        if let cached = cache.mutate({ $0[key] }) { return cached }
        let samples = try render(text, voice: voice)
        cache.mutate { $0[key] = samples }
        return samples
    }

    /// `samples` without the cache: a new process every time.
    public static func render(_ text: String, voice: String = "en-us") throws -> [Int16] {
        let directory = TemporaryDirectory(prefix: "fresh-speech")
        let path = directory.file("utterance.wav")
        let result = try ProcessRunner.run(BuildProducts.path("agent-host-bench"), ["speak", "--voice", voice, "--out", path, text],
                                           timeoutSeconds: 60)
        guard result.status == 0 else {
            throw FreshSpeechError(description: "agent-host-bench speak \"\(text)\" (\(voice)) exited \(result.status): \(result.stderr)")
        }
        let audio = try WAVFile.read(path: path)
        guard audio.sampleRate == 16_000, !audio.samples.isEmpty else {
            throw FreshSpeechError(description: "agent-host-bench speak \"\(text)\" (\(voice)) wrote \(audio.samples.count) samples at \(audio.sampleRate) Hz")
        }
        return audio.samples
    }

    private static let cache = LockedBox<[String: [Int16]]>([:])
}

public struct FreshSpeechError: Error, CustomStringConvertible {
    public let description: String
}
