import Foundation
import HostModels
import HostOrchestration
import HostSupport
import Yams

/// A tenant's `transfer:`, `twilio:`, `recording:` and `redact:` sections (docs/telephony.md).
extension HostConfiguration {
    static let telephonyTenantKeys = ["transfer", "twilio", "recording", "redact", "sip"]
    static let twilioKeys = ["account_sid", "auth_token_env", "auth_token_file", "api_url", "public_url"]
    static let recordingKeys = ["enabled", "directory", "retention_days", "announce"]

    static func parseTelephony(_ entry: ConfigurationMapping, baseDirectory: String?) throws(ConfigurationError) -> TenantTelephony {
        var telephony = TenantTelephony()
        if let node = entry.value("transfer") {
            guard case .mapping(let mapping) = node else {
                throw entry.fail(at: node, "transfer", "must map departments to where people answer, e.g. {billing: \"+15550100\", default: \"sip:queue@pbx.example\"}")
            }
            for (key, value) in mapping {
                guard case .scalar(let department) = key, case .scalar(let target) = value else {
                    throw entry.fail(at: key, "transfer", "each entry is department: \"+15550100\" or \"sip:user@host\"")
                }
                if let problem = TenantTelephony.transferTargetProblem(target.string) {
                    throw entry.fail(at: value, "transfer", "\(department.string): \(problem)")
                }
                telephony.transfer[department.string.lowercased()] = target.string
            }
        }
        if let section = try entry.mapping("twilio", allowed: twilioKeys) {
            telephony.twilio = try parseTwilio(section, baseDirectory: baseDirectory)
        }
        if let section = try entry.mapping("recording", allowed: recordingKeys) {
            let directory = try section.requiredString("directory")
            var policy = RecordingPolicy(directory: resolvePath(directory, baseDirectory))
            if let enabled = try section.bool("enabled") { policy.enabled = enabled }
            if let days = try section.int("retention_days", in: 1...3_650) { policy.retentionDays = days }
            if let announce = try section.string("announce"), !announce.isEmpty { policy.announce = announce }
            telephony.recording = policy
        }
        if let kinds = try entry.stringList("redact") {
            for kind in kinds {
                guard let known = Redaction.Kind(rawValue: kind.value) else {
                    throw entry.fail(at: kind.node, "redact", "unknown kind \"\(kind.value)\": use \(Redaction.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                telephony.redaction.kinds.insert(known)
            }
        }
        telephony.sip = try parseTenantSIP(entry)
        return telephony
    }

    private static func parseTwilio(_ section: ConfigurationMapping, baseDirectory: String?) throws(ConfigurationError) -> TwilioAccount {
        let sid = try section.requiredString("account_sid")
        guard sid.hasPrefix("AC"), sid.count == 34, sid.dropFirst(2).allSatisfy(\.isHexDigit) else {
            throw section.fail("account_sid", "\"\(sid)\" is not a Twilio account SID (AC and 32 hex digits, from the Twilio console)")
        }
        let token = try secret(section, env: "auth_token_env", file: "auth_token_file", baseDirectory: baseDirectory)
        guard let token else {
            throw section.fail(nil, "the auth token is needed: auth_token_env (an environment variable) or auth_token_file")
        }
        let publicURL = try section.requiredString("public_url")
        guard urlHost(publicURL) != nil else {
            throw section.fail("public_url", "\"\(publicURL)\" must be the https:// URL Twilio reaches this host at")
        }
        var account = TwilioAccount(accountSID: sid, authToken: token, publicURL: publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL)
        if let apiURL = try section.string("api_url") {
            guard let host = urlHost(apiURL) else { throw section.fail("api_url", "\"\(apiURL)\" must be an https:// URL") }
            guard apiURL.hasPrefix("https://") || isLoopback(host) else {
                throw section.fail("api_url", "the auth token would travel unencrypted to \(host): use https:// (http:// only for a stand-in on this machine)")
            }
            account.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        }
        return account
    }

    /// A credential from `env` (a variable name) or `file` (mode 600), the rules of `model:`'s key.
    private static func secret(_ section: ConfigurationMapping, env: String, file: String,
                               baseDirectory: String?) throws(ConfigurationError) -> Secret? {
        let variable = try section.string(env)
        let path = try section.string(file).map { resolvePath($0, baseDirectory) }
        if variable != nil, path != nil { throw section.fail(file, "give either \(env) or \(file), not both") }
        if let variable {
            guard let value = section.reader.environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw section.fail(env, "environment variable \(variable) is not set (export it before starting the host)")
            }
            return Secret(value)
        }
        guard let path else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { throw section.fail(file, "no such file: \(path)") }
        guard info.st_mode & 0o077 == 0 else {
            throw section.fail(file, "\(path) is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path),
              let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw section.fail(file, "cannot read a token from \(path) (one line of UTF-8 text)")
        }
        return Secret(value)
    }

    private static func resolvePath(_ path: String, _ baseDirectory: String?) -> String {
        guard let baseDirectory, !path.hasPrefix("/"), baseDirectory != "." else { return path }
        return (baseDirectory as NSString).appendingPathComponent(path)
    }
}
