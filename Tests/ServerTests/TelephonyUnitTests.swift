import Foundation
import Host
import HostAudio
import HostModels
import HostNet
@testable import HostOrchestration
@testable import HostServer
@testable import HostSupport
@testable import HostVoice
import TestSupport
import XCTest

/// Redaction on real-looking text (typed and as recognisers write speech).
final class RedactionTests: XCTestCase {
    let all = Redaction(Set(Redaction.Kind.allCases))

    func testWrittenCardNumbersSSNsPhonesAndEmailsAreReplaced() {
        XCTAssertEqual(all.apply("my card is 4242 4242 4242 4242, expiry 12/29"), "my card is [card number], expiry 12/29")
        XCTAssertEqual(all.apply("card 4000-0566-5566-5556 please"), "card [card number] please")
        XCTAssertEqual(all.apply("SSN 123-45-6789."), "SSN [ssn].")
        XCTAssertEqual(all.apply("call me at (415) 555-0132 or +44 20 7946 0958"), "call me at ([phone] or [phone]")
        XCTAssertEqual(all.apply("it's jane.doe+billing@example.co.uk thanks"), "it's [email] thanks")
        XCTAssertEqual(all.apply("reach me on 415.555.0132"), "reach me on [phone]")
    }

    func testSpokenDigitsAsARecogniserWritesThemAreReplaced() {
        XCTAssertEqual(all.apply("my card number is four two four two four two four two four two four two four two four two"),
                       "my card number is [card number]")
        XCTAssertEqual(all.apply("social is one two three four five six seven eight nine"), "social is [ssn]")
        XCTAssertEqual(all.apply("call me back on four one five five five five oh one three two"), "call me back on [phone]")
        XCTAssertEqual(all.apply("my number is four one five double five five zero one three two ok"), "my number is [phone] ok")
        XCTAssertEqual(all.apply("it is jane dot doe at example dot com"), "it is [email]")
    }

    func testWhatMatchesNothingIsLeftAlone() {
        let untouched = [
            "I need a refund for order one two three four five",     // an order id: 5 digits
            "order ORD-45045 cost 129.99 on 2024-03-01",
            "oh I see, one more thing",
            "4242 4242 4242 4241",                                    // fails Luhn, 16 digits: not a phone either
            "look at the dot on the map",
        ]
        for text in untouched { XCTAssertEqual(all.apply(text), text) }
        // Only the tenant's kinds: a card-only tenant keeps the e-mail.
        XCTAssertEqual(Redaction([.cardNumber]).apply("4242424242424242 jane@example.com"), "[card number] jane@example.com")
        XCTAssertEqual(Redaction().apply("4242424242424242"), "4242424242424242")
    }

    func testTwoNumbersInSeparateSentencesAreJudgedSeparately() {
        XCTAssertEqual(all.apply("Order 12345. My number is 415 555 0132."), "Order 12345. My number is [phone].")
    }
}

/// `TwilioCalls` against the stand-in: what Twilio answers to a wrong token, an unknown or
/// finished call, and the TwiML the host writes.
final class TwilioCallsTests: XCTestCase {
    private var twilio: TwilioRESTStandIn!
    private var loop: EventLoop!
    private var http: HTTPClient!

    override func setUpWithError() throws {
        twilio = try TwilioRESTStandIn()
        loop = EventLoop(name: "twilio-calls-test")
        loop.start()
        http = HTTPClient(loop: loop)
    }

    override func tearDown() {
        http?.close()
        loop?.stop()
        twilio?.stop()
    }

    private func update(token: String, callSid: String, twiml: String) async -> Result<Void, TwilioCalls.Failure> {
        var account = TwilioAccount(accountSID: twilio.accountSID, authToken: Secret(token), publicURL: "http://127.0.0.1:1")
        account.apiURL = twilio.url
        let calls = TwilioCalls(account: account, http: http)
        return await withCheckedContinuation { continuation in
            calls.update(callSid: callSid, twiml: twiml) { continuation.resume(returning: $0) }
        }
    }

    func testWrongTokenUnknownCallAndFinishedCallGetTwiliosErrors() async throws {
        let sid = "CA" + String(repeating: "0", count: 32)
        twilio.placeCall(sid)
        let dial = TwiML.dial("+15550100", whisperURL: "http://127.0.0.1:1/twilio/whisper/x")
        guard case .failure(let wrongToken) = await update(token: "nope", callSid: sid, twiml: dial) else { return XCTFail("a wrong token is refused") }
        XCTAssertTrue(wrongToken.description.contains("401") && wrongToken.description.contains("20003"), wrongToken.description)
        guard case .failure(let unknown) = await update(token: twilio.authToken, callSid: "CA" + String(repeating: "1", count: 32), twiml: dial) else {
            return XCTFail("an unknown call is refused")
        }
        XCTAssertTrue(unknown.description.contains("20404"), unknown.description)
        guard case .failure(let notASid) = await update(token: twilio.authToken, callSid: "CA1", twiml: dial) else { return XCTFail() }
        XCTAssertTrue(notASid.description.contains("not a Twilio call sid"), notASid.description)
        XCTAssertEqual(twilio.requests.count, 2, "a malformed sid never leaves the host")

        guard case .success = await update(token: twilio.authToken, callSid: sid, twiml: dial) else { return XCTFail("the update lands") }
        XCTAssertEqual(twilio.call(sid)?.dialed, "+15550100")
        twilio.finishCall(sid)
        guard case .failure(let finished) = await update(token: twilio.authToken, callSid: sid, twiml: dial) else { return XCTFail() }
        XCTAssertTrue(finished.description.contains("21220"), finished.description)
    }

