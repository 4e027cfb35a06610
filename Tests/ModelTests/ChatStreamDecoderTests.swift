import HostModels
import XCTest

final class ChatStreamDecoderTests: XCTestCase {
    private func chunk(_ delta: String, finish: String? = nil) -> String {
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish.map { "\"\($0)\"" } ?? "null")}]}"#
    }

    func testToolCallArgumentDeltasAccumulatePerIndex() throws {
        var decoder = ChatStreamDecoder()
        let events = [
            chunk(#"{"role":"assistant","content":null}"#),
            chunk(#"{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup_order","arguments":""}}]}"#),
            chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"order"}}]}"#),
            chunk(#"{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"search_faq","arguments":"{\"qu"}}]}"#),
            chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"_id\":\"ORD-12345\"}"}}]}"#),
            chunk(#"{"tool_calls":[{"index":1,"function":{"arguments":"ery\":\"h\\u00e9\"}"}}]}"#),
            chunk("{}", finish: "tool_calls"),
            "[DONE]",
        ]
        var steps: [ChatStreamDecoder.Step] = []
        for event in events { steps.append(try decoder.decode(event)) }
        XCTAssertEqual(steps.last, .done)
        XCTAssertFalse(steps.contains { if case .text = $0 { true } else { false } })
        XCTAssertEqual(decoder.completion.finishReason, "tool_calls")
        XCTAssertEqual(decoder.completion.toolCalls, [
            ChatToolCall(id: "call_a", name: "lookup_order", arguments: #"{"order_id":"ORD-12345"}"#),
            ChatToolCall(id: "call_b", name: "search_faq", arguments: #"{"query":"h\u00e9"}"#),
        ])
    }

    func testContentDeltasComeOutAsText() throws {
        var decoder = ChatStreamDecoder()
        XCTAssertEqual(try decoder.decode(chunk(#"{"role":"assistant","content":""}"#)), .none)
        XCTAssertEqual(try decoder.decode(chunk(#"{"content":"Hello "}"#)), .text("Hello "))
        XCTAssertEqual(try decoder.decode(chunk(#"{"content":"there."}"#)), .text("there."))
        XCTAssertEqual(try decoder.decode(chunk("{}", finish: "stop")), .none)
        XCTAssertEqual(try decoder.decode("[DONE]"), .done)
        XCTAssertEqual(decoder.completion.text, "Hello there.")
    }

    /// `stream_options.include_usage`'s last chunk (no choices): the token counts the chat span reports.
    func testAUsageChunkGivesTheTokenCounts() throws {
        var decoder = ChatStreamDecoder()
        XCTAssertEqual(try decoder.decode(chunk(#"{"content":"Hi."}"#, finish: "stop")), .text("Hi."))
        XCTAssertNil(decoder.completion.inputTokens)
        XCTAssertEqual(try decoder.decode(#"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":57,"completion_tokens":3,"total_tokens":60}}"#), .none)
        XCTAssertEqual(decoder.completion.inputTokens, 57)
        XCTAssertEqual(decoder.completion.outputTokens, 3)
    }

    func testACutOffChunkIsMalformed() {
        var decoder = ChatStreamDecoder()
        XCTAssertThrowsError(try decoder.decode(#"{"choices":[{"delta":{"content":"Hel"#))
        XCTAssertThrowsError(try decoder.decode(#"{"object":"chat.completion.chunk"}"#), "no choices")
    }

    func testRequestBodyCarriesMessagesToolsAndToolResults() throws {
        let tools = ChatRequestBuilder.toolsJSON([ChatTool(name: "lookup_order", description: "Look an \"order\" up", parametersJSON: #"{"type":"object"}"#)])
        let body = ChatRequestBuilder.body(model: "gpt-4o-mini", messages: [
            .system("Be brief.\nAlways."), .user("refund ORD-1"),
            .assistant(text: nil, toolCalls: [ChatToolCall(id: "call_1", name: "lookup_order", arguments: #"{"order_id":"ORD-1"}"#)]),
            .tool(callID: "call_1", content: #"{"status":"delivered"}"#),
        ], toolsJSON: tools, stream: true, temperature: 0.2)
        let json = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
        XCTAssertEqual(json["model"] as? String, "gpt-4o-mini")
        XCTAssertEqual(json["stream"] as? Bool, true)
        XCTAssertEqual(json["temperature"] as? Double, 0.2)
        let messages = json["messages"] as! [[String: Any]]
        XCTAssertEqual(messages.map { $0["role"] as? String }, ["system", "user", "assistant", "tool"])
        XCTAssertEqual(messages[0]["content"] as? String, "Be brief.\nAlways.")
        let call = (messages[2]["tool_calls"] as! [[String: Any]])[0]
        XCTAssertEqual(call["id"] as? String, "call_1")
        XCTAssertEqual((call["function"] as! [String: Any])["arguments"] as? String, #"{"order_id":"ORD-1"}"#)
        XCTAssertEqual(messages[3]["tool_call_id"] as? String, "call_1")
        let function = ((json["tools"] as! [[String: Any]])[0]["function"] as! [String: Any])
        XCTAssertEqual(function["description"] as? String, "Look an \"order\" up")
    }
}
