/// The host's `sip:` section (docs/telephony.md, "SIP trunk"): where the SIP stack listens and
/// which tenant each called number belongs to.
public struct SIPTrunkConfiguration: Sendable, Equatable {
    public enum Transport: String, Sendable { case udp, tcp }

    public struct Listen: Sendable, Equatable {
        public var transport: Transport
        public var host: String
        public var port: Int

        public init(transport: Transport, host: String, port: Int) {
            self.transport = transport
            self.host = host
            self.port = port
        }
    }

    /// One address, by UDP, TCP or both (Sofia-SIP's user agent binds one SIP URI).
    public var listen: [Listen]
    /// Called number (the Request-URI's user part, e.g. "+15550001") → tenant id.
    public var tenants: [String: String]
    /// The address written in SDP answers, where peers send RTP (`media_address:`); defaults to
    /// the listen address, and is required when that is 0.0.0.0 or ::.
    public var mediaAddress: String

    public init(listen: [Listen], tenants: [String: String], mediaAddress: String) {
        self.listen = listen
        self.tenants = tenants
        self.mediaAddress = mediaAddress
    }

    /// The URI the stack binds: `sip:HOST:PORT` for UDP and TCP, with `;transport=` for one.
    public var sofiaURL: String {
        let first = listen[0]
        let host = first.host.contains(":") ? "[\(first.host)]" : first.host
        let transports = Set(listen.map(\.transport))
        return transports.count == 2 ? "sip:\(host):\(first.port)" : "sip:\(host):\(first.port);transport=\(first.transport.rawValue)"
    }
}
