import Foundation
import Host
import HostPlugins
import HostSpeech
import HostVoice

/// `agent-host-bench voice recognition [--eval FILE] [--voices slt,en-us,en-us+f3] [--profiles accurate,fast]
/// [--options "-ds=2 -topn=2"] [--list]`: what a `RecognitionProfile` costs and how well it hears.
///
/// The labelled utterances (`label<TAB>utterance`, default ../shared/eval/routing_dev.tsv, the
/// routing eval's set) are spoken by each voice (flite "slt", espeak-ng voices: the held-out
/// ones), then decoded by the reference tenant's recogniser built as `VoiceServices.offline`
/// builds it (its domain language model) with each profile's decoder options — or with
/// `--options` (flag=value pairs, for trying settings that are not a profile yet). One session
/// per voice hears every utterance in turn, as one long call does (the first utterance is
/// decoded twice, as a call's is). Prints per profile and voice: word error rate, utterances
/// recognised exactly, and the process's CPU seconds per second of speech decoded (the decode
/// is the only work while it is measured; the audio is synthesised first).
struct RecognitionBenchmark {
    struct Failure: Error, CustomStringConvertible { let description: String }

    func run() throws {
        let arguments = CommandLine.arguments
        func value(_ option: String) -> String? {
            arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let path = value("--eval") ?? "../shared/eval/routing_dev.tsv"
        let voices = value("--voices")?.split(separator: ",").map(String.init) ?? ["slt", "en-us", "en-us+f3"]
        let listing = arguments.contains("--list")
        var settings: [(name: String, options: [String: String])] = []
        for name in (value("--profiles") ?? (value("--options") == nil ? "accurate,fast" : "")).split(separator: ",") {
            guard let profile = RecognitionProfile(rawValue: String(name)) else {
                throw Failure(description: "--profiles: \"\(name)\" is not one of \(RecognitionProfile.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.append((profile.rawValue, profile.decoderOptions))
        }
        if let custom = value("--options") {
            var options: [String: String] = [:]
            for pair in custom.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw Failure(description: "--options: \"\(pair)\" is not flag=value (e.g. -ds=2)") }
                options[parts[0]] = parts[1]
            }
            settings.append(("options " + custom, options))
        }
        let items = try Self.load(path)
        let deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"),
                                             apiKey: "unused", configure: ReferenceDeployment.useCannedTools)
        defer { deployment.shutdown() }
        let model = try DomainLanguageModel.build(phrases: VoiceServices.phrases(for: deployment.tenant) + Backchannels.languageModelPhrases)
        print("agent-host-bench voice recognition: \(items.count) utterances (\(path)) x voices \(voices.joined(separator: ", "))")
        var audio: [String: [[Int16]]] = [:]
        for voice in voices {
            audio[voice] = try items.map { VoiceTestAudio.silence(300) + VoiceTestAudio.trimmed(try CallerAudioSynthesis.render($0.utterance, voice: voice)) + VoiceTestAudio.silence(300) }
        }
        print("setting | voice | WER | utterances exact | CPU s per speech s | speech s")
        for setting in settings {
            let recognizer = try PausedUtteranceBenchmark.wait {
                try await PocketSphinxRecognizer.make(languageModel: model, options: setting.options)
            }
            var total = Score()
            for voice in voices {
                let score = try Self.decode(audio[voice]!, items: items, recognizer: recognizer, listing: listing ? "\(setting.name)\t\(voice)" : nil)
                total.add(score)
                print(score.row("\(setting.name) | \(voice)"))
            }
            print(total.row("\(setting.name) | all"))
        }
    }

    struct Item { let label: String; let utterance: String }

    struct Score {
        var words = 0, errors = 0, exact = 0, utterances = 0
        var cpuSeconds = 0.0, speechSeconds = 0.0

        mutating func add(_ other: Score) {
            words += other.words; errors += other.errors; exact += other.exact; utterances += other.utterances
            cpuSeconds += other.cpuSeconds; speechSeconds += other.speechSeconds
        }

        func row(_ title: String) -> String {
            title + String(format: " | %.1f%% (%d / %d words) | %d / %d | %.4f | %.1f", Double(errors) / Double(max(words, 1)) * 100,
                   errors, words, exact, utterances, cpuSeconds / max(speechSeconds, 1e-9), speechSeconds)
        }
    }

    /// One session hears every utterance (fed 20 ms at a time, partials on as in a call).
    static func decode(_ clips: [[Int16]], items: [Item], recognizer: PocketSphinxRecognizer, listing: String?) throws -> Score {
        let session = recognizer.makeSession(onPartial: { _ in })
        defer { session.close() }
        var score = Score()
        let started = ProcessCPU.seconds(pid: getpid())
        for (clip, item) in zip(clips, items) {
            var offset = 0
            while offset < clip.count {
                session.accept(samples: Array(clip[offset..<min(offset + 320, clip.count)]))
                offset += 320
            }
            let box = TranscriptBox()
            let done = DispatchSemaphore(value: 0)
            session.finish { box.result = $0; done.signal() }
            guard done.wait(timeout: .now() + 120) == .success, let result = box.result else {
                throw Failure(description: "the recogniser gave no transcript within 120 s")
            }
            let heard = try result.get().text
            let errors = WordErrorRate(reference: item.utterance, hypothesis: heard)
            score.words += errors.referenceWords
            score.errors += errors.errors
            score.exact += errors.errors == 0 ? 1 : 0
            score.utterances += 1
            score.speechSeconds += Double(clip.count) / 16_000
            if let listing { print("\(listing)\t\(errors.errors)\t\(item.utterance)\theard: \(heard)") }
        }
        score.cpuSeconds = ProcessCPU.seconds(pid: getpid()) - started
        return score
    }

    static func load(_ path: String) throws -> [Item] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(description: "cannot read \(path) (label<TAB>utterance lines; --eval FILE)")
        }
        return text.split(separator: "\n").dropFirst(text.hasPrefix("label\t") ? 1 : 0).compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return parts.count == 2 ? Item(label: parts[0], utterance: parts[1]) : nil
        }
    }
}

/// Written by the session's queue before the semaphore is signalled, read after.
private final class TranscriptBox: @unchecked Sendable {
    var result: Result<Transcript, SpeechError>?
}
