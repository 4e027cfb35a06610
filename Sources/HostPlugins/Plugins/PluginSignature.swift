import COpenSSL
import Foundation

/// Detached Ed25519 signatures of plugin files (`agent-host plugins sign|verify`,
/// `plugins.trusted_keys`, `plugins.require_signature`).
///
/// `FILE.sig` beside the plugin holds one line: the base64 of the 64-byte Ed25519 signature of the
/// file's bytes. The host verifies the very bytes it copies and loads (PluginFileCache), so a file
/// swapped between the check and the load is not what runs.
public enum PluginSignature {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The detached signature's path for a plugin file.
    public static func path(for file: String) -> String { file + ".sig" }

    /// A trusted public key (PEM, "-----BEGIN PUBLIC KEY-----"), kept as its file's text.
    public struct PublicKey: Sendable, Equatable {
        public let path: String
        let pem: Data

        /// Reads and checks an Ed25519 public key file.
        public init(path: String) throws(Failure) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure(description: "cannot read the public key \(path)")
            }
            self.path = path
            self.pem = data
            guard let key = PluginSignature.publicKey(data) else {
                throw Failure(description: "\(path) is not an Ed25519 public key in PEM (make one with `openssl pkey -in KEY.pem -pubout -out PUBLIC.pem`)")
            }
            EVP_PKEY_free(key)
        }

        /// Whether `signature` is this key's signature of `message`.
        func verifies(_ signature: Data, of message: Data) -> Bool {
            guard let key = PluginSignature.publicKey(pem) else { return false }
            defer { EVP_PKEY_free(key) }
            guard let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
            return signature.withUnsafeBytes { sig in
                message.withUnsafeBytes { body in
                    EVP_DigestVerify(context, sig.bindMemory(to: UInt8.self).baseAddress, sig.count,
                                     body.bindMemory(to: UInt8.self).baseAddress, body.count) == 1
                }
            }
        }
    }

    /// Signs `file` with the Ed25519 private key in `keyPath` (PEM) and writes `FILE.sig`;
    /// returns the signature file's path.
    @discardableResult
    public static func sign(file: String, keyPath: String) throws(Failure) -> String {
        guard let keyData = FileManager.default.contents(atPath: keyPath) else { throw Failure(description: "cannot read the key \(keyPath)") }
        guard let message = FileManager.default.contents(atPath: file) else { throw Failure(description: "cannot read \(file)") }
        let key: OpaquePointer? = keyData.withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key, EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
            if let key { EVP_PKEY_free(key) }
            throw Failure(description: "\(keyPath) is not an Ed25519 private key in PEM (make one with `openssl genpkey -algorithm ed25519 -out KEY.pem`)")
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw Failure(description: "OpenSSL could not allocate a signing context") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        let status = message.withUnsafeBytes { body in
            EVP_DigestSignInit(context, nil, nil, nil, key) == 1
                && EVP_DigestSign(context, &signature, &length, body.bindMemory(to: UInt8.self).baseAddress, body.count) == 1
        }
        guard status, length == 64 else { throw Failure(description: "OpenSSL could not sign \(file)") }
        let out = path(for: file)
        do {
            try (Data(signature).base64EncodedString() + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot write \(out): \(error.localizedDescription)")
        }
        return out
    }

    /// Why `message` (a plugin file's bytes, deployed at `file`) is not acceptable under these
    /// keys; nil when it is signed by one of them, or when no signature is needed and none is there.
    static func problem(file: String, message: Data, trustedKeys: [PublicKey], required: Bool) -> String? {
        guard required || !trustedKeys.isEmpty else { return nil }
        let signaturePath = path(for: file)
        guard let text = FileManager.default.contents(atPath: signaturePath) else {
            return required
                ? "unsigned, and plugins.require_signature is true: sign it (`agent-host plugins sign --key KEY.pem \(file)`) and deploy \(signaturePath) beside it"
                : nil
        }
        guard let signature = Data(base64Encoded: String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              signature.count == 64 else {
            return "\(signaturePath) is not a signature (one line of base64, as written by `agent-host plugins sign`)"
        }
        guard trustedKeys.contains(where: { $0.verifies(signature, of: message) }) else {
            return "its signature \(signaturePath) does not verify with any key in plugins.trusted_keys: the file was changed after signing, or signed by an untrusted key"
        }
        return nil
    }

    static func publicKey(_ pem: Data) -> OpaquePointer? {
        let key: OpaquePointer? = pem.withUnsafeBytes { bytes in
            let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count))
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else { return nil }
        guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(key)
            return nil
        }
        return key
    }

    /// `agent-host plugins verify --key PUBLIC.pem FILE`: nil when FILE.sig verifies, else why not.
    public static func verify(file: String, keyPath: String) throws(Failure) -> String? {
        let key = try PublicKey(path: keyPath)
        guard let message = FileManager.default.contents(atPath: file) else { throw Failure(description: "cannot read \(file)") }
        guard FileManager.default.fileExists(atPath: path(for: file)) else { return "no signature: \(path(for: file)) does not exist" }
        return problem(file: file, message: message, trustedKeys: [key], required: true)
    }
}
