import Foundation
import Host
import HostAudio
import HostPlugins
import HostSpeech
import HostVoice

/// `agent-host-bench voice turns [--voices slt,en-us,...] [--list] [--write DIR] [--no-prosody] [--segments-apart]`: semantic turn detection on the labelled set
/// `bench/paused-utterances.tsv` — premature cuts (a paused request ended at a pause), late cuts
/// (a complete request that waited for the maximum silence), backchannels that would stop the
/// agent and requests that would not, and the end-of-turn model's cost.
///
/// Each utterance is spoken by each voice — flite's "slt" and espeak-ng voices (`--voices`; noises
/// are made once) — a paused one as one sentence with the silence cut in at word ends
/// (`PausedUtteranceAudio`; `--segments-apart`: each piece its own sentence), 300 ms of silence
/// before and 1.5 s after, and
/// run through the production pieces in-process on stream time: the energy VAD and
/// `SemanticTurnDetector`, a pocketsphinx session of the reference tenant's recogniser (from its
/// warm pool), its `TurnCompletionModel`, and `PlaybackOverlap` for what is said over the agent.
/// The recogniser's hypothesis is awaited where a call would get it a few ms later, so decisions
/// are the call's, not its timing. Figures are printed per voice (the espeak-ng voices are the
/// held-out part: nothing was tuned on them) and for all voices. `--list` prints one line per
/// utterance (what was heard, where the turn ended, and a trace of every hypothesis judged at a
/// pause or heard over the agent) so two runs can be diffed and errors classified; `--replay
/// LISTING...` re-decides such a listing with the current rules (`TurnDecisionReplay`);
/// `--no-prosody` lets the words alone decide (no `TurnProsody`); `--write DIR`
/// also writes each utterance as a WAV file.
struct PausedUtteranceBenchmark {
    struct Item {
        let label: String
        let segments: [String]
        let pauses: [Int]
    }

    func run() throws {
        let items = try Self.load()
        let voices = Self.voices()
        let listing = CommandLine.arguments.contains("--list")
        let segmentsApart = CommandLine.arguments.contains("--segments-apart")
        let writeDirectory = CommandLine.arguments.firstIndex(of: "--write").flatMap { $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil }
        let deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"),
                                             apiKey: "unused", configure: ReferenceDeployment.useCannedTools)
        defer { deployment.shutdown() }
        if let index = CommandLine.arguments.firstIndex(of: "--replay") {
            // The tenant's completeness model as VoiceServices builds it, without recognisers.
            let phrases = VoiceServices.phrases(for: deployment.tenant)
            var model = TurnCompletionModel.train(completeExamples: phrases)
            model.languageFit = LanguageFit(model: try DomainLanguageModel.build(phrases: phrases + Backchannels.languageModelPhrases))
            if let minimum = ProcessInfo.processInfo.environment["BENCH_MIN_FIT"].flatMap(Double.init) { model.languageFit?.minimumMeanLogProbability = minimum }
            if ProcessInfo.processInfo.environment["BENCH_NO_FIT"] != nil { model.languageFit = nil }
            let prosody = CommandLine.arguments.contains("--no-prosody") ? nil : Self.prosody()
            return try TurnDecisionReplay(model: model, prosody: prosody).run(listings: CommandLine.arguments[(index + 1)...].filter { !$0.hasPrefix("--") })
        }
        let services = try Self.wait { try await VoiceServices.offline(tenants: [deployment.tenant], recognition: BenchRecognition.profiles(tenant: deployment.tenant.id)) }
        guard let recognizer = services.recognizers[deployment.tenant.id] as? PocketSphinxRecognizer,
              let model = services.turnModels[deployment.tenant.id] else { throw ServerBenchmark.Failure(description: "no offline recogniser") }
        recognizer.waitForWarmPool()
        var settings = SemanticTurnSettings()
        // `--no-prosody`: the words alone decide, as before the voice was read (the figures before).
        settings.prosody = !CommandLine.arguments.contains("--no-prosody")
        let prosody = settings.prosody ? Self.prosody() : nil
        print("agent-host-bench voice turns: \(items.count) labelled utterances (bench/paused-utterances.tsv) x voices \(voices.joined(separator: ", ")) (noises once), semantic \(settings.minimumSilenceMilliseconds) / \(settings.maximumSilenceMilliseconds) ms, prosody \(prosody.map { "on (\($0))" } ?? "off"), recognition \(BenchRecognition.description)")
        print(String(format: "completeness model: trained at tenant load on %d complete + %d generated incomplete examples in %.1f ms (training accuracy %.1f%%)",
                     model.report.complete, model.report.incomplete, model.report.seconds * 1000, model.report.trainingAccuracy * 100))

