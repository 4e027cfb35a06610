import FuzzKit
import HostTenancy

/// The operator's YAML configuration (`HostConfiguration.parse`, Yams + ConfigurationReader):
/// any text gives a configuration or a `ConfigurationError` whose place, when it has one, is
/// inside the text.
enum ConfigurationTarget {
    static let environment = ["API_KEY": "k", "EMPTY": "", "BACKEND_URL": "http://127.0.0.1:8090"]

    static let target = FuzzTarget(
        name: "config",
        summary: "YAML configuration loader: a configuration or a located ConfigurationError",
        dictionary: ["tenants:\n", "- id: acme\n", "  plugins:\n", "    - com.agenthost.support.triage\n", "  entry_agent: ", "server:\n",
                     "  port: ", "  limits:\n", "    max_header_bytes: ", "redis:\n", "  url: ", "plugins:\n", "default_tenant: ",
                     "  settings:\n", "  model:\n", "  voice:\n", "  turn_detection:\n", "    threshold: ", "  api_keys:\n",
                     "sha256:", "${API_KEY}", "${MISSING}", "${EMPTY:-x}", "$${", "&a ", "*a", "<<: *a", "!!str ", "!!int ", "!!binary ",
                     "? ", ": ", "- ", "{", "}", "[", "]", ",", "|\n", ">\n", "'", "\"", "\\x00", "\\u", "#", "---\n", "...\n",
                     "%YAML 1.2\n", "~", "null", ".inf", ".nan", "0x7FFFFFFFFFFFFFFF", "99999999999999999999", "-1", "1e309",
                     "\t", "  ", "\n"],
        maxInputLength: 4_096
    ) { input throws(FuzzFailure) in
        let text = String(decoding: input, as: UTF8.self)
        do throws(ConfigurationError) {
            _ = try HostConfiguration.parse(text, file: "fuzz.yaml", baseDirectory: "/nonexistent-fuzz", environment: environment)
            return signature(["ok"])
        } catch {
            let lines = lineCount(text)
            try fuzzCheck(error.line >= 0 && error.line <= lines + 1, "error line \(error.line) outside the text's \(lines) lines: \(error)")
            try fuzzCheck(!error.message.isEmpty, "an error without a message")
            return signature([error.message.prefix(48).description])
        }
    }
}

/// Lines as libyaml counts them: LF, CR, CR LF, NEL, LS and PS each end one.
func lineCount(_ text: String) -> Int {
    var lines = 1
    var previous: Unicode.Scalar?
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n" where previous == "\r": break
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
        default: break
        }
        previous = scalar
    }
    return lines
}
