import HostSupport
import Foundation

/// A throwaway certificate authority and a server certificate it signed, made at test time with
/// the `openssl` command (installed with libssl; scripts/setup). Nothing here is trusted by the
/// system store, so a client only accepts the server when given `caFile` explicitly — which is
/// what TLS tests must show.
public struct TestCertificates: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The CA certificate (PEM): pass it as the client's `ca_file`.
    public let caFile: String
    /// The server's certificate (PEM), valid for `names`, signed by the CA.
    public let certificateFile: String
    /// The server's private key (PEM, unencrypted).
    public let privateKeyFile: String
    public let names: [String]

    /// Writes `ca.pem`, `server.pem` and `server-key.pem` into `directory` (which must exist).
    /// `names` become the certificate's subjectAltName entries: IP addresses as `IP:`, the rest as
    /// `DNS:`. P-256 keys: generating them takes milliseconds, unlike RSA.
    public static func make(in directory: String, names: [String] = ["127.0.0.1", "localhost"]) throws(Failure) -> TestCertificates {
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        let caKey = path("ca-key.pem"), caFile = path("ca.pem")
        let key = path("server-key.pem"), request = path("server.csr"), certificate = path("server.pem")
        let extensions = path("server.ext")
        let alternativeNames = names.map { isIPAddress($0) ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        let extensionText = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth
            subjectAltName=\(alternativeNames)

            """
        do {
            try extensionText.write(toFile: extensions, atomically: true, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot write \(extensions): \(error)")
        }
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ecKey + ["-keyout", caKey, "-out", caFile, "-days", "2",
                     "-subj", "/CN=agent-host test CA (throwaway)",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req", "-new"] + ecKey + ["-keyout", key, "-out", request, "-subj", "/CN=\(names.first ?? "localhost")"])
        try openssl(["x509", "-req", "-in", request, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial",
                     "-out", certificate, "-days", "2", "-extfile", extensions])
        return TestCertificates(caFile: caFile, certificateFile: certificate, privateKeyFile: key, names: names)
    }

    private static func isIPAddress(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    private static func openssl(_ arguments: [String]) throws(Failure) {
        // ChildCommand, not Foundation's Process: nothing waits without a deadline (docs/testing.md).
        let result: ChildCommandResult
        do {
            result = try ChildCommand.run("/usr/bin/openssl", arguments, timeoutSeconds: 60)
        } catch {
            throw Failure(description: "cannot run /usr/bin/openssl (install the openssl package): \(error)")
        }
        guard result.status == 0 else {
            throw Failure(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr)")
        }
    }
}
