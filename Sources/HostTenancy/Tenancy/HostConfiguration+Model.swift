import Foundation
import HostModels

/// The tenant's `model:` section (docs/models.md). The API key is read here, once, from the
/// environment variable or file named in the configuration — never written in it — and is never
/// echoed in an error.
extension HostConfiguration {
    static let modelKeys = ["provider", "base_url", "model", "api_key_env", "api_key_file", "ca_file", "temperature",
                            "max_tokens", "max_retries", "backoff_ms", "max_backoff_ms", "timeouts"]
    static let modelTimeoutKeys = ["connect_ms", "first_byte_ms", "idle_ms", "total_ms"]

    static func parseModel(_ section: ConfigurationMapping?, baseDirectory: String?) throws(ConfigurationError) -> ChatCompletionsEndpoint? {
        guard let section else { return nil }
        let provider = try section.string("provider") ?? "openai-compatible"
        guard provider == "openai-compatible" else {
            throw section.fail("provider", "\"\(provider)\" is not a known provider (openai-compatible: OpenAI, vLLM, llama.cpp server, Ollama)")
        }
        let baseURL = try section.requiredString("base_url")
        guard let host = urlHost(baseURL) else {
            throw section.fail("base_url", "\"\(baseURL)\" must be an http:// or https:// URL such as https://api.openai.com/v1")
        }
        let model = try section.requiredString("model")
        guard !model.isEmpty else { throw section.fail("model", "must name the model, e.g. gpt-4o-mini") }
        var endpoint = ChatCompletionsEndpoint(baseURL: baseURL, model: model)
        endpoint.apiKey = try apiKey(section, baseDirectory: baseDirectory)
        if endpoint.apiKey != nil, baseURL.hasPrefix("http://"), !isLoopback(host) {
            throw section.fail("base_url", "the API key would travel unencrypted to \(host): use https:// (or no key for a server on this machine)")
        }
        endpoint.caFile = try caFile(section, baseDirectory: baseDirectory)
        endpoint.temperature = try section.double("temperature", in: 0...2)
        endpoint.maxTokens = try section.int("max_tokens", in: 1...1_000_000)
        if let retries = try section.int("max_retries", in: 0...10) { endpoint.maxRetries = retries }
        if let ms = try section.int("backoff_ms", in: 1...60_000) { endpoint.baseBackoffMilliseconds = ms }
        if let ms = try section.int("max_backoff_ms", in: 1...300_000) { endpoint.maxBackoffMilliseconds = ms }
        if let timeouts = try section.mapping("timeouts", allowed: modelTimeoutKeys) {
            if let ms = try timeouts.int("connect_ms", in: 10...120_000) { endpoint.timeouts.connectMilliseconds = ms }
            if let ms = try timeouts.int("first_byte_ms", in: 10...600_000) { endpoint.timeouts.firstByteMilliseconds = ms }
            if let ms = try timeouts.int("idle_ms", in: 10...600_000) { endpoint.timeouts.idleMilliseconds = ms }
            if let ms = try timeouts.int("total_ms", in: 10...3_600_000) { endpoint.timeouts.totalMilliseconds = ms }
        }
        return endpoint
    }

    /// `api_key_env` or `api_key_file` of a section (`model:`, `voice.realtime:`, `voice.openai:`).
    static func apiKey(_ section: ConfigurationMapping, baseDirectory: String?) throws(ConfigurationError) -> Secret? {
        let variable = try section.string("api_key_env")
        let file = try section.string("api_key_file")
        if variable != nil, file != nil {
            throw section.fail("api_key_file", "give either api_key_env or api_key_file, not both")
        }
        if let variable {
            guard let value = section.reader.environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw section.fail("api_key_env", "environment variable \(variable) is not set (export it before starting the host)")
            }
            return Secret(value)
        }
        guard let file else { return nil }
        let path = resolve(file, baseDirectory)
        var info = stat()
        guard stat(path, &info) == 0 else { throw section.fail("api_key_file", "no such file: \(path)") }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw section.fail("api_key_file", "\(path) is readable by other users (mode \(mode)): chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path),
              let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw section.fail("api_key_file", "cannot read a key from \(path) (one line of UTF-8 text)")
        }
        return Secret(value)
    }

    /// A section's `ca_file`, resolved from the configuration's directory and checked readable.
    static func caFile(_ section: ConfigurationMapping, baseDirectory: String?) throws(ConfigurationError) -> String? {
        guard let caFile = try section.string("ca_file") else { return nil }
        let path = resolve(caFile, baseDirectory)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw section.fail("ca_file", "cannot read \(path) (a PEM file of the CA certificates to trust)")
        }
        return path
    }

    private static func resolve(_ path: String, _ baseDirectory: String?) -> String {
        guard let baseDirectory, !path.hasPrefix("/"), baseDirectory != "." else { return path }
        return (baseDirectory as NSString).appendingPathComponent(path)
    }

    /// The host of an http(s) URL (or of `schemes`); nil for anything else.
    static func urlHost(_ url: String, schemes: Set<String> = ["http", "https"]) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              schemes.contains(scheme), let host = components.host, !host.isEmpty else { return nil }
        return host
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}
