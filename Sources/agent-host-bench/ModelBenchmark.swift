import AgentHostJSON
import Foundation
import Host
import HostModels
import HostPlugins
import ModelStandIn

/// The host's own cost per model-driven turn — building requests, parsing the SSE streams,
/// dispatching the tool call and the handoff, emitting events — excluding the model's time. The
/// model is the local stand-in (its own threads); the turn is route → handoff → tool → reply
/// (three model rounds) with canned tools. The figure is the CPU time the host's loop thread
/// spends per turn (curl's socket work included), read from that thread's CPU clock; wall time
/// per turn is printed beside it for scale (it includes the stand-in and loopback).
struct ModelBenchmark {
    let turns: Int
    static let utterance = "I need a refund for order ORD-12345"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        let standIn = ChatCompletionsStandIn(apiKey: "sk-bench")
        try standIn.start()
        defer { standIn.stop() }
        standIn.setRule(Self.script)
        var endpoint = ChatCompletionsEndpoint(baseURL: standIn.baseURL, model: "gpt-4o-mini", apiKey: Secret("sk-bench"))
        endpoint.maxRetries = 0
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: PluginLoader.defaultDirectories(), backend: .url("http://127.0.0.1:9"), apiKey: "demo-key") {
                ReferenceDeployment.useCannedTools(&$0)
                $0.model = endpoint
            }
        } catch {
            throw Failure(description: error.description)
        }
        defer { deployment.shutdown() }
        print("agent-host-bench model: \"\(Self.utterance)\" as a fresh session's first turn, driven by the Chat Completions stand-in")
        print("  (3 streamed model rounds: transfer_to_refund_agent, lookup_order, text; canned tools), \(turns) turns, sequential")

        let turnRunner = TurnBenchmark(turns: turns, includeSDK: false)
        let sample = turnRunner.runTurn(deployment, caller: "+15550000000")
        guard sample.events.contains(where: { if case .handoff(_, "Refund Agent", _) = $0 { true } else { false } }),
              sample.events.contains(where: { if case .toolCall(_, "lookup_order", _, _) = $0 { true } else { false } }),
              !sample.events.contains(where: { $0.type == "error" }) else {
            throw Failure(description: "the turn is not the one measured: \(sample.events.map(\.json))")
        }
        let loopThread = deployment.loop.submitAndWait { pthread_self() }!
        var clock = clockid_t()
        guard pthread_getcpuclockid(loopThread, &clock) == 0 else { throw Failure(description: "no CPU clock for the loop thread") }

        var cpu: [Double] = []
        var wall: [Double] = []
        for index in 0..<(turns + 100) {
            let before = cpuNanoseconds(clock)
            let turn = turnRunner.runTurn(deployment, caller: "+1555\(1_000_000 + index)")
            let spent = Double(cpuNanoseconds(clock) - before) / 1e3
            if index >= 100 {   // the first 100 warm up
                cpu.append(spent)
                wall.append(turn.milliseconds)
            }
        }
        let (build, parse) = try measurePieces(standIn)
        cpu.sort()
        wall.sort()
        func p(_ values: [Double], _ q: Int) -> Double { values[min(values.count - 1, values.count * q / 100)] }
        print("")
        print("                                        p50          p99")
        print(String(format: "host CPU per model turn (loop thread)  %7.3f ms   %7.3f ms", p(cpu, 50) / 1000, p(cpu, 99) / 1000))
        print(String(format: "wall time per turn (incl. stand-in)    %7.3f ms   %7.3f ms", p(wall, 50), p(wall, 99)))
        print(String(format: "  of which: request body build %.1f µs per round; SSE parse + decode %.1f µs per streamed round", build, parse))
        print("target: host overhead per model turn p99 < 1 ms (issue #6)")
    }

    /// The stand-in's replies, chosen by what the request carries.
    @Sendable static func script(_ request: StandInHTTPServer.Request) -> StandInReply {
        let body = request.text
        if body.contains("\"tool_call_id\"") { return .text("I found order ORD-12345. It was delivered 12 days ago, so it qualifies. Shall I refund it?") }
        if body.contains("\"name\":\"lookup_order\"") { return .toolCalls([StandInToolCall("lookup_order", #"{"order_id":"ORD-12345"}"#)]) }
        return .toolCalls([StandInToolCall("transfer_to_refund_agent", #"{"reason":"refund request"}"#)])
    }

    /// In-process: one request body as the Refund agent's last round, and one recorded text
    /// stream fed in network-sized pieces; microseconds each.
    func measurePieces(_ standIn: ChatCompletionsStandIn) throws -> (build: Double, parse: Double) {
        guard let last = standIn.requests.last, let request = try? JSONValue.parse(last.text) else { throw Failure(description: "no request recorded") }
        let toolsJSON = (last.text.range(of: ",\"tools\":").map { String(last.text[$0.upperBound...]) } ?? "[]")
            .components(separatedBy: ",\"tool_choice\"").first ?? "[]"
        let messages: [ChatMessage] = (request["messages"]?.array ?? []).map { message in
            switch message["role"]?.string {
            case "system": .system(message["content"]?.string ?? "")
            case "tool": .tool(callID: message["tool_call_id"]?.string ?? "", content: message["content"]?.string ?? "")
            case "assistant": .assistant(text: message["content"]?.string, toolCalls: [ChatToolCall(id: "call_1", name: "lookup_order", arguments: #"{"order_id":"ORD-12345"}"#)])
            default: .user(message["content"]?.string ?? "")
            }
        }
        let rounds = 20_000
        var bytes = 0
        var start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds {
            bytes &+= ChatRequestBuilder.body(model: "gpt-4o-mini", messages: messages, toolsJSON: toolsJSON, stream: true, temperature: nil).count
        }
        let build = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(rounds)

        // The stream the stand-in sends for the last round, one network read per event.
        let text = "I found order ORD-12345. It was delivered 12 days ago, so it qualifies. Shall I refund it?"
        var events = [#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#]
        for word in text.split(separator: " ") {
            events.append(#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"\#(word) "},"finish_reason":null}]}"#)
        }
        events.append(#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#)
        events.append("[DONE]")
        let pieces = events.map { Array("data: \($0)\n\n".utf8) }
        start = DispatchTime.now().uptimeNanoseconds
        var decoded = 0
        for _ in 0..<rounds {
            var parser = SSEParser()
            var decoder = ChatStreamDecoder()
            for piece in pieces {
                parser.feed(piece) { event in
                    if case .text(let t)? = try? decoder.decode(event.data) { decoded &+= t.utf8.count }
                }
            }
        }
        let parse = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(rounds)
        if bytes == 0 || decoded == 0 { throw Failure(description: "nothing measured") }
        return (build, parse)
    }
}
