import COpenSSL
import Foundation
import Glibc

/// The host's private copies of plugin files, one per content: `<directory>/<sha256>/<file name>`.
///
/// The host never maps a deployed file: overwriting a mapped `.so` in place (`cp new old`) changes
/// the pages of running code and crashes the process, and deleting it must not matter either. So
/// every file is hashed, copied here (written to a temporary name, then renamed: a copy is complete
/// or absent), and the copy is what `dlopen` and the plugin runners open. The directory is the
/// host user's alone (0700); a copy already there is re-hashed before it is reused.
/// Reads, hashes and copies files: call it off the event loop.
public struct PluginFileCache: Sendable {
    public struct Staged: Sendable, Equatable {
        /// The private copy the host loads.
        public let path: String
        /// Lowercase hex sha256 of the file's bytes.
        public let sha256: String
    }

    public let directory: String
    /// Accept deployed files (and their directories) writable by group/others or owned by
    /// another non-root user (`plugins.allow_insecure_files: true`).
    public let allowInsecureFiles: Bool
    /// `plugins.trusted_keys`: a file with a `.sig` beside it must verify with one of them.
    public var trustedKeys: [PluginSignature.PublicKey] = []
    /// `plugins.require_signature`: a file without a verifying signature is refused.
    public var requireSignature = false

    /// `<system temp dir>/agent-host-plugins-<uid>` unless `plugins.cache_directory` says.
    public static var defaultDirectory: String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("agent-host-plugins-\(geteuid())")
    }

    public init(directory: String? = nil, allowInsecureFiles: Bool = false) {
        self.directory = directory ?? Self.defaultDirectory
        self.allowInsecureFiles = allowInsecureFiles
    }

    /// Checks `path`, hashes it and returns its private copy (made if not there yet), or why not.
    public func stage(_ path: String) -> Result<Staged, PluginRefusal> {
        func refuse(_ reason: String) -> Result<Staged, PluginRefusal> { .failure(PluginRefusal(path: path, reason: reason)) }
        if !allowInsecureFiles {
            if let problem = Self.insecurity(of: path, what: "file") { return refuse(problem) }
            let parent = (path as NSString).deletingLastPathComponent
            if let problem = Self.insecurity(of: parent.isEmpty ? "." : parent, what: "directory") { return refuse(problem) }
        }
        guard let data = FileManager.default.contents(atPath: path) else { return refuse("cannot be read") }
        // The bytes checked are the bytes copied and loaded.
        if let problem = PluginSignature.problem(file: path, message: data, trustedKeys: trustedKeys, required: requireSignature) {
            return refuse(problem)
        }
        let sha = Self.sha256(data)
        if let problem = prepareDirectory() { return refuse(problem) }
        let folder = (directory as NSString).appendingPathComponent(sha)
        let copy = (folder as NSString).appendingPathComponent((path as NSString).lastPathComponent)
        if let existing = FileManager.default.contents(atPath: copy), Self.sha256(existing) == sha {
            return .success(Staged(path: copy, sha256: sha))
        }
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            return refuse("cannot create its private copy's directory \(folder): \(String(cString: strerror(errno)))")
        }
        let temporary = folder + "/.incoming-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o500]) else {
            return refuse("cannot write its private copy under \(directory): check that directory's free space and permissions")
        }
        // rename replaces a stale copy's name without touching pages another process may have mapped.
        guard rename(temporary, copy) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return refuse("cannot place its private copy \(copy): \(reason)")
        }
        return .success(Staged(path: copy, sha256: sha))
    }

    /// Hashes a file (for `plugins inspect` and signatures).
    public static func sha256(ofFile path: String) -> String? {
        FileManager.default.contents(atPath: path).map(sha256)
    }

    public static func sha256(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        data.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.bindMemory(to: UInt8.self).baseAddress, input.count, output.baseAddress)
            }
        }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The cache directory exists, is ours and no one else may write it.
    private func prepareDirectory() -> String? {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            return "cannot create the plugin cache directory \(directory): \(String(cString: strerror(errno))) (set plugins.cache_directory)"
        }
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            return "the plugin cache directory \(directory) is not a directory (set plugins.cache_directory)"
        }
        guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            return "the plugin cache directory \(directory) is not this user's alone (owner uid \(info.st_uid), mode \(String(info.st_mode & 0o777, radix: 8))): remove it, or set plugins.cache_directory"
        }
        return nil
    }

    /// Why a deployed file or its directory could be changed by someone other than the host's
    /// user or root; nil when it cannot.
    static func insecurity(of path: String, what: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }  // a missing file is reported by the read
        let mode = info.st_mode & 0o777
        if info.st_mode & 0o022 != 0 {
            return "\(what == "file" ? "the file" : "its directory \(path)") is writable by group or others (mode \(String(mode, radix: 8))): chmod go-w it, or set plugins.allow_insecure_files: true"
        }
        if info.st_uid != 0 && info.st_uid != geteuid() {
            return "\(what == "file" ? "the file" : "its directory \(path)") is owned by uid \(info.st_uid), neither root nor the host's user (uid \(geteuid())): chown it, or set plugins.allow_insecure_files: true"
        }
        return nil
    }
}