    func testTheTwiMLDialsNumbersAndSIPAndEscapesTheSummary() {
        let number = TwiML.dial("+15550100", whisperURL: "https://voice.example.com/twilio/whisper/ab&c")
        XCTAssertTrue(number.contains(#"<Dial><Number url="https://voice.example.com/twilio/whisper/ab&amp;c" method="POST">+15550100</Number></Dial>"#), number)
        XCTAssertTrue(TwiML.dial("sip:queue@pbx.example", whisperURL: "u").contains("<Sip url=\"u\" method=\"POST\">sip:queue@pbx.example</Sip>"))
        XCTAssertEqual(TwiML.say("a <b> & \"c\""), #"<?xml version="1.0" encoding="UTF-8"?><Response><Say>a &lt;b&gt; &amp; &quot;c&quot;</Say></Response>"#)
        XCTAssertEqual(TwilioCalls.form(["Twiml": "<Response/> a&b=c"]), "Twiml=%3CResponse%2F%3E%20a%26b%3Dc")
    }
}

/// The recorder's file, and the retention sweep.
final class CallRecordingTests: XCTestCase {
    func testBothSidesLandOnOneTimelineAndOverlapWhereTheCallerTalkedOverTheAgent() throws {
        let directory = TemporaryDirectory(prefix: "recorder")
        let queue = DispatchQueue(label: "recorder-test")
        let recorder = CallRecorder(directory: directory.path, sampleRate: 8_000, queue: queue)
        let loud = [Int16](repeating: 8_000, count: 160)
        // 1 s of agent speech; the caller starts talking 0.5 s in (a barge-in), the agent stops.
        // The recorder places buffers by when they are handed over: the expected times are the
        // hand-over times measured here (a loaded machine oversleeps the 20 ms pacing).
        let t0 = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
        var callerBegan = 0.0, agentEnded = 0.0
        for frame in 0..<50 {
            if frame == 25 { callerBegan = elapsed() - 0.02 }
            recorder.agent(loud[...])
            if frame >= 25 { recorder.caller(MuLaw.encode(loud), mulaw: true) } else { recorder.caller([UInt8](repeating: 0xFF, count: 160), mulaw: true) }
            if frame == 30 { recorder.name(sessionID: "s-1") }
            usleep(20_000)
        }
        agentEnded = elapsed()
        for _ in 0..<25 { recorder.caller(MuLaw.encode(loud), mulaw: true); usleep(20_000) }
        let total = elapsed()
        let done = DispatchSemaphore(value: 0)
        let path = LockedBox<String?>(nil)
        recorder.finish { path.value = $0; done.signal() }
        XCTAssertNil(done.wait(seconds: 30, for: "the recorder's finish"))
        XCTAssertEqual(path.value, directory.file("s-1.wav"))
        let wav = try Data(contentsOf: URL(fileURLWithPath: directory.file("s-1.wav")))
        let (channels, rate, left, right) = TwilioTransferTests.stereo(wav)
        XCTAssertEqual(channels, 2)
        XCTAssertEqual(rate, 8_000)
        let seconds = Double(left.count) / 8_000
        XCTAssertEqual(seconds, total, accuracy: 0.1, "the file is as long as the call")
        let callerStart = Double(TwilioTransferTests.firstLoud(left) ?? 0) / 8_000
        XCTAssertEqual(callerStart, callerBegan, accuracy: 0.06, "the caller's speech starts where it was handed over (about 0.5 s in)")
        let agentEnd = Double((right.lastIndex { abs($0) > 1_000 } ?? 0)) / 8_000
        XCTAssertEqual(agentEnd, agentEnded, accuracy: 0.06, "the agent stops after the caller started: the overlap is visible")
        XCTAssertLessThan(callerStart, agentEnd - 0.2, "caller and agent overlap")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("s-1.wav.partial")))
    }

    func testARecordingWithoutASessionLeavesNoFile() {
        let directory = TemporaryDirectory(prefix: "recorder")
        let recorder = CallRecorder(directory: directory.path, sampleRate: 8_000, queue: DispatchQueue(label: "r"))
        recorder.agent([Int16](repeating: 1, count: 160)[...])
        let done = DispatchSemaphore(value: 0)
        recorder.finish { XCTAssertNil($0); done.signal() }
        XCTAssertNil(done.wait(seconds: 30, for: "the recorder's finish"))
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.count, 0)
    }

    func testTheSweepDeletesOnlyRecordingsPastRetention() throws {
        let directory = TemporaryDirectory(prefix: "sweep")
        for name in ["old.wav", "new.wav", "old.txt"] {
            _ = FileManager.default.createFile(atPath: directory.file(name), contents: Data([1]))
        }
        let fortyDaysAgo = Date().addingTimeInterval(-40 * 86_400)
        for name in ["old.wav", "old.txt"] {
            try FileManager.default.setAttributes([.modificationDate: fortyDaysAgo], ofItemAtPath: directory.file(name))
        }
        XCTAssertEqual(RecordingSweep.run(directory: directory.path, retentionDays: 30), ["old.wav"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("new.wav")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("old.txt")), "only recordings are swept")
    }
}
