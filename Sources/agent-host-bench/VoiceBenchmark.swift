import Foundation
import HostAudio
import HostNet
import HostSpeech

/// `agent-host-bench voice [latency] [calls] [media]`: real-time voice calls against a host in its
/// own process (`BenchHostProcess`), callers simulated on one client loop in this process.
///   latency: end of the caller's speech → first byte of agent audio, and where the time goes.
///   calls:   concurrent calls with the full offline stack; outbound gaps, host CPU and memory.
///   media:   media-only streams (no recognition or synthesis per call) to find the loop's ceiling.
struct VoiceBenchmark {
    /// What the media-only host "hears" in every utterance (an FAQ answer comes back).
    static let mediaTranscript = "what is your shipping policy"
    /// What the callers say (synthesised once with flite): questions for every department, none
    /// asking for a person (that ends the call).
    static let sentences = [
        "I need a refund for order one two three four five",
        "what is your shipping policy",
        "I have a question about a charge on my account",
        "the package arrived damaged",
        "how long does shipping take",
    ]
    static let silenceWindowMilliseconds = TurnDetectionSettings().silenceMilliseconds

    var parts: [String]
    var callSteps = [25, 50, 100, 150]
    var mediaSteps = [500, 1_000, 2_000]
    var measureSeconds = 40.0
    var callMode = VoiceBenchHost.Mode.full
    /// `voice latency --mode semantic`: the latency run's host (full = server VAD, the baseline).
    var latencyMode = VoiceBenchHost.Mode.full
    /// `voice latency --turns-per-call N`: callers hang up after N turns and call again (nil: one
    /// call each), so the first turns of calls are many, not four.
    var latencyTurnsPerCall: Int?
    /// `--caller-processes K`: the callers of `calls` and `media` run in K processes of their own
    /// (0: on one loop in this process, as before). Default: one per core.
    var callerProcesses = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// `--callers-via CMD --host-address A`: the caller processes of `calls` and `media` on another
    /// machine (CallerProcesses.Placement); the host listens on A.
    var callers = CallerProcesses.Placement()

    func run() throws {
        let utterances = try Self.utterances()
        print("agent-host-bench voice: host loops \(BenchLoops.count); callers of calls/media in \(callerProcesses) process(es) of their own, one client loop each "
              + "(latency: one loop in this process); the host in its own process")
        print(String(format: "utterances: %d flite sentences, %.1f-%.1f s of speech; frames of 20 ms, PCM16 16 kHz",
                     utterances.count, Double(utterances.map(\.count).min() ?? 0) / 50, Double(utterances.map(\.count).max() ?? 0) / 50))
        if parts.contains("latency") {
            // First turns: each caller's first (during the ramp) counts too, reported apart.
            let result = try step(mode: latencyMode, callers: 4, ramp: 4, measure: measureSeconds * 2, utterances: utterances,
                                  turnsPerCall: latencyTurnsPerCall)
            printLatency(result)
        }
        if parts.contains("calls") {
            print("")
            print("concurrent calls, mode \(callMode.rawValue): each caller speaks, waits for the whole answer, pauses 0.5-1.5 s, speaks again")
            printHeader()
            for callers in callSteps {
                printRow(try step(mode: callMode, callers: callers, ramp: max(5, Double(callers) * 0.15), measure: measureSeconds, utterances: utterances))
            }
        }
        if parts.contains("media") {
            print("")
            print("media-only streams: VAD, turn detection, orchestration and paced answers; no recognition, replies replayed from a prompt cache")
            printHeader()
            for callers in mediaSteps {
                printRow(try step(mode: .media, callers: callers, ramp: max(5, Double(callers) / 150), measure: measureSeconds * 0.75, utterances: utterances))
            }
        }
    }

    /// Each sentence rendered by flite, silence trimmed off both ends (so "end of speech" is the
    /// last audible sample), cut into pre-encoded 20 ms frames.
    static func utterances() throws -> [[[UInt8]]] {
        try sentences.map { sentence in
            let speech = try CallerAudioSynthesis.render(sentence)
            let loud = speech.indices.filter { abs(Int(speech[$0])) > 300 }
            guard let first = loud.first, let last = loud.last else { throw ServerBenchmark.Failure(description: "flite rendered silence for \(sentence)") }
            let trimmed = Array(speech[first...last])
            return stride(from: 0, to: trimmed.count, by: 320).map { start in
                var frame = Array(trimmed[start..<min(start + 320, trimmed.count)])
                frame += repeatElement(0, count: 320 - frame.count)
                return PCM16.littleEndianBytes(frame)
            }
        }
    }

