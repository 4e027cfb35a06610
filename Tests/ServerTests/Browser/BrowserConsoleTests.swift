import Foundation
import Host
import HostAudio
import HostNet
import HostSpeech
import HostSupport
import HostTenancy
import HostTestSupport
import TestSupport
import XCTest

/// The playground and the console in a real browser (docs/console.md): headless Chromium whose
/// fake microphone plays a caller's request (flite speech in a WAV file), the real
/// `agent-host serve` with real Redis. The page gets a ticket with the tenant key, streams the
/// microphone over WS /ws/voice, hears the routing and the agent's audio; an operator signed in
/// with the admin key sees the live call and its transcript, then its history once it ended.
/// Skips only when chromium is not installed (scripts/setup installs it, so CI runs it).
final class BrowserConsoleTests: HostProcessTestCase {
    static let tenantKey = "tenant-secret-playground"
    static let adminKey = "admin-secret-console"

    func testThePlaygroundTalksToTheAgentAndTheConsoleShowsTheLiveCall() async throws {
        guard let chromium = HeadlessChromium.executable else {
            throw XCTSkip("chromium is not installed (apt-get install chromium; scripts/setup installs it): the browser test needs it")
        }
        // The caller's request, as a microphone would hear it: silence, the sentence, silence.
        let speech = try await FliteSynthesizer().synthesizeAll(text: "I need a refund for order one two three four five.").samples
        let wav = directory.file("caller.wav")
        let silence = { (ms: Int) in [Int16](repeating: 0, count: ms * 16) }
        try WAVFile.write(WAVAudio(samples: silence(1_500) + speech + silence(3_000), sampleRate: 16_000), to: wav)

        let port = try LoopbackPort.free(), adminPort = try LoopbackPort.free()
        let config = directory.file("console.yaml")
        try (demoYAML(port: port, journal: "console", tenantLimits: "    api_keys: [\"\(APIKeys.hash(Self.tenantKey))\"]")
             + "admin:\n  host: 127.0.0.1\n  port: \(adminPort)\n  api_keys: [\"\(APIKeys.hash(Self.adminKey))\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("console", config: config, port: port)

        // The pages carry a strict Content-Security-Policy.
        let head = try curl(["-s", "-D", "-", "-o", "/dev/null", "-w", "\n%{http_code}", host.url + "/console/playground"])
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.contains("Content-Security-Policy: default-src 'none'; script-src 'self'"), head.body)

        let browser = try HeadlessChromium(executable: chromium, microphoneWAV: wav)
        defer { browser.stop() }
        let playground = try browser.page()
        defer { playground.close() }
        try playground.navigate(host.url + "/console/playground")
        let caller = "+15557770001"
        _ = try playground.evaluate("""
            document.getElementById('key').value = \(quoted(Self.tenantKey));
            document.getElementById('caller').value = \(quoted(caller));
            document.getElementById('greet').checked = false;
            document.getElementById('talk').click(); true
            """)
        let connected = try playground.waitFor("window.playground.framesSent > 20", timeout: 20)
        XCTAssertTrue(connected, "the playground streams its microphone: \(playground.text("JSON.stringify(window.playground)"))")

        // Heard, routed and answered in audio; the page shows it.
        let routed = try playground.waitFor("""
            window.playground.heard.length > 0 && window.playground.agents.includes('Refund Agent')
              && window.playground.events.some(e => e.type === 'turn_end') && window.playground.audioFramesReceived > 25
            """, timeout: 60)
        let state = try playground.evaluate("JSON.stringify({status: window.playground.status, heard: window.playground.heard, agents: window.playground.agents, audio: window.playground.audioFramesReceived, events: window.playground.events.map(e => e.type)})") as? String ?? ""
        XCTAssertTrue(routed, "the spoken request was heard, routed to the Refund Agent and answered in audio: \(state)\n\(host.logText.suffix(2000))")
        XCTAssertEqual(try playground.evaluate("document.querySelectorAll('#transcript li.handoff').length > 0") as? Bool, true, "the handoff shows in the page")
        XCTAssertEqual(try playground.evaluate("document.querySelectorAll('#events li[data-type=tool_call]').length > 0") as? Bool, true, "tool calls show in the events")
        let heard = try playground.evaluate("document.getElementById('heard').textContent") as? String ?? ""
        XCTAssertTrue(heard.lowercased().contains("refund"), "what was heard: \(heard)")
        try screenshot(playground, "console-playground.png")

        // Typing works in the same session.
        _ = try playground.evaluate("""
            document.getElementById('text').value = 'It arrived damaged.';
            document.getElementById('text-form').requestSubmit(); true
            """)
        XCTAssertTrue(try playground.waitFor("""
            window.playground.heard.some(h => h.includes('damaged')) && window.playground.events.filter(e => e.type === 'turn_end').length >= 2
            """, timeout: 30), "a typed line is a turn of the same call: \(playground.text("JSON.stringify(window.playground.events.map(e => e.type))"))")

        // The operator: signs in with the admin key, sees the live call, watches its transcript.
        let console = try browser.page(opening: host.url + "/console")
        defer { console.close() }
        _ = try console.waitFor("document.readyState === 'complete' && document.getElementById('signin')", timeout: 10)
        _ = try console.evaluate("""
            document.getElementById('admin-key').value = \(quoted(Self.adminKey));
            document.getElementById('signin').requestSubmit(); true
            """)
        let listed = try console.waitFor("document.querySelector('#live tr[data-session]') && document.querySelector('#live tbody').textContent.includes(\(quoted(caller)))", timeout: 15)
        XCTAssertTrue(listed, "the console lists the live call: \(console.text("document.body.innerText"))")
        XCTAssertEqual(try console.evaluate("document.querySelector('#live tbody').textContent.includes('voice')") as? Bool, true, "its channel is voice")
        _ = try console.evaluate("document.querySelector('#live tr[data-session] button').click(); true")
        let watched = try console.waitFor("[...document.querySelectorAll('#watch-transcript li.user')].some(li => li.textContent.toLowerCase().includes('refund')) && document.querySelectorAll('#watch-transcript li.handoff').length > 0", timeout: 15)
        XCTAssertTrue(watched, "the console shows the call's transcript: \(console.text("document.getElementById('watch').innerText"))")
        try screenshot(console, "console-live.png")

        // Charts and plugins come from their endpoints and draw.
        _ = try console.evaluate("document.querySelector('#tabs button[data-tab=charts]').click(); true")
        XCTAssertTrue(try console.waitFor("window.consoleState.stats && window.consoleState.stats.minutes.some(m => m.turns > 0) && document.querySelectorAll('#chart-turns rect').length > 0", timeout: 15),
                      "the charts count the turn")
        try screenshot(console, "console-charts.png")
        _ = try console.evaluate("document.querySelector('#tabs button[data-tab=plugins]').click(); true")
        XCTAssertTrue(try console.waitFor("document.getElementById('plugins').textContent.includes('libRefund.so') && document.getElementById('tenants').textContent.includes('demo')", timeout: 15),
                      "the plugins tab lists the files and tenants")
        try screenshot(console, "console-plugins.png")

        // Hang up from the page: the record reaches Redis and the history tab shows it.
        _ = try playground.evaluate("document.getElementById('hangup').click(); true")
        XCTAssertTrue(eventually(15) { (try? storedSessionIDs(caller: caller).isEmpty) == false }, "the call was recorded in Redis")
        _ = try console.evaluate("""
            document.querySelector('#tabs button[data-tab=history]').click();
            document.getElementById('history-caller').value = \(quoted(caller));
            document.getElementById('history-form').requestSubmit(); true
            """)
        XCTAssertTrue(try console.waitFor("document.querySelectorAll('#history .interaction').length > 0 && document.getElementById('history').textContent.includes('Refund Agent')", timeout: 15),
                      "the history shows the stored interaction: \(console.text("document.getElementById('history').innerText"))")
        try screenshot(console, "console-history.png")
    }

