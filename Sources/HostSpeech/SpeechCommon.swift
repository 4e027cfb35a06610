import Foundation
import Synchronization

// HostSpeech: speech as capabilities. The audio loop talks to `SpeechSynthesizer` and
// `SpeechRecognizer` / `RecognitionSession` only, so a cloud provider is one more conforming type.
//
// Threading, for every engine in this module: engine calls run on a serial queue the engine
// owns, never on the caller's thread. Public methods only enqueue work (or do pure-Swift checks)
// and return at once; results come back through callbacks invoked on the engine's queue. A
// caller on an event loop hands them back to its loop (e.g. `EventLoop.execute`) and must not
// block inside a callback.

/// What can go wrong in a speech engine.
public enum SpeechError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The engine could not be initialised (library or data missing).
    case engineUnavailable(String)
    /// The synthesizer has no such voice.
    case unsupportedVoice(String)
    /// A model, dictionary or language-model file is missing or unreadable.
    case modelNotFound(String)
    /// The recognizer could not create a decoder for the session.
    case decoderCreationFailed(String)
    /// A grammar was rejected by the engine.
    case grammarRejected(name: String, reason: String)
    /// Words the engine has no pronunciation for.
    case outOfVocabulary([String])
    /// The session was closed before the request ran.
    case sessionClosed
    /// The engine failed while processing audio or text.
    case engineFailure(String)
    /// A file could not be written.
    case io(String)

    public var description: String {
        switch self {
        case .engineUnavailable(let why): return "speech engine unavailable: \(why)"
        case .unsupportedVoice(let voice): return "unsupported voice '\(voice)'"
        case .modelNotFound(let path): return "speech model not found: \(path)"
        case .decoderCreationFailed(let why): return "could not create a decoder: \(why)"
        case .grammarRejected(let name, let reason): return "grammar '\(name)' rejected: \(reason)"
        case .outOfVocabulary(let words): return "no pronunciation for: \(words.joined(separator: ", "))"
        case .sessionClosed: return "recognition session closed"
        case .engineFailure(let why): return "speech engine failure: \(why)"
        case .io(let why): return "speech I/O error: \(why)"
        }
    }
}

/// Monotonic seconds, for the timings the engines report.
@inline(__always)
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A directory under /tmp that lives as long as this object (language model and dictionary
/// files the engine reads when it creates a decoder).
final class ScratchDirectory: Sendable {
    let path: String

    init(prefix: String) throws(SpeechError) {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ text: String, to name: String) throws(SpeechError) -> String {
        let target = file(name)
        do {
            try text.write(toFile: target, atomically: true, encoding: .utf8)
        } catch {
            throw .io("writing \(target): \(error)")
        }
        return target
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
