import Foundation
import HostPlugins
import PluginABI

/// Measures one tool call through the ABI — host invoke → C boundary → SDK → tool → host
/// tool_complete → completion routed back — against the same tool body called directly in Swift.
/// The difference is the ABI's overhead. Run in release: `swift run -c release agent-host-bench abi`.
struct ABIBenchmark {
    let iterations: Int
    let rounds = 7

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// ~200 bytes of JSON, the size of a typical tool call's arguments (and, echoed, its result).
    static let payload = #"{"order_id":"ORD-12345","customer_id":"CUST-1001","reason":"arrived cracked","items":[{"sku":"MUG-01","quantity":2}],"channel":"voice","caller":"+15551234567","notes":"caller asked twice"}"#

    func run() throws {
        let catalog = PluginLoader(directories: PluginLoader.defaultDirectories()).loadAll()
        guard let plugin = catalog.plugin(providing: "com.agenthost.samples.echo") else {
            throw Failure(description: "SwiftSamples plugin not found next to the executable; build all products first (swift build -c release)")
        }
        let services = HostServices()
        let echo = try PluginInstance.create("com.agenthost.samples.echo", from: plugin, tenantID: "bench", services: services)
        let quote = try PluginInstance.create("com.agenthost.samples.quote", from: plugin, tenantID: "bench", services: services)

        print("agent-host-bench abi: \(iterations) calls x \(rounds) rounds per case, median round reported")
        print("payload: \(Self.payload.utf8.count) bytes of JSON arguments (echoed back as the result)")
        print("")
        print("case                                  direct ns/call   via ABI ns/call   ABI overhead ns")

        let small = "{}"
        report("echo, no JSON (2-byte args)", direct: measure { DirectTools.echo(small) },
               abi: measure { callThroughABI(echo, services, small) })
        report("echo, ~200 B JSON args + result", direct: measure { DirectTools.echo(Self.payload) },
               abi: measure { callThroughABI(echo, services, Self.payload) })
        let quoteArgs = #"{"sku":"MUG-01","quantity":3}"#
        report("Codable decode + encode (quote_price)", direct: measure { DirectTools.quote(quoteArgs) },
               abi: measure { callThroughABI(quote, services, quoteArgs) })
        print("")
        print("targets: overhead <= 1000 ns without JSON, <= 5000 ns with ~200 B JSON (issue #2)")
    }

    func report(_ name: String, direct: Double, abi: Double) {
        let padded = name.padding(toLength: 38, withPad: " ", startingAt: 0)
        print(padded + String(format: "%14.0f   %15.0f   %15.0f", direct, abi, abi - direct))
    }

    /// Median over rounds of the mean ns per call.
    func measure(_ body: () -> Void) -> Double {
        for _ in 0..<min(iterations, 10_000) { body() }  // warm-up
        var perCall: [Double] = []
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { body() }
            perCall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations))
        }
        return perCall.sorted()[rounds / 2]
    }

    @inline(__always)
    func callThroughABI(_ instance: PluginInstance, _ services: HostServices, _ arguments: String) {
        let id = services.router.makeID()
        do {
            try instance.invokeTool(callID: id, sessionID: "bench-session", callerID: "+15550000000", argumentsJSON: arguments) { _, output in
                DirectTools.sink(output)
            }
        } catch {
            fatalError("benchmark tool call refused: \(error)")
        }
    }
}

/// The same tool bodies as the sample plugin, compiled into the benchmark and called directly.
enum DirectTools {
    struct QuoteArguments: Decodable {
        let sku: String
        let quantity: Int
    }

    struct Quote: Encodable {
        let sku: String
        let quantity: Int
        let unit_price: Double
        let total: Double
        let currency: String
    }

    nonisolated(unsafe) static var last = ""
    static let decoder = JSONDecoder()

    @inline(never)
    static func sink(_ output: String) { last = output }

    @inline(never)
    static func echo(_ arguments: String) {
        sink(arguments)
    }

    @inline(never)
    static func quote(_ arguments: String) {
        guard let args = try? decoder.decode(QuoteArguments.self, from: Data(arguments.utf8)) else { return }
        let total = (12.5 * Double(args.quantity) * 100).rounded() / 100
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Quote(sku: args.sku, quantity: args.quantity, unit_price: 12.5, total: total, currency: "USD"))) ?? Data()
        sink(String(decoding: data, as: UTF8.self))
    }
}