    struct StepResult {
        let mode: VoiceBenchHost.Mode
        let callers: Int
        let live: Int
        let turns: [CallerStats.Turn]
        let stats: CallerStats
        let cpuPercent: Double
        let residentMiB: Double
        let idleResidentMiB: Double
        let hostStall: Double
        let clientStall: Double
        /// The callers' processes (or, in-process, the whole benchmark process), % of one core.
        let clientCPUPercent: Double
    }

    /// A fresh host process, `callers` arriving over `ramp` s, then `measure` s of figures.
    func step(mode: VoiceBenchHost.Mode, callers: Int, ramp: Double, measure: Double, utterances: [[[UInt8]]], turnsPerCall: Int? = nil) throws -> StepResult {
        let remote = self.callers.remote && callers > 4
        let host = try BenchHostProcess(mode: mode, extraArguments: remote ? ["--listen", self.callers.hostAddress ?? "0.0.0.0"] : [])
        defer { host.stop() }
        let idle = host.residentMiB()
        // The latency run's 4 callers stay in this process; calls and media get processes of their own.
        let callerSide: any VoiceCallerSide = (callerProcesses > 0 || remote) && callers > 4
            ? try CallerProcesses(count: max(1, callerProcesses), port: host.port, callers: callers, ramp: ramp, turnsPerCall: turnsPerCall,
                                  placement: remote ? self.callers : CallerProcesses.Placement())
            : InProcessCallers(port: host.port, callers: callers, ramp: ramp, utterances: utterances, turnsPerCall: turnsPerCall)
        defer { callerSide.stop() }
        Thread.sleep(forTimeInterval: ramp + 3)
        try callerSide.beginMeasuring()
        _ = host.stall()
        let cpuStart = host.cpuSeconds()
        let clientCPUStart = callerSide.cpuSeconds()
        let wallStart = DispatchTime.now().uptimeNanoseconds
        Thread.sleep(forTimeInterval: measure)
        let cpu = host.cpuSeconds() - cpuStart
        let clientCPU = callerSide.cpuSeconds() - clientCPUStart
        let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
        let resident = host.residentMiB()
        let hostStall = host.stall()
        let outcome = try callerSide.finish()
        Thread.sleep(forTimeInterval: 0.5)
        let stats = outcome.stats, turns = outcome.stats.turns, live = outcome.live, clientStall = outcome.clientStall
        return StepResult(mode: mode, callers: callers, live: live, turns: turns, stats: stats, cpuPercent: cpu / wall * 100,
                          residentMiB: resident, idleResidentMiB: idle, hostStall: hostStall, clientStall: clientStall,
                          clientCPUPercent: clientCPU / wall * 100)
    }

    func printHeader() {
        print("callers  live  turns  first-audio p50/p95 ms  gap p99/max ms  underruns  unanswered  host CPU %  client CPU %  RSS MiB (per call)  host/client stall ms  verdict")
    }

    func printRow(_ r: StepResult) {
        let latencies = r.turns.map { Double($0.firstAudio - $0.speechEnd) / 1e6 }.sorted()
        let perCall = (r.residentMiB - r.idleResidentMiB) / Double(max(r.callers, 1)) * 1024
        // The issue's bar: no underrun, no unanswered turn, every caller still on the line.
        let clean = r.stats.underruns == 0 && r.stats.unanswered == 0 && r.live == r.callers && !r.turns.isEmpty
        let verdict = clean ? "PASS: 0 underruns, every turn answered" : "FAIL: \(r.stats.underruns) underruns, \(r.stats.unanswered) unanswered, \(r.callers - r.live) hung up"
        print(String(format: "%7d %5d %6d %11.0f / %-8.0f %6d / %-6.0f %9d %11d %11.0f %13.0f %8.0f (%5.0f KiB) %9.1f / %-8.1f %@",
                     r.callers, r.live, r.turns.count, quantile(latencies, 0.5), quantile(latencies, 0.95),
                     r.stats.gapQuantile(0.99), Double(r.stats.maxGapNanoseconds) / 1e6, r.stats.underruns,
                     r.stats.unanswered, r.cpuPercent, r.clientCPUPercent, r.residentMiB, perCall, r.hostStall, r.clientStall, verdict)
              + (r.stats.connectFailures + r.stats.dropped > 0 ? "  (\(r.stats.connectFailures) failed to connect, \(r.stats.dropped) dropped)" : ""))
        fflush(nil)   // each row as soon as its step ends, also when stdout is a file
    }