    /// Operator endpoints need the admin key; the playground's ticket needs the tenant key, and a
    /// ticket opens one socket only. An operator lists a chat session, reads its events from a
    /// position, and ends it: the caller gets `end` (operator_ended) and the record is written.
    func testConsoleKeysOneUseTicketsAndAnOperatorEndingAChatSession() throws {
        let port = try LoopbackPort.free()
        let config = directory.file("keys.yaml")
        try (demoYAML(port: port, journal: "keys", tenantLimits: "    api_keys: [\"\(APIKeys.hash(Self.tenantKey))\"]")
             + "admin:\n  host: 127.0.0.1\n  port: \(try LoopbackPort.free())\n  api_keys: [\"\(APIKeys.hash(Self.adminKey))\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("keys", config: config, port: port)
        XCTAssertEqual(try get(host.url + "/console/v1/sessions").status, 401)
        XCTAssertEqual(try curl(["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(Self.tenantKey)", host.url + "/console/v1/sessions"]).status, 401,
                       "a tenant key is not an admin key")
        XCTAssertEqual(try curl(["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(Self.adminKey)", host.url + "/console/v1/sessions"]).status, 200)
        XCTAssertEqual(try post(host.url + "/console/v1/ticket?tenant=demo", "{}").status, 401, "no ticket without the tenant key")
        XCTAssertEqual(try get(host.url + "/console/v1/ticket?tenant=demo").status, 405)
        let issued = try post(host.url + "/console/v1/ticket?tenant=demo", "{}", headers: ["Authorization: Bearer \(Self.tenantKey)"])
        XCTAssertEqual(issued.status, 200, issued.body)
        let ticket = issued.json["ticket"] as? String ?? ""
        let url = "ws://127.0.0.1:\(port)/ws/chat/%2B15550001?tenant=demo&ticket=\(ticket)"
        let first = try BlockingWebSocket(url: url)
        XCTAssertThrowsError(try BlockingWebSocket(url: url), "a ticket opens one socket only")

        // The operator sees the chat session, reads its events and ends it.
        first.send(text: #"{"type":"text","text":"I need a refund for order ORD-12345"}"#)
        XCTAssertTrue(receive(first, until: "turn_end"), "the turn is answered")
        let admin = ["-H", "Authorization: Bearer \(Self.adminKey)"]
        let listed = try curl(["-s", "-w", "\n%{http_code}"] + admin + [host.url + "/console/v1/sessions"])
        let session = try XCTUnwrap((listed.json["sessions"] as? [[String: Any]])?.first { $0["caller"] as? String == "+15550001" }, listed.body)
        XCTAssertEqual(session["channel"] as? String, "chat")
        XCTAssertEqual(session["tenant"] as? String, "demo")
        let id = try XCTUnwrap(session["session_id"] as? String)
        let events = try curl(["-s", "-w", "\n%{http_code}"] + admin + [host.url + "/console/v1/sessions/\(id)?after=0"])
        XCTAssertTrue(events.types.contains("user") && events.types.contains("tool_call") && events.types.contains("turn_end"), events.body)
        let next = events.json["next"] as? Int ?? -1
        XCTAssertEqual(try curl(["-s", "-w", "\n%{http_code}"] + admin + [host.url + "/console/v1/sessions/\(id)?after=\(next)"]).events.count, 0,
                       "after=next holds nothing new")
        let ended = try curl(["-s", "-w", "\n%{http_code}", "-X", "POST"] + admin + [host.url + "/console/v1/sessions/\(id)/end"])
        XCTAssertEqual(ended.status, 202, ended.body)
        XCTAssertTrue(receive(first, until: #""reason":"operator_ended""#), "the caller's socket gets end with reason operator_ended")
        XCTAssertTrue(eventually(10) { (try? storedSessionIDs(caller: "+15550001")) == [id] }, "the ended session is recorded")
        XCTAssertEqual(try curl(["-s", "-w", "\n%{http_code}", "-X", "POST"] + admin + [host.url + "/console/v1/sessions/\(id)/end"]).status, 404)
        let stats = try curl(["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(Self.adminKey)", host.url + "/console/v1/stats"])
        XCTAssertEqual((stats.json["minutes"] as? [Any])?.count, 60, stats.body)
    }

    func testTheConsoleCanBeSwitchedOff() throws {
        let port = try LoopbackPort.free()
        let config = directory.file("off.yaml")
        try (demoYAML(port: port, journal: "off") + "console:\n  enabled: false\n").write(toFile: config, atomically: true, encoding: .utf8)
        let host = try launchHost("off", config: config, port: port)
        let reply = try get(host.url + "/console/playground")
        XCTAssertEqual(reply.status, 404)
        XCTAssertTrue(reply.body.contains("switched off"), reply.body)
        XCTAssertEqual(try post(host.url + "/console/v1/ticket?tenant=demo", "{}").status, 404, "no tickets either")
        XCTAssertEqual(try post(host.url + "/v1/chat", #"{"caller":"+15550009","text":"hello"}"#).status, 200, "the rest of the host serves")
    }

    private func quoted(_ text: String) -> String { JSONText.quote(text) }

    /// Reads text frames until one contains `marker`; false on close or timeout.
    private func receive(_ socket: BlockingWebSocket, until marker: String) -> Bool {
        while case .text(let text)? = socket.receive(timeoutSeconds: 15) {
            if text.contains(marker) { return true }
        }
        return false
    }

    /// Screenshots go to $CONSOLE_SCREENSHOTS (docs/images when refreshing docs/console.md), else the test's directory.
    private func screenshot(_ page: HeadlessChromium.Page, _ name: String) throws {
        let folder = ProcessInfo.processInfo.environment["CONSOLE_SCREENSHOTS"] ?? directory.path
        try page.screenshot(to: (folder as NSString).appendingPathComponent(name))
    }
}

/// Barge-in from the browser: the agent greets first, the caller talks over the greeting, the host
/// says `interrupted` and the page drops the audio it had queued; the request is still heard.
/// Then a typed line full of markup shows as text.
final class BrowserBargeInTests: HostProcessTestCase {
    func testTalkingOverTheGreetingInterruptsItAndThePageDropsItsQueuedAudio() async throws {
        guard let chromium = HeadlessChromium.executable else {
            throw XCTSkip("chromium is not installed (apt-get install chromium; scripts/setup installs it): the browser test needs it")
        }
        let speech = try await FliteSynthesizer().synthesizeAll(text: "I need a refund for order one two three four five.").samples
        let wav = directory.file("barge-in.wav")
        // The greeting starts when the call opens; the caller starts talking 1.5 s into it.
        try WAVFile.write(WAVAudio(samples: [Int16](repeating: 0, count: 24_000) + speech + [Int16](repeating: 0, count: 48_000),
                                   sampleRate: 16_000), to: wav)
        let host = try startHost("barge-in")
        let browser = try HeadlessChromium(executable: chromium, microphoneWAV: wav)
        defer { browser.stop() }
        let page = try browser.page()
        defer { page.close() }
        try page.navigate(host.url + "/console/playground")
        _ = try page.evaluate("""
            document.getElementById('caller').value = '+15557770002';
            document.getElementById('greet').checked = true;
            document.getElementById('talk').click(); true
            """)
        let interrupted = try page.waitFor("window.playground.events.some(e => e.type === 'interrupted') && window.playground.flushes > 0", timeout: 30)
        XCTAssertTrue(interrupted, "the greeting was interrupted: \(page.text("JSON.stringify(window.playground.events.map(e => e.type))"))")
        XCTAssertTrue(try page.waitFor("window.playground.agents.includes('Refund Agent')", timeout: 40),
                      "the request spoken over the greeting was heard and routed: \(page.text("JSON.stringify(window.playground.heard)"))")

        // What callers say is shown as text, never parsed as HTML (and the CSP forbids inline script anyway).
        _ = try page.evaluate("""
            document.getElementById('text').value = '<img src=x onerror="window.pwned = 1"> hello';
            document.getElementById('text-form').requestSubmit(); true
            """)
        XCTAssertTrue(try page.waitFor("window.playground.heard.some(h => h.includes('onerror'))", timeout: 30))
        XCTAssertEqual(try page.evaluate("document.querySelectorAll('#transcript img, #events img').length === 0 && window.pwned === undefined") as? Bool, true,
                       "the caller's markup stays text")
        _ = try page.evaluate("document.getElementById('hangup').click(); true")
    }
}
