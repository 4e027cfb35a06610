import Foundation
import HostOrchestration

/// `messages:` in a tenant entry: the words the orchestration says to its callers (CallerMessages).
extension HostConfiguration {
    static let messageKeys = ["apology", "no_human_available", "queue_unreachable", "queue_position", "transferring"]

    static func parseMessages(_ section: ConfigurationMapping?) throws(ConfigurationError) -> CallerMessages {
        var messages = CallerMessages()
        guard let section else { return messages }
        func text(_ key: String) throws(ConfigurationError) -> String? {
            guard let value = try section.string(key) else { return nil }
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw section.fail(key, "must not be empty: the caller would hear nothing") }
            return value
        }
        if let value = try text("apology") { messages.apology = value }
        if let value = try text("no_human_available") { messages.noHumanAvailable = value }
        if let value = try text("queue_unreachable") { messages.queueUnreachable = value }
        if let value = try text("queue_position") {
            let unknown = CallerMessages.unknownPlaceholders(in: value, known: CallerMessages.queuePlaceholders)
            guard unknown.isEmpty else {
                throw section.fail("queue_position", "unknown placeholder {\(unknown[0])}: use {position}, {department} and {wait}")
            }
            messages.queuePosition = value
        }
        if let value = try text("transferring") {
            let unknown = CallerMessages.unknownPlaceholders(in: value, known: CallerMessages.transferPlaceholders)
            guard unknown.isEmpty else {
                throw section.fail("transferring", "unknown placeholder {\(unknown[0])}: use {department}")
            }
            messages.transferring = value
        }
        return messages
    }
}
