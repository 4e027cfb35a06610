import Foundation
import Host
import XCTest

/// A tenant's `voice:` section: Realtime mode and cloud speech (docs/models.md).
extension HostConfigurationTests {
    /// A tenant whose `voice:` mapping is `body` (indented under it, from line 6).
    func voiceYAML(_ body: String) -> String {
        """
        tenants:
          - id: acme
            plugins: [com.x.a]
            entry_agent: com.x.a
            voice:

        """ + body.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n") + "\n"
    }

    func testRealtimeModeWithDefaultsAndTheKeyFromTheEnvironment() throws {
        let voice = try parse(voiceYAML("mode: realtime\nrealtime:\n  api_key_env: RT_KEY\n  stall_timeout_ms: 3000"),
                              environment: ["RT_KEY": "sk-rt"]).tenants[0].voice
        XCTAssertEqual(voice.mode, .realtime)
        let realtime = try XCTUnwrap(voice.realtime)
        XCTAssertEqual(realtime.url, "wss://api.openai.com/v1/realtime")
        XCTAssertEqual(realtime.model, "gpt-realtime")
        XCTAssertEqual(realtime.apiKey.reveal(), "sk-rt")
        XCTAssertEqual(realtime.stallTimeoutMilliseconds, 3_000)
        XCTAssertFalse("\(voice)".contains("sk-rt"), "the key prints as <redacted>")
        XCTAssertNil(voice.transcription)
    }

    func testCloudSpeechEndpointsTakeTheirModelsAndVoice() throws {
        let voice = try parse(voiceYAML("""
            stt: openai
            tts: openai
            openai:
              api_key_env: OA_KEY
              tts_voice: coral
            """), environment: ["OA_KEY": "sk-oa"]).tenants[0].voice
        XCTAssertEqual(voice.mode, .cascaded)
        XCTAssertEqual(voice.transcription?.model, "gpt-4o-transcribe")
        XCTAssertEqual(voice.transcription?.baseURL, "https://api.openai.com/v1")
        XCTAssertEqual(voice.speech?.model, "gpt-4o-mini-tts")
        XCTAssertEqual(voice.speech?.voice, "coral")
        XCTAssertEqual(voice.speech?.apiKey?.reveal(), "sk-oa")
    }

    func testVoiceErrorsSayWhereAndWhatToDo() {
        assertError(voiceYAML("mode: speech"), #"t.yaml:6:13: tenant "acme": voice.mode: "speech" is not one of cascaded, realtime"#)
        assertError(voiceYAML("mode: realtime"),
                    #"t.yaml:6:13: tenant "acme": voice.mode: realtime needs a realtime: section with the key (api_key_env or api_key_file)"#)
        assertError(voiceYAML("mode: realtime\nrealtime: {model: gpt-realtime}"),
                    #"t.yaml:7:17: tenant "acme": voice.realtime: the Realtime API needs a key: api_key_env (an environment variable) or api_key_file"#)
        assertError(voiceYAML("realtime: {api_key_env: RT_KEY}"),
                    #"t.yaml:6:31: tenant "acme": voice.realtime.api_key_env: environment variable RT_KEY is not set (export it before starting the host)"#)
        assertError(voiceYAML("realtime: {api_key_env: K, url: https://api.openai.com/v1/realtime}"), #"t.yaml:6:39: tenant "acme": voice.realtime.url: "https://api.openai.com/v1/realtime" must be a wss:// URL such as wss://api.openai.com/v1/realtime"#,
                    environment: ["K": "k"])
        assertError(voiceYAML("realtime: {api_key_env: K, url: ws://rt.example.com/v1/realtime}"),
                    #"t.yaml:6:39: tenant "acme": voice.realtime.url: the API key would travel unencrypted to rt.example.com: use wss:// (ws:// only for a server on this machine)"#,
                    environment: ["K": "k"])
        assertError(voiceYAML("realtime: {api_key_env: K, connect_timeout_ms: 5}"),
                    #"t.yaml:6:54: tenant "acme": voice.realtime.connect_timeout_ms: must be between 100 and 60000, got 5"#, environment: ["K": "k"])
        assertError(voiceYAML("tts: cloud"), #"t.yaml:6:12: tenant "acme": voice.tts: "cloud" is not one of offline, openai"#)
        assertError(voiceYAML("stt: openai"),
                    #"t.yaml:6:12: tenant "acme": voice.stt: openai needs an openai: section (base_url, api_key_env or api_key_file, models)"#)
        assertError(voiceYAML("tts: openai\nopenai: {base_url: http://tts.example.com/v1, api_key_env: K}"),
                    #"t.yaml:7:26: tenant "acme": voice.openai.base_url: the API key would travel unencrypted to tts.example.com: use https:// (or no key for a server on this machine)"#,
                    environment: ["K": "k"])
        assertError(voiceYAML("openai: {api_key: sk-pasted}"), #"t.yaml:6:16: tenant "acme": voice.openai: unknown key "api_key" (did you mean "api_key_env"?)"#)
    }

    func testAKeyFileMustBePrivate() throws {
        let path = NSTemporaryDirectory() + "rt-key-\(getpid())"
        try "sk-from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        chmod(path, 0o644)
        XCTAssertThrowsError(try parse(voiceYAML("mode: realtime\nrealtime: {api_key_file: \(path)}"))) { error in
            XCTAssertTrue("\(error)".contains("chmod 600"), "\(error)")
            XCTAssertFalse("\(error)".contains("sk-from-file"))
        }
        chmod(path, 0o600)
        XCTAssertEqual(try parse(voiceYAML("mode: realtime\nrealtime: {api_key_file: \(path)}")).tenants[0].voice.realtime?.apiKey.reveal(), "sk-from-file")
    }
}
