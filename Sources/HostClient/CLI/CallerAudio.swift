import Foundation
import HostAudio
import HostSpeech

/// What `agent-host call` says to the host: a WAV file or words synthesised with flite, at a rate
/// the voice WebSocket takes (8, 16 or 24 kHz; anything else is resampled to 16 kHz).
enum CallerAudio {
    /// Rates docs/protocol.md §2 lets a client announce in its `start` message.
    static let wireRates = [8_000, 16_000, 24_000]

    /// The caller's audio from `--wav FILE` or `--say TEXT` (exit code 2 when the file is unusable).
    static func load(wav: String?, say: String?) throws(LocalChat.Failure) -> WAVAudio {
        if let wav {
            do { return try onWireRate(WAVFile.read(path: wav)) } catch { throw LocalChat.Failure(description: error.description, exitCode: 2) }
        }
        guard let say else { throw LocalChat.Failure(description: "call needs --wav FILE or --say TEXT", exitCode: 2) }
        do {
            // Half a second of room tone first, as a phone line has, so the VAD hears the onset.
            let speech = try synthesize(say)
            return WAVAudio(samples: [Int16](repeating: 0, count: speech.sampleRate / 2) + speech.samples, sampleRate: speech.sampleRate)
        } catch {
            throw LocalChat.Failure(description: "cannot synthesise --say text: \(error)", exitCode: 1)
        }
    }

    /// Resamples to 16 kHz unless the file is already at a rate the host takes as is.
    static func onWireRate(_ audio: WAVAudio) -> WAVAudio {
        guard !wireRates.contains(audio.sampleRate), let resampler = try? Resampler(inputRate: audio.sampleRate, outputRate: 16_000) else {
            return audio
        }
        return WAVAudio(samples: resampler.process(audio.samples) + resampler.flush(), sampleRate: 16_000)
    }

    /// Renders `text` with flite (16 kHz), blocking the calling (main) thread.
    static func synthesize(_ text: String) throws(SpeechError) -> WAVAudio {
        let box = SynthesisBox()
        let done = DispatchSemaphore(value: 0)
        let synthesizer = FliteSynthesizer()
        Task {
            do throws(SpeechError) { box.result = .success(try await synthesizer.synthesizeAll(text: text).samples) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return WAVAudio(samples: try box.result!.get(), sampleRate: synthesizer.sampleRate)
    }
}

private final class SynthesisBox: @unchecked Sendable {
    // @unchecked: written once before the semaphore is signalled, read after.
    var result: Result<[Int16], SpeechError>?
}
