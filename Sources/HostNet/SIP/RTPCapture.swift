/// A libpcap capture of one RTP stream over Ethernet/IPv4/UDP, 20 ms apart: what SIPp's
/// `play_pcap_audio` replays as a caller's voice (the SIP tests and `agent-host-bench sip`).
public enum RTPCapture {
    /// `frames` (G.711 payloads of `payloadType`, 160 bytes for 20 ms) as a pcap file's bytes.
    public static func pcap(_ frames: [[UInt8]], payloadType: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        func le32(_ value: UInt32) { out += withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        func le16(_ value: UInt16) { out += withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        // Global header: magic, version 2.4, no zone, no accuracy, snaplen, Ethernet.
        le32(0xa1b2_c3d4); le16(2); le16(4); le32(0); le32(0); le32(65_535); le32(1)
        var sender = RTPSender(ssrc: 0x1234_5678, sequence: 100, timestamp: 8_000)
        for (index, frame) in frames.enumerated() {
            let rtp = sender.packet(payloadType: payloadType, payload: frame, samples: frame.count, now: UInt64(index * 20)).bytes
            let udpLength = 8 + rtp.count
            let ipLength = 20 + udpLength
            let microseconds = index * 20_000
            le32(UInt32(microseconds / 1_000_000)); le32(UInt32(microseconds % 1_000_000))
            le32(UInt32(14 + ipLength)); le32(UInt32(14 + ipLength))
            out += [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
            var ip: [UInt8] = [0x45, 0, UInt8(ipLength >> 8), UInt8(ipLength & 0xff), 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
            var sum: UInt32 = 0
            for word in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[word]) << 8 | UInt32(ip[word + 1]) }
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            ip[10] = UInt8(checksum >> 8); ip[11] = UInt8(checksum & 0xff)
            out += ip
            out += [0x13, 0x88, 0x13, 0x88, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
            out += rtp
        }
        return out
    }
}
