import Foundation
import HostAudio
import HostSpeech
import HostVoice

/// `agent-host-bench voice turns --replay LISTING...`: the decisions of semantic turn detection and
/// of the overlap policy re-taken, with the host's current rules, on the hypotheses a `voice turns
/// --list` run recorded (its `trace` column) — no audio, no recogniser, seconds instead of minutes.
/// A tuning aid, not a measurement: after a pause that is now judged differently the real run
/// would have heard another utterance, which the listing does not hold. The figures that count
/// come from `voice turns` itself (docs/benchmarks.md).
struct TurnDecisionReplay {
    let model: TurnCompletionModel
    /// The voice at a pause, re-decided from the contour the listing recorded (nil: words only).
    var prosody: TurnProsody?

    /// A trace entry "pause HYPOTHESIS V [pitch .. st/s, level .. dB, run .. ms, final .. st, runs .. ms, rise .. st]"
    /// (V: c, i or h; "[unvoiced]" when there was too little voice to read; no rise before 2026-12-06 20:30 UTC).
    static func pause(_ entry: String) -> (hypothesis: String, contour: Voicing.Contour?) {
        var body = Substring(entry.dropFirst("pause ".count))
        var contour: Voicing.Contour?
        if let open = body.lastIndex(of: "[") {
            let numbers = body[open...].split(whereSeparator: { " [],".contains($0) }).compactMap { Double($0) }
            if numbers.count >= 5 {
                contour = Voicing.Contour(pitchSlope: numbers[0], finalLevelDecibels: numbers[1], lastVoicedRunMilliseconds: Int(numbers[2]),
                                          finalPitchSemitones: numbers[3], medianVoicedRunMilliseconds: Int(numbers[4]),
                                          pitchRiseSemitones: numbers.count >= 6 ? numbers[5] : 0)
            }
            body = body[..<open].dropLast()
        }
        return (String(body.dropLast(2)), contour)
    }

    func run(listings: [String]) throws {
        var premature: [String: Int] = [:], late: [String: Int] = [:], stops: [String: Int] = [:], spoken: [String: Int] = [:]
        var backchannels: [String: Int] = [:]
        let verbose = CommandLine.arguments.contains("--verbose")
        for path in listings {
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 9, Int(fields[0]) != nil, let trace = fields.last(where: { $0.hasPrefix("trace: ") }),
                      let final = fields.first(where: { $0.hasPrefix("heard: ") }) else { continue }
                let (voice, label, text) = (fields[1], fields[2], fields[3])
                let entries = trace.dropFirst("trace: ".count).components(separatedBy: " ; ").filter { !$0.isEmpty }
                switch label {
                case "paused", "complete":
                    spoken[voice, default: 0] += 1
                    let pauses = entries.filter { $0.hasPrefix("pause ") }.map(Self.pause)
                    let verdicts = pauses.map { model.isComplete($0.hypothesis) && !(prosody?.soundsUnfinished($0.contour) ?? false) }
                    if label == "paused", verdicts.dropLast().contains(true) { premature[voice, default: 0] += 1 }
                    if verdicts.last != true { late[voice, default: 0] += 1 }
                    if verbose {
                        for ((hypothesis, _), verdict) in zip(pauses, verdicts) {
                            let fit = model.languageFit?.meanLogProbability(SpokenText.words(hypothesis)) ?? 0
                            let end = model.languageFit?.endLogProbability(SpokenText.words(hypothesis)) ?? 0
                            print(String(format: "%@\t%@\t%@\t%@ -> %@ (p %.2f, fit %.2f, end %.2f)", voice, label, text, hypothesis, verdict ? "c" : "i",
                                         model.probability(hypothesis), fit, end))
                        }
                    }
                case "backchannel":
                    backchannels[voice, default: 0] += 1
                    if stopped(entries: entries, final: final) {
                        stops[voice, default: 0] += 1
                        if verbose { print("\(voice)\tbackchannel stops\t\(text)\t\(final)") }
                    }
                default:
                    break
                }
            }
        }
        for voice in spoken.keys.sorted() {
            print("\(voice): replayed premature \(premature[voice] ?? 0) / \(spoken[voice] ?? 0), late \(late[voice] ?? 0), backchannel stops \(stops[voice] ?? 0) / \(backchannels[voice] ?? 0)")
        }
    }

    /// The overlap policy on the recorded hearings and the final transcript.
    func stopped(entries: [String], final: String) -> Bool {
        var overlap = PlaybackOverlap(backchannels: Backchannels())
        overlap.started()
        for entry in entries {
            if entry.hasPrefix("pause "), entry.contains(" | ") {
                // "pause HYPOTHESIS V | SECOND OPINION [contour]" (listings since the pause is read twice).
                let parts = String(entry.dropFirst("pause ".count)).components(separatedBy: " | ")
                let opinion = parts[1].components(separatedBy: " [").first ?? ""
                overlap.paused(hypothesis: String(parts[0].dropLast(2)), secondOpinion: opinion)
                continue
            }
            guard entry.hasPrefix("hear ") else { continue }
            let parts = String(entry.dropFirst("hear ".count)).replacingOccurrences(of: " STOP", with: "").components(separatedBy: " | ")
            guard parts.count == 2 else { continue }
            for _ in 0..<10 where overlap.frame() == .bargeIn { return true }  // one hearing per 10 frames (PlaybackOverlap)
            if overlap.heard(hypothesis: parts[0] == "-" ? nil : parts[0], secondOpinion: parts[1] == "-" ? nil : parts[1]) == .bargeIn { return true }
        }
        let heard = String(final.dropFirst("heard: ".count)).components(separatedBy: " / second opinion: ")
        return overlap.finished(transcript: heard[0], secondOpinion: heard.count > 1 ? heard[1] : nil).bargeIn
    }
}
