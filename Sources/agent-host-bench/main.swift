// agent-host-bench: benchmarks that print figures (docs/benchmarks.md says how to read them).
//   agent-host-bench recording [--calls N] [--seconds S]   CPU share of a core one call's stereo recording costs, and without
//   agent-host-bench abi [--iterations N]   cost of a tool call through the plugin ABI vs a direct Swift call
//   agent-host-bench isolation [--calls N] [--turns N]   a tool call across the plugin runner boundary vs in-process, calls/s,
//                                            runner RSS; then a full refund turn isolated vs in-process, host and runner CPU per turn
//   agent-host-bench turns [--turns N] [--no-sdk] [--canned-only] | server [--turns N] [--clients N,N] [--loops N] [--redis shared|per-loop] [--without-checkpoints]   a full text turn in-process vs the OpenAI Agents SDK
//   agent-host-bench tracing [--turns N]   the same text turn with tracing off / on (exported over OTLP) / on but unsampled
//   agent-host-bench model [--turns N]     the host's own cost per model-driven turn (Chat Completions stand-in)
//   agent-host-bench sip [--calls N] [--seconds S] [--mode media|full]   concurrent SIP calls placed by SIPp: gaps, underruns, host CPU
//   agent-host-bench speak [--voice V] --out FILE TEXT   TEXT as the voice benchmarks' callers say it, a 16 kHz WAV (fixtures)
//   agent-host-bench voice [latency] [calls] [media] [--steps N,N] [--media-steps N,N] [--seconds S] [--cached] [--caller-processes K] [--callers-via CMD --host-address A] [--loops N]   real-time voice calls
import Foundation
import Host
import HostAudio
import HostTenancy
import HostVoice

var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "abi"
BenchLoops.take(from: arguments)
BenchRecognition.take(from: arguments)
var iterations = 200_000
if let index = arguments.firstIndex(of: "--iterations"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) {
    iterations = n
}

