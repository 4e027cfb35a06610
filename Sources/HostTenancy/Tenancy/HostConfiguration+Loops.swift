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
}