        var tallies: [String: Tally] = [:]
        var hypothesisSeconds: [Double] = [], hearingSeconds: [Double] = []
        var cutChecks: [PausedUtteranceAudio.CutCheck] = []
        let runs = voices.flatMap { voice in items.filter { $0.label != "noise" || voice == voices[0] }.map { (voice, $0) } }
        for (index, (voice, item)) in runs.enumerated() {
            var tally = tallies[voice] ?? Tally()
            defer { tallies[voice] = tally }
            tally.counts[item.label, default: 0] += 1
            let made = try PausedUtteranceAudio.make(item, voice: voice, segmentsApart: segmentsApart)
            let audio = made.samples, segmentEnds = made.segmentEnds
            cutChecks += made.cutChecks
            if let writeDirectory {
                try FileManager.default.createDirectory(atPath: writeDirectory, withIntermediateDirectories: true)
                try WAVFile.write(WAVAudio(samples: audio, sampleRate: 16_000), to: "\(writeDirectory)/\(String(format: "%03d", index))-\(voice)-\(item.label).wav")
            }
            let result = Self.detect(audio, recognizer: recognizer, model: model, settings: settings, overAgent: ["backchannel", "noise", "request"].contains(item.label), prosody: prosody,
                                     hypothesisSeconds: &hypothesisSeconds, hearingSeconds: &hearingSeconds)
            let text = item.segments.joined(separator: " … ")
            if listing {
                // One line per utterance: what was heard and where the turn ended, to diff two runs.
                let cuts = made.cutChecks.map { String(format: "%@ %.0f dB (quietest %.0f dB at %+d ms)", $0.word, $0.levelDecibels, $0.quietestDecibels, $0.quietestOffsetMilliseconds) }
                print(String(format: "%03d", index) + "\t\(voice)\t\(item.label)\t\(text)\tcuts: \(cuts.isEmpty ? "-" : cuts.joined(separator: ", "))\tstops \(result.stops.map { $0 / 16 })\tended on: \(result.endedOn ?? "-")\theard: \(result.heard)\tstopped agent: \(result.stoppedAgent)\ttrace: \(result.trace.joined(separator: " ; "))")
            }
            switch item.label {
            case "paused", "complete":
                // Premature: a turn ended before the last segment was spoken.
                if result.stops.contains(where: { $0 < segmentEnds.last! }) { tally.premature.append(text + " (ended on: \(result.endedOn ?? "?"))") }
                if let stop = result.stops.first(where: { $0 >= segmentEnds.last! }) {
                    let ms = Double(stop - segmentEnds.last!) / 16
                    tally.decided.append(ms)
                    if ms >= Double(settings.maximumSilenceMilliseconds) - 40 { tally.late.append(text + " (heard: \(result.transcript))") }
                }
            case "backchannel":
                if result.stoppedAgent { tally.stopsOnBackchannel.append(text + " (heard: \(result.heard))") }
            case "noise":
                if result.stoppedAgent { tally.noiseStops.append(text + " (heard: \(result.heard))") }
            default:
                if !result.stoppedAgent { tally.missedRequests.append(text + " (heard: \(result.heard))") }
            }
        }
        PausedUtteranceAudio.reportCuts(cutChecks, segmentsApart: segmentsApart)
        for voice in voices { tallies[voice]?.report(title: "voice \(voice)", settings: settings, details: true) }
        tallies.values.reduce(into: Tally()) { $0.add($1) }.report(title: "all voices", settings: settings, details: false)
        Self.modelCost(model, hypothesisSeconds: hypothesisSeconds)
        try Self.prosodyCost(prosody ?? .standard)
        let hearing = hearingSeconds.sorted()
        if !hearing.isEmpty {
            print(String(format: "over the agent, hypothesis + second opinion (overlap grammar on the audio so far): p50 %.2f ms, p95 %.2f ms (%d asked)",
                         hearing[hearing.count / 2] * 1000, hearing[min(hearing.count - 1, hearing.count * 95 / 100)] * 1000, hearing.count))
        }
    }

    /// One voice's (or all voices') decisions.
    struct Tally {
        var premature: [String] = [], late: [String] = [], stopsOnBackchannel: [String] = [], noiseStops: [String] = [], missedRequests: [String] = []
        var decided: [Double] = []
        var counts: [String: Int] = [:]

        mutating func add(_ other: Tally) {
            premature += other.premature
            late += other.late
            stopsOnBackchannel += other.stopsOnBackchannel
            noiseStops += other.noiseStops
            missedRequests += other.missedRequests
            decided += other.decided
            counts.merge(other.counts, uniquingKeysWith: +)
        }

        func report(title: String, settings: SemanticTurnSettings, details: Bool) {
            let spoken = (counts["paused"] ?? 0) + (counts["complete"] ?? 0)
            func rate(_ n: Int, _ of: Int) -> String { String(format: "%d / %d (%.1f%%)", n, of, of > 0 ? Double(n) / Double(of) * 100 : 0) }
            print("\(title):")
            print("  premature cuts (a turn ended inside a paused or whole request): " + rate(premature.count, spoken))
            print("  late cuts (a complete request waited for the maximum silence):   " + rate(late.count, spoken))
            print("  backchannels that stopped the agent:                             " + rate(stopsOnBackchannel.count, counts["backchannel"] ?? 0))
            if let noises = counts["noise"] { print("  noises that stopped the agent:                                   " + rate(noiseStops.count, noises)) }
            print("  requests over the agent that did not stop it:                   " + rate(missedRequests.count, counts["request"] ?? 0))
            let sorted = decided.sorted()
            if !sorted.isEmpty {
                print(String(format: "  end of speech -> turn decided (stream time): p50 %.0f ms, p95 %.0f ms over %d requests",
                             sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 95 / 100)], sorted.count))
            }
            guard details else { return }
            for (title, list) in [("premature", premature), ("late", late), ("backchannel stops", stopsOnBackchannel), ("noise stops", noiseStops), ("missed requests", missedRequests)] where !list.isEmpty {
                print("    \(title): " + list.joined(separator: "; "))
            }
        }
    }

    /// The production rule, its thresholds overridable for tuning (`BENCH_FALL_ST`, `BENCH_FADE_DB`,
    /// `BENCH_PROSODY_TAIL` ms, `BENCH_RISE_ST` and `BENCH_EXPRESSIVE_FALL_ST` for a voice that moves its pitch).
    static func prosody() -> TurnProsody {
        var prosody = TurnProsody.standard
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["BENCH_FALL_ST"].flatMap(Double.init) { prosody.fallSemitones = value }
        if let value = environment["BENCH_FADE_DB"].flatMap(Double.init) { prosody.fadeDecibels = value }
        if let value = environment["BENCH_PROSODY_TAIL"].flatMap(Int.init) { prosody.tailMilliseconds = value }
        if let value = environment["BENCH_RISE_ST"].flatMap(Double.init) { prosody.expressiveRiseSemitones = value }
        if let value = environment["BENCH_EXPRESSIVE_FALL_ST"].flatMap(Double.init) { prosody.expressiveFallSemitones = value }
        return prosody
    }

    /// `--voices slt,en-us,...`: flite's voice ("slt") and espeak-ng voices (any name espeak
    /// accepts, "en-us+f3" for a variant). Each labelled utterance is spoken by each voice.
    static let defaultVoices = ["slt", "en-us", "en-us+f3"]
    static func voices() -> [String] {
        guard let index = CommandLine.arguments.firstIndex(of: "--voices"), index + 1 < CommandLine.arguments.count else { return defaultVoices }
        return CommandLine.arguments[index + 1].split(separator: ",").map(String.init)
    }

    /// Non-speech said over the agent, made here (flite has no cough): the same every run.
    /// "cough": a 180 ms decaying noise burst; "click": five 2 ms clicks 80 ms apart; "breath":
    /// 450 ms of quiet noise swelling and fading.
    static func noise(_ kind: String) throws -> [Int16] {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(kind.utf8.reduce(0) { $0 &* 31 &+ Int($1) })
        func random() -> Double {  // splitmix64 in -1...1
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double(z ^ (z >> 31)) / Double(UInt64.max) * 2 - 1
        }
        switch kind {
        case "cough":
            return (0..<(16 * 180)).map { i in Int16(random() * 9_000 * exp(-Double(i) / 1_600)) }
        case "click":
            return (0..<5).flatMap { _ in (0..<32).map { i in Int16(random() * 12_000 * exp(-Double(i) / 6)) } + VoiceTestAudio.silence(78) }
        case "breath":
            let count = 16 * 450
            return (0..<count).map { i in Int16(random() * 1_500 * sin(Double.pi * Double(i) / Double(count))) }
        default:
            throw ServerBenchmark.Failure(description: "bench/paused-utterances.tsv: unknown noise \"\(kind)\" (cough, click, breath)")
        }
    }

    struct Detection {
        /// What the recogniser heard, with the overlap grammar's second opinion when it gave one.
        var heard: String { transcript + (secondOpinion.map { " / second opinion: \($0)" } ?? "") }
        var stops: [Int] = []
        var transcript = ""
        var secondOpinion: String?
        /// The hypothesis a pause was judged complete on (nil: the maximum silence ended the turn).
        var endedOn: String?
        var stoppedAgent = false
        /// Every question asked on the way, in order (for `--list`): at a pause, the hypothesis and
        /// the verdict ("c" complete, "i" not); over the agent, the hypothesis and second opinion.
        var trace: [String] = []
    }

    /// One utterance through VAD + semantic detector + recogniser (+ overlap policy over the agent).
    static func detect(_ audio: [Int16], recognizer: PocketSphinxRecognizer, model: TurnCompletionModel, settings: SemanticTurnSettings,
                       overAgent: Bool, prosody: TurnProsody?, hypothesisSeconds: inout [Double], hearingSeconds: inout [Double]) -> Detection {
        // Every utterance gets a warm decoder, as a call does when the pool keeps up with the call
        // rate: on a loaded machine the refill lags one utterance a second, and a cold decoder
        // hears differently (its first utterance is decoded again after adapting), which made the
        // counts depend on the machine's load rather than on the turn detection.
        recognizer.waitForWarmPool()
        let session = recognizer.makeSession()
        defer { session.close() }
        var detector = SemanticTurnDetector(semantic: settings)
        var overlap = PlaybackOverlap(backchannels: Backchannels())
        var result = Detection()
        func hypothesis() -> String? {
            let started = DispatchTime.now().uptimeNanoseconds
            let box = ResultBox<String?>()
            let done = DispatchSemaphore(value: 0)
            session.currentHypothesis { box.value = $0; done.signal() }
            done.wait()
            hypothesisSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            return box.value ?? nil
        }
        func hearing() -> (String?, String?) {
            let started = DispatchTime.now().uptimeNanoseconds
            let box = ResultBox<(String?, String?)>()
            let done = DispatchSemaphore(value: 0)
            session.hearingOverAgent { box.value = ($0, $1); done.signal() }
            done.wait()
            hearingSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            return box.value ?? (nil, nil)
        }
        func finished(_ stop: Int) {
            result.stops.append(stop)
            let box = ResultBox<Transcript?>()
            let done = DispatchSemaphore(value: 0)
            session.finish { box.value = try? $0.get(); done.signal() }
            done.wait()
            let transcript = box.value ?? nil
            result.transcript = transcript?.text ?? ""
            result.secondOpinion = transcript?.secondOpinion
            if overAgent, overlap.finished(transcript: result.transcript, secondOpinion: result.secondOpinion).bargeIn { result.stoppedAgent = true }
        }
        var sample = 0
        for start in stride(from: 0, to: audio.count - 320, by: 320) {
            let frame = Array(audio[start..<start + 320])
            sample = start + 320
            let wasSpeaking = detector.isSpeaking
            let output = detector.process(frame)
            if wasSpeaking, detector.isSpeaking {
                session.accept(samples: frame)
                if overAgent, detector.trailingSilenceMilliseconds == 0, let action = overlap.frame() {
                    let next: PlaybackOverlap.Action?
                    if action == .askHypothesis {
                        let (heard, secondOpinion) = hearing()
                        next = overlap.heard(hypothesis: heard, secondOpinion: secondOpinion)
                        result.trace.append("hear \(heard ?? "-") | \(secondOpinion ?? "-")\(next == .bargeIn ? " STOP" : "")")
                    } else {
                        next = action
                    }
                    if next == .bargeIn { result.stoppedAgent = true }
                }
            }
            switch output {
            case .judge(let id)?:
                // Over the agent the pause is read with the grammar's second opinion, as a call reads
                // it (VoiceCall.judge): the final transcript must agree with it (`PlaybackOverlap.paused`).
                let (text, pauseOpinion): (String?, String?) = overAgent ? hearing() : (hypothesis(), nil)
                if overAgent { overlap.paused(hypothesis: text, secondOpinion: pauseOpinion) }
                let tail = detector.utteranceTail(milliseconds: (prosody ?? .standard).tailMilliseconds)
                let verdict = TurnVerdict.judge(text, model: model, grammar: nil, backchannels: overAgent ? Backchannels() : nil, prosody: prosody, tail: tail)
                let complete = verdict == .complete
                let contour = Voicing.contour(tail[...]).map { String(format: " [pitch %+.1f st/s, level %.1f dB, run %d ms, final %+.1f st, runs %d ms, rise %.1f st]", $0.pitchSlope, $0.finalLevelDecibels, $0.lastVoicedRunMilliseconds, $0.finalPitchSemitones, $0.medianVoicedRunMilliseconds, $0.pitchRiseSemitones) } ?? " [unvoiced]"
                result.trace.append("pause \(text ?? "-") \(verdict == .held ? "h" : complete ? "c" : "i")" + (pauseOpinion.map { " | \($0)" } ?? "") + contour)
                if case .speechStopped(_, _)? = detector.judged(id: id, complete: complete) {
                    if result.endedOn == nil { result.endedOn = text }
                    finished(sample)
                }
            case .event(.speechStarted)?:
                session.accept(samples: detector.utteranceSoFar)
                if overAgent {
                    overlap.started()
                    session.judgeOverAgent()
                }
            case .event(.speechStopped)?:
                session.accept(samples: frame)
                finished(sample)
            case nil:
                break
            }
        }
        return result
    }

    /// What one decision costs: the model alone (µs), and the recogniser's mid-utterance hypothesis.
    static func modelCost(_ model: TurnCompletionModel, hypothesisSeconds: [Double]) {
        let samples = ["i need a refund for order one two three four five", "i have a question about", "my order number is one two",
                       "what is your shipping policy", "um", "i was charged twice for my last order"]
        let rounds = 20_000
        var complete = 0
        let started = DispatchTime.now().uptimeNanoseconds
        for i in 0..<rounds where model.isComplete(samples[i % samples.count]) { complete += 1 }
        let perDecision = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e3 / Double(rounds)
        let hyp = hypothesisSeconds.sorted()
        let hypP50 = hyp.isEmpty ? 0 : hyp[hyp.count / 2] * 1000, hypP95 = hyp.isEmpty ? 0 : hyp[min(hyp.count - 1, hyp.count * 95 / 100)] * 1000
        print(String(format: "end-of-turn model: %.1f µs per decision (%d decisions, %d complete); recogniser hypothesis for it: p50 %.2f ms, p95 %.2f ms (%d asked)",
                     perDecision, rounds, complete, hypP50, hypP95, hyp.count))
        // A caller pausing ≥ 250 ms ~12 times a minute: per stream, per minute of call.
        print(String(format: "per stream (12 pauses a minute): %.2f ms of CPU a minute = %.4f%% of a core (hypothesis included)",
                     12 * (perDecision / 1000 + hypP50), 12 * (perDecision / 1000 + hypP50) / 60_000 * 100))
    }

    /// What reading the voice at a pause costs (`TurnProsody` on its tail of a spoken request
    /// followed by the minimum silence), on the recogniser's queue in a call.
    static func prosodyCost(_ prosody: TurnProsody) throws {
        let speech = VoiceTestAudio.trimmed(try CallerAudioSynthesis.render("I need to change the address on my order"))
        let utterance = VoiceTestAudio.silence(300) + speech + VoiceTestAudio.silence(250)
        let tail = Array(utterance.suffix(prosody.tailMilliseconds * 16))
        let rounds = 200
        var held = 0
        let started = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds where prosody.soundsUnfinished(utterance: tail[...]) { held += 1 }
        let perDecision = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e3 / Double(rounds)
        print(String(format: "the voice at a pause (TurnProsody, %d ms read): %.0f µs per decision (%d decisions on one request's end, %d held)",
                     prosody.tailMilliseconds, perDecision, rounds, held))
    }

    static func load() throws -> [Item] {
        let path = FileManager.default.fileExists(atPath: "bench/paused-utterances.tsv") ? "bench/paused-utterances.tsv"
            : URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../bench/paused-utterances.tsv").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Item? in
            guard !line.hasPrefix("#"), let tab = line.firstIndex(of: "\t") else { return nil }
            var segments: [String] = [], pauses: [Int] = []
            var rest = Substring(line[line.index(after: tab)...])
            while let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]") {
                segments.append(rest[..<open].trimmingCharacters(in: .whitespaces))
                pauses.append(Int(rest[rest.index(after: open)..<close]) ?? 0)
                rest = rest[rest.index(after: close)...]
            }
            segments.append(rest.trimmingCharacters(in: .whitespaces))
            return Item(label: String(line[..<tab]), segments: segments, pauses: pauses)
        }
    }

    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<Result<T, any Error>>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.value!.get()
    }
}

/// Written by one thread before a semaphore is signalled, read after it.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

enum VoiceTestAudio {
    static func silence(_ milliseconds: Int) -> [Int16] { [Int16](repeating: 0, count: milliseconds * 16) }

    /// Speech with its leading and trailing silence cut (end of speech = the last audible sample).
    static func trimmed(_ speech: [Int16]) -> [Int16] {
        guard let first = speech.firstIndex(where: { abs(Int($0)) > 300 }), let last = speech.lastIndex(where: { abs(Int($0)) > 300 }) else { return speech }
        return Array(speech[first...last])
    }
}