    func printLatency(_ r: StepResult) {
        let silence = Double(r.mode == .semantic ? SemanticTurnSettings().minimumSilenceMilliseconds : Self.silenceWindowMilliseconds)
        func ms(_ from: KeyPath<CallerStats.Turn, UInt64>, _ to: KeyPath<CallerStats.Turn, UInt64>) -> [Double] {
            r.turns.filter { $0[keyPath: from] > 0 && $0[keyPath: to] >= $0[keyPath: from] }
                .map { Double($0[keyPath: to] - $0[keyPath: from]) / 1e6 }.sorted()
        }
        let total = ms(\.speechEnd, \.firstAudio)
        print("")
        print("latency: end of the caller's speech (last audible frame sent, real-time paced) -> first agent audio frame received")
        let detection = r.mode == .semantic ? "semantic turn detection (250 / 1200 ms): the share below is over the 250 ms minimum silence"
            : "silence window \(Int(silence)) ms (server VAD default)"
        print("         \(r.callers) concurrent callers, full offline stack, \(total.count) turns (\(r.stats.unanswered) unanswered); \(detection)")
        let first = r.turns.filter(\.first).map { Double($0.firstAudio - $0.speechEnd) / 1e6 }.sorted()
        let later = r.turns.filter { !$0.first }.map { Double($0.firstAudio - $0.speechEnd) / 1e6 }.sorted()
        let rows: [(String, [Double])] = [
            ("end of speech -> first agent audio (total)", total),
            ("  minus the silence window: the host's share", total.map { $0 - silence }),
            ("  first turns of calls (\(first.count))", first),
            ("  later turns (\(later.count))", later),
            ("breakdown, from event arrival times at the client:", []),
            ("  end of speech -> speech_stopped (VAD: silence window)", ms(\.speechEnd, \.stopped)),
            ("  speech_stopped -> user (recognition finalize)", ms(\.stopped, \.heard)),
            ("  user -> first agent event (orchestration, canned tools)", ms(\.heard, \.answered)),
            ("  agent event -> first audio frame (synthesis first chunk)", ms(\.answered, \.firstAudio)),
        ]
        for (label, values) in rows {
            guard !values.isEmpty else { print(label); continue }
            print(label.padding(toLength: 62, withPad: " ", startingAt: 0)
                  + String(format: "p50 %7.1f ms   p95 %7.1f ms", quantile(values, 0.5), quantile(values, 0.95)))
        }
        print(String(format: "target: silence window + at most 150 ms at p95 (%.0f ms); gaps p99 %d ms, max %.0f ms, %d underruns; host CPU %.0f%%",
                     silence + 150, r.stats.gapQuantile(0.99), Double(r.stats.maxGapNanoseconds) / 1e6, r.stats.underruns, r.cpuPercent))
    }

    func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }
}

/// flite (or, for `voice` other than flite's "slt", espeak-ng at 16 kHz) from the benchmark's main thread.
enum CallerAudioSynthesis {
    static func render(_ text: String, voice: String = "slt") throws -> [Int16] {
        let done = DispatchSemaphore(value: 0)
        let box = RenderBox()
        let synthesizer: any SpeechSynthesizer = FliteSynthesizer.voices.contains(voice) ? FliteSynthesizer() : EspeakSynthesizer(voice: voice, outputSampleRate: 16_000)
        Task {
            do { box.samples = try await synthesizer.synthesizeAll(text: text).samples } catch { box.error = error }
            done.signal()
        }
        done.wait()
        if let error = box.error { throw error }
        return box.samples
    }
}

private final class RenderBox: @unchecked Sendable {
    // @unchecked: written before the semaphore is signalled, read after.
    var samples: [Int16] = []
    var error: (any Error)?
}
