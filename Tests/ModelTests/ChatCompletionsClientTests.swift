import Foundation
import HostModels
import HostNet
import ModelStandIn
import TestSupport
import XCTest

/// The streaming client against the stand-in: the real wire format, retries and failures.
final class ChatCompletionsClientTests: XCTestCase {
    var standIn: ChatCompletionsStandIn!
    var loop: EventLoop!
    var http: HTTPClient!

    override func setUpWithError() throws {
        standIn = ChatCompletionsStandIn(apiKey: "sk-test-client")
        try standIn.start()
        loop = EventLoop(name: "model-client-test")
        loop.start()
        http = HTTPClient(loop: loop)
    }

    override func tearDown() {
        http.close()
        loop.stop()
        standIn.stop()
    }

    private func endpoint(retries: Int = 2, firstByte: Int = 2_000) -> ChatCompletionsEndpoint {
        var endpoint = ChatCompletionsEndpoint(baseURL: standIn.baseURL, model: "gpt-4o-mini", apiKey: Secret("sk-test-client"))
        endpoint.maxRetries = retries
        endpoint.baseBackoffMilliseconds = 20
        endpoint.timeouts.firstByteMilliseconds = firstByte
        return endpoint
    }

    /// Streams one completion; returns the text pieces and the final event.
    private func run(_ endpoint: ChatCompletionsEndpoint) -> (pieces: [String], end: ChatStreamEvent?) {
        let client = ChatCompletionsClient(endpoint: endpoint, http: http)
        let pieces = LockedBox<[String]>([])
        let end = LockedBox<ChatStreamEvent?>(nil)
        let done = DispatchSemaphore(value: 0)
        client.stream(messages: [.system("Be brief."), .user("hi")], toolsJSON: "[]") { event in
            switch event {
            case .text(let piece): pieces.mutate { $0.append(piece) }
            default:
                end.value = event
                done.signal()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success, "the stream never finished")
        return (pieces.value, end.value)
    }

    private func failure(_ event: ChatStreamEvent?) -> ModelFailure? {
        if case .failed(let failure) = event { return failure }
        return nil
    }

    func testTextStreamsInPiecesThenCompletes() {
        standIn.enqueue(.text("Your order ships tomorrow. Anything else?"))
        let (pieces, end) = run(endpoint())
        XCTAssertGreaterThan(pieces.count, 3, "content arrives piece by piece")
        XCTAssertEqual(pieces.joined(), "Your order ships tomorrow. Anything else?")
        guard case .completed(let completion) = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(completion.finishReason, "stop")
        XCTAssertEqual(standIn.requests.first?.headers["authorization"], "Bearer sk-test-client")
        XCTAssertEqual(standIn.requests.first?.headers["accept"], "text/event-stream")
    }

    func testToolCallsSplitAcrossChunksAreReassembled() {
        standIn.enqueue(.toolCalls([StandInToolCall("lookup_order", #"{"order_id":"ORD-12345"}"#), StandInToolCall("search_faq", #"{"query":"returns"}"#)]))
        let (_, end) = run(endpoint())
        guard case .completed(let completion) = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(completion.finishReason, "tool_calls")
        XCTAssertEqual(completion.toolCalls.map(\.name), ["lookup_order", "search_faq"])
        XCTAssertEqual(completion.toolCalls.map(\.arguments), [#"{"order_id":"ORD-12345"}"#, #"{"query":"returns"}"#])
        XCTAssertTrue(completion.toolCalls.allSatisfy { $0.id.hasPrefix("call_") })
    }

    func test429WithRetryAfterIsRetriedAfterTheServersDelay() {
        standIn.enqueue(.failure(.status(429, retryAfter: "1")), .text("Done."))
        let started = Date()
        let (_, end) = run(endpoint())
        let elapsed = Date().timeIntervalSince(started)
        guard case .completed = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(standIn.requests.count, 2)
        XCTAssertGreaterThanOrEqual(elapsed, 0.95, "Retry-After: 1 is honoured")
        XCTAssertLessThan(elapsed, 2.5)
    }

    func testRetryAfterAsHTTPDateAndItsCap() {
        let now = Date(timeIntervalSince1970: 1_445_412_480)   // Wed, 21 Oct 2015 07:28:00 GMT
        XCTAssertEqual(RetryPolicy.milliseconds(retryAfter: "Wed, 21 Oct 2015 07:28:03 GMT", now: now), 3_000)
        XCTAssertEqual(RetryPolicy.milliseconds(retryAfter: "2", now: now), 2_000)
        XCTAssertNil(RetryPolicy.milliseconds(retryAfter: "soon", now: now))
        let policy = RetryPolicy(maxRetries: 2, baseMilliseconds: 100, capMilliseconds: 1_000)
        XCTAssertNil(policy.delay(retry: 1, retryAfter: "30"), "longer than the cap: give up at once")
        let delays = (1...3).map { policy.delay(retry: $0, retryAfter: nil)! }
        XCTAssertTrue((50...100).contains(delays[0]) && (100...200).contains(delays[1]) && (200...400).contains(delays[2]), "\(delays)")
    }

    func testServerErrorsAreRetriedThenReported() {
        standIn.enqueue(.failure(.status(500, retryAfter: nil)), .failure(.status(500, retryAfter: nil)), .failure(.status(503, retryAfter: nil)))
        let (_, end) = run(endpoint(retries: 2))
        XCTAssertEqual(failure(end)?.reason, .serverError)
        XCTAssertEqual(failure(end)?.attempts, 3)
        XCTAssertEqual(standIn.requests.count, 3)
        XCTAssertTrue(failure(end)?.message.contains("HTTP 503") ?? false, "\(String(describing: end))")
    }

    func testAHangingServerTimesOutAndIsRetried() {
        standIn.enqueue(.failure(.hang), .failure(.hang))
        let started = Date()
        let (_, end) = run(endpoint(retries: 1, firstByte: 300))
        XCTAssertEqual(failure(end)?.reason, .timeout)
        XCTAssertEqual(standIn.requests.count, 2)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    func testAMalformedChunkFailsWithoutRetrying() {
        standIn.enqueue(.failure(.malformedChunk))
        let (_, end) = run(endpoint())
        XCTAssertEqual(failure(end)?.reason, .malformed)
        XCTAssertEqual(standIn.requests.count, 1)
    }

    func testADropBeforeAnyTextIsRetriedButNotAfterTextWasPassedOn() {
        standIn.enqueue(.failure(.dropMidStream(text: "")), .text("Recovered."))
        guard case .completed = run(endpoint()).end else { return XCTFail("a drop before any content is retried") }
        XCTAssertEqual(standIn.requests.count, 2)

        standIn.reset()
        standIn.enqueue(.failure(.dropMidStream(text: "Let me check that ")), .text("never asked"))
        let (pieces, end) = run(endpoint())
        XCTAssertEqual(pieces.joined(), "Let me check that ")
        XCTAssertEqual(failure(end)?.reason, .connection)
        XCTAssertEqual(standIn.requests.count, 1, "text already reached the caller: no retry")
    }

    func testAWrongKeyIsRejectedWithoutRetryAndWithoutEchoingTheKey() {
        var endpoint = endpoint()
        endpoint.apiKey = Secret("sk-wrong-key-123")
        let (_, end) = run(endpoint)
        XCTAssertEqual(failure(end)?.reason, .rejected)
        XCTAssertEqual(standIn.requests.count, 1)
        XCTAssertFalse(failure(end)?.message.contains("sk-wrong") ?? true)
        XCTAssertEqual("\(endpoint)".contains("sk-wrong"), false, "the endpoint prints without its key")
    }
}
