import Foundation
import HostModels
import HostNet
import HostSpeech
import ModelStandIn
import TestSupport
import XCTest

/// Cloud speech against the audio stand-in: transcription (multipart upload) and streamed speech.
final class CloudSpeechTests: XCTestCase {
    var standIn: ChatCompletionsStandIn!
    var loop: EventLoop!
    var http: HTTPClient!

    override func setUpWithError() throws {
        standIn = ChatCompletionsStandIn(apiKey: "sk-audio")
        try standIn.start()
        loop = EventLoop(name: "cloud-speech-test")
        loop.start()
        http = HTTPClient(loop: loop)
    }

    override func tearDown() {
        http.close()
        loop.stop()
        standIn.stop()
    }

    private func endpoint(_ model: String, key: String = "sk-audio") -> AudioEndpoint {
        AudioEndpoint(baseURL: standIn.baseURL, model: model, apiKey: Secret(key))
    }

    func testAnUtteranceIsUploadedAsWAVAndTheTranscriptNormalised() throws {
        standIn.audio.setTranscript("I need a refund for order ORD-12345, please.")
        let session = CloudRecognizer(endpoint: endpoint("gpt-4o-transcribe"), http: http).makeSession()
        let tone = (0..<8_000).map { Int16(3_000 * sin(Double($0) * 0.1)) }
        session.accept(samples: Array(tone[..<3_000]))
        session.accept(samples: Array(tone[3_000...]))
        try session.useGrammar(.yesNo)
        let result = LockedBox<Result<Transcript, SpeechError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        session.finish { result.value = $0; done.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        let transcript = try XCTUnwrap(result.value).get()
        XCTAssertEqual(transcript.text, "i need a refund for order ord-12345 please")
        XCTAssertEqual(transcript.audioSeconds, 0.5, accuracy: 0.001)

        let request = try XCTUnwrap(standIn.audio.requests.last)
        XCTAssertEqual(request.path, "/v1/audio/transcriptions")
        XCTAssertEqual(request.headers["authorization"], "Bearer sk-audio")
        let body = request.text
        XCTAssertTrue(body.contains("name=\"model\"\r\n\r\ngpt-4o-transcribe"), "the model field")
        XCTAssertTrue(body.contains("name=\"prompt\"\r\n\r\n"), "the grammar's words as a hint")
        let riff = Array("RIFF".utf8)
        let start = try XCTUnwrap(request.body.firstRange(of: riff)).lowerBound
        XCTAssertEqual(Array(request.body[(start + 40)..<(start + 44)]), [0x80, 0x3E, 0, 0], "data chunk: 8000 samples × 2 bytes")
    }

    func testATranscriptionFailureIsAnEngineFailureWithoutTheKey() throws {
        let session = CloudRecognizer(endpoint: endpoint("whisper-1", key: "sk-wrong"), http: http).makeSession()
        session.accept(samples: [Int16](repeating: 100, count: 1_600))
        let result = LockedBox<Result<Transcript, SpeechError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        session.finish { result.value = $0; done.signal() }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        guard case .failure(let error)? = result.value else { return XCTFail("a 401 must fail") }
        XCTAssertTrue("\(error)".contains("HTTP 401"), "\(error)")
        XCTAssertFalse("\(error)".contains("sk-wrong"))
    }

    func testSpeechStreamsPCMSentenceBySentence() async throws {
        let synthesizer = CloudSynthesizer(endpoint: endpoint("gpt-4o-mini-tts"), http: http)
        XCTAssertEqual(synthesizer.sampleRate, 24_000)
        let text = "Your refund is approved. It takes five business days."
        var chunks = 0
        var sentences: [String] = []
        var samples = 0
        var summary: SynthesisSummary?
        for await event in synthesizer.synthesize(text: text, voice: "verse") {
            switch event {
            case .audio(let chunk):
                chunks += 1
                samples += chunk.samples.count
                XCTAssertEqual(chunk.sampleRate, 24_000)
            case .sentenceFinished(_, let sentence): sentences.append(sentence)
            case .finished(let done): summary = done
            case .cancelled, .failed: XCTFail("\(event)")
            }
        }
        XCTAssertEqual(sentences, ["Your refund is approved.", "It takes five business days."])
        let expected = (AudioStandIn.speechBytes(for: sentences[0]) + AudioStandIn.speechBytes(for: sentences[1])) / 2
        XCTAssertEqual(samples, expected)
        XCTAssertGreaterThan(chunks, 2, "audio arrives in pieces, not as one buffer")
        XCTAssertEqual(summary?.samples, expected)
        XCTAssertNotNil(summary?.firstAudioSeconds)
        let requests = standIn.audio.requests
        XCTAssertEqual(requests.count, 2)
        XCTAssertTrue(requests[0].text.contains(#""response_format":"pcm""#) && requests[0].text.contains(#""voice":"verse""#), requests[0].text)
    }

    func testACancelledSpeechRequestEndsCancelled() async {
        let synthesizer = CloudSynthesizer(endpoint: endpoint("tts-1"), http: http)
        let job = LockedBox<SynthesisJob?>(nil)
        let last = LockedBox<SynthesisEvent?>(nil)
        let done = DispatchSemaphore(value: 0)
        job.value = synthesizer.synthesize(text: "One. Two. Three. Four.", voice: nil) { event in
            if case .sentenceFinished = event { job.value?.cancel() }
            if event.isTerminal { last.value = event; done.signal() }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        guard case .cancelled? = last.value else { return XCTFail("\(String(describing: last.value))") }
        XCTAssertLessThan(standIn.audio.requests.count, 4)
    }
}
