import Foundation

extension HostConfiguration {
    /// The most loops `server.loops` may ask for: more loops than cores only add switching.
    static let maxLoops = 64

    /// `server.loops: auto | N` (docs/operations.md, "Loops"). `auto` is the cores this process
    /// may run on; absent is 1, the single loop of old.
    static func parseLoops(_ section: ConfigurationMapping) throws(ConfigurationError) -> Int {
        if let word = try? section.string("loops"), word.lowercased() == "auto" {
            return max(1, min(maxLoops, ProcessInfo.processInfo.activeProcessorCount))
        }
        guard let count = try section.int("loops", in: 1...maxLoops) else { return 1 }
        return count
    }

    /// Twilio keeps call state (whisper TwiML, calls waiting for their resumed stream) on the
    /// loop that took the webhook, and Twilio's next request may land on another loop: refused
    /// rather than half working until that state is shared (docs/operations.md, "Loops").
    static func checkLoops(_ configuration: HostConfiguration, top: ConfigurationMapping) throws(ConfigurationError) {
        guard configuration.server.loops > 1,
              let tenant = configuration.tenants.first(where: { $0.telephony.twilio != nil }) else { return }
        throw top.fail("server", "loops: \(configuration.server.loops) cannot serve tenant \(tenant.id)'s twilio: calls yet "
                       + "(their state lives on one loop): use loops: 1 on hosts that take Twilio calls")
    }
}
