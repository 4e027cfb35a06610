// agent-host-bench: benchmarks that print figures (docs/benchmarks.md says how to read them).
//   agent-host-bench abi [--iterations N]   cost of a tool call through the plugin ABI vs a direct Swift call
//   agent-host-bench turns [--turns N] [--no-sdk] [--canned-only]   a full text turn in-process vs the OpenAI Agents SDK
import Foundation
import Host

var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "abi"
var iterations = 200_000
if let index = arguments.firstIndex(of: "--iterations"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) {
    iterations = n
}

switch command {
case "abi":
    do {
        try ABIBenchmark(iterations: iterations).run()
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
default:
    FileHandle.standardError.write(Data("usage: agent-host-bench abi [--iterations N] | turns [--turns N] [--no-sdk] [--canned-only]\n".utf8))
    exit(2)
}