switch command {
case "recording":
    // Recording's cost per call (docs/benchmarks.md): with recorders, then the same harness without.
    var calls = 50, seconds = 60
    if let index = arguments.firstIndex(of: "--calls"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { calls = n }
    if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { seconds = n }
    let directory = NSTemporaryDirectory() + "/agent-host-bench-recording-\(getpid())"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for record in [true, false] {
        let figures = RecordingCost.measure(calls: calls, seconds: seconds, directory: directory, record: record)
        print(String(format: "recording %@: %d calls x %d s of 8 kHz call audio, CPU %.3f s, %.3f%% of a core per call, %.1f MB written",
                     record ? "on " : "off", calls, seconds, figures.cpuSeconds, figures.coreShare * 100, Double(figures.bytesWritten) / 1e6))
    }
case "abi":
    do {
        try ABIBenchmark(iterations: iterations).run()
    } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "isolation":
    var calls = 20_000
    if let index = arguments.firstIndex(of: "--calls"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { calls = n }
    var turns = 1000
    if let index = arguments.firstIndex(of: "--turns"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { turns = n }
    do {
        try IsolationBenchmark(calls: calls).run()
        print("")
        try IsolationTurnBenchmark(turns: turns).run()
    } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "turns":
    var turns = 2000
    if let index = arguments.firstIndex(of: "--turns"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { turns = n }
    do {
        var benchmark = TurnBenchmark(turns: turns, includeSDK: !arguments.contains("--no-sdk"))
        benchmark.includeRealTools = !arguments.contains("--canned-only")
        try benchmark.run()
    } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "tracing":
    var turns = 5000
    if let index = arguments.firstIndex(of: "--turns"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { turns = n }
    do {
        try TracingCostBenchmark(turns: turns).run()
    } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "server":
    var turns = 3000
    if let index = arguments.firstIndex(of: "--turns"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { turns = n }
    do {
        let redisURL = ProcessInfo.processInfo.environment["REDIS_URL"]
        var redis: RedisServerProcess?
        if redisURL == nil { redis = try RedisServerProcess() }
        defer { redis?.stop() }
        var store = HostConfiguration.Redis()
        store.url = redisURL ?? redis?.url
        store.journalPath = NSTemporaryDirectory() + "/agent-host-bench-journal-\(getpid()).log"
        // --clients N,N: only these client counts (the loops comparison runs 500 alone, to stay short).
        var clientCounts = [1, 50, 500]
        if let index = arguments.firstIndex(of: "--clients"), index + 1 < arguments.count {
            clientCounts = arguments[index + 1].split(separator: ",").compactMap { Int($0) }
        }
        var benchmark = ServerBenchmark(clientCounts: clientCounts, turnsPerRun: turns, persistence: SessionStores.make(store),
                                        storeDescription: "redis at \(store.url ?? "?")")
        benchmark.redisURL = store.url
        benchmark.redisProcessID = redis?.processID
        try benchmark.run()
    } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "model":
    // agent-host-bench model [--turns N]: the host's own cost per model-driven turn (docs/benchmarks.md)
    var turns = 2000
    if let index = arguments.firstIndex(of: "--turns"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { turns = n }
    do { try ModelBenchmark(turns: turns).run() } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "voice":
    // agent-host-bench voice [latency] [calls] [media] [--steps 25,50] [--media-steps 500,1000] [--seconds S] [--cached]
    func counts(_ option: String) -> [Int]? {
        arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1].split(separator: ",").compactMap { Int($0) } : nil }
    }
    let parts = arguments.filter { ["latency", "calls", "media", "turns", "recognition"].contains($0) }
    var benchmark = VoiceBenchmark(parts: parts.isEmpty ? ["latency", "calls", "media"] : parts)
    benchmark.callSteps = counts("--steps") ?? benchmark.callSteps
    benchmark.mediaSteps = counts("--media-steps") ?? benchmark.mediaSteps
    if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count, let s = Double(arguments[index + 1]) { benchmark.measureSeconds = s }
    if arguments.contains("--cached") { benchmark.callMode = .fullCached }
    if let n = counts("--caller-processes")?.first { benchmark.callerProcesses = max(0, n) }
    // Callers on another machine (docs/benchmarks.md "Callers on another machine").
    if let index = arguments.firstIndex(of: "--callers-via"), index + 1 < arguments.count {
        benchmark.callers.command = arguments[index + 1].split(separator: " ").map(String.init)
    }
    if let index = arguments.firstIndex(of: "--host-address"), index + 1 < arguments.count { benchmark.callers.hostAddress = arguments[index + 1] }
    if benchmark.callers.remote, benchmark.callers.hostAddress == nil {
        FileHandle.standardError.write(Data("agent-host-bench voice: --callers-via needs --host-address A (an address of this machine that the callers' machine can reach; the host listens there)\n".utf8))
        exit(2)
    }
    // Short calls: each caller hangs up after N turns and calls again, so a run has many first turns.
    benchmark.latencyTurnsPerCall = counts("--turns-per-call")?.first
    if let index = arguments.firstIndex(of: "--mode"), index + 1 < arguments.count {
        // server_vad (default), semantic, or cold: server VAD without the warm decoder pool.
        let modes: [String: VoiceBenchHost.Mode] = ["server_vad": .full, "semantic": .semantic, "cold": .cold]
        guard let mode = modes[arguments[index + 1]] else {
            FileHandle.standardError.write(Data("agent-host-bench voice: --mode is server_vad, semantic or cold\n".utf8))
            exit(2)
        }
        benchmark.latencyMode = mode
    }
    if parts == ["recognition"] {
        do { try RecognitionBenchmark().run() } catch {
            FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
            exit(1)
        }
        exit(0)
    }
    if parts == ["turns"] {
        do { try PausedUtteranceBenchmark().run() } catch {
            FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
            exit(1)
        }
        exit(0)
    }
    do { try benchmark.run() } catch {
        FileHandle.standardError.write(Data("agent-host-bench: \(error)\n".utf8))
        exit(1)
    }
case "voice-callers":
    // The callers of `voice calls` / `voice media`, started by it as child processes (see CallerProcesses).
    guard let child = VoiceCallersChild(arguments: arguments) else {
        FileHandle.standardError.write(Data("usage: agent-host-bench voice-callers [--host A] --port P --index I --of K --total N --ramp S [--turns-per-call T]\n".utf8))
        exit(2)
    }
    do { try child.run() } catch {
        FileHandle.standardError.write(Data("agent-host-bench voice-callers: \(error)\n".utf8))
        exit(1)
    }
case "voice-host":
    // The host half of `voice`, started by it as a child process (see VoiceBenchHost).
    guard arguments.count > 1, let mode = VoiceBenchHost.Mode(rawValue: arguments[1]) else {
        FileHandle.standardError.write(Data("usage: agent-host-bench voice-host full|full-cached|media|semantic|cold [--listen ADDRESS]\n".utf8))
        exit(2)
    }
    var host = VoiceBenchHost(mode: mode)
    if let index = arguments.firstIndex(of: "--sip-port"), index + 1 < arguments.count { host.sipPort = Int(arguments[index + 1]) }
    if let index = arguments.firstIndex(of: "--listen"), index + 1 < arguments.count { host.listenAddress = arguments[index + 1] }
    do { try host.run() } catch {
        FileHandle.standardError.write(Data("agent-host-bench voice-host: \(error)\n".utf8))
        exit(1)
    }
case "sip":
    // agent-host-bench sip [--calls N] [--seconds S] [--mode media|full]: N concurrent SIPp calls (docs/benchmarks.md).
    var benchmark = SIPBenchmark()
    if let index = arguments.firstIndex(of: "--calls"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { benchmark.calls = n }
    if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) { benchmark.seconds = n }
    if let index = arguments.firstIndex(of: "--mode"), index + 1 < arguments.count {
        guard let mode = VoiceBenchHost.Mode(rawValue: arguments[index + 1]) else {
            FileHandle.standardError.write(Data("agent-host-bench sip: --mode is media, full or full-cached\n".utf8))
            exit(2)
        }
        benchmark.mode = mode
    }
    do { try benchmark.run() } catch {
        FileHandle.standardError.write(Data("agent-host-bench sip: \(error)\n".utf8))
        exit(1)
    }
case "speak":
    // agent-host-bench speak [--voice V] --out FILE TEXT: one utterance as the voice benchmarks'
    // callers say it (flite "slt" or an espeak-ng voice, 16 kHz), rendered by this fresh process.
    // espeak-ng renders the same text differently after other text in the same process, so tests
    // take their espeak-ng audio from here: what they hear cannot depend on the tests before them.
    var voice = "slt", out: String?, texts: [String] = []
    var rest = arguments.dropFirst()[...]
    while let argument = rest.popFirst() {
        switch argument {
        case "--voice": voice = rest.popFirst() ?? ""
        case "--out": out = rest.popFirst()
        default: texts.append(argument)
        }
    }
    guard let out, !voice.isEmpty, texts.count == 1, let text = texts.first else {
        FileHandle.standardError.write(Data("usage: agent-host-bench speak [--voice V] --out FILE TEXT\n".utf8))
        exit(2)
    }
    do {
        try WAVFile.write(WAVAudio(samples: CallerAudioSynthesis.render(text, voice: voice), sampleRate: 16_000), to: out)
    } catch {
        FileHandle.standardError.write(Data("agent-host-bench speak: \(error)\n".utf8))
        exit(1)
    }
default:
    FileHandle.standardError.write(Data("usage: agent-host-bench abi [--iterations N] | turns [--turns N] [--no-sdk] [--canned-only] | server [--turns N] [--clients N,N] [--loops N] [--redis shared|per-loop] [--without-checkpoints] | voice [latency] [calls] [media] | speak [--voice V] --out FILE TEXT\n".utf8))
    exit(2)
}
