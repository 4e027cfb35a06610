import Foundation
import Host
import HostNet
import HostOrchestration
import HostPlugins
import HostSupport

/// `agent-host chat --local`: the real plugins in-process, one conversation over stdin/stdout.
/// With no backend configured it starts the reference backend itself and stops it on exit.
public struct LocalChat {
    public var caller = "+15550001234"
    public var tenantID = ReferenceDeployment.tenantID
    public var json = false
    public var backendURL: String?
    public var apiKey = "demo-key"
    public var pluginDirectories: [String] = PluginLoader.defaultDirectories()

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let exitCode: Int32
    }

    public init() {}

    public func run() throws(Failure) {
        guard tenantID == ReferenceDeployment.tenantID else {
            throw Failure(description: "unknown tenant '\(tenantID)': chat --local serves only the built-in '\(ReferenceDeployment.tenantID)' tenant", exitCode: 2)
        }
        let deployment: LocalDeployment
        do {
            deployment = try LocalDeployment(pluginDirectories: pluginDirectories, backendURL: backendURL, apiKey: apiKey)
        } catch {
            throw Failure(description: error.description, exitCode: error.exitCode)
        }
        defer { deployment.shutdown() }

        let turnDone = DispatchSemaphore(value: 0)
        let printer = EventPrinter(json: json)
        let conversation = deployment.conversation(caller: caller) { event in
            printer.print(event)
            if event.type == "turn_end" || event.type == "end" { turnDone.signal() }
        }
        conversation.start()
        let interactive = isatty(STDIN_FILENO) == 1
        while conversation.ended == nil {
            if interactive && !json { Swift.print("you> ", terminator: ""); StandardOutput.flush() }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            conversation.send(text)
            turnDone.wait()
        }
        if conversation.ended == nil {
            conversation.end(reason: "caller_hangup")
            turnDone.wait()
        }
    }
}

/// Prints events for a person (one readable line each) or as JSON lines (`--json`).
struct EventPrinter: Sendable {
    let json: Bool

    func print(_ event: ConversationEvent) {
        if json {
            Swift.print(event.json)
        } else if let line = readable(event) {
            Swift.print(line)
        }
        StandardOutput.flush()
    }

    /// An event received as JSON from a host (same rendering as a local one).
    func print(raw event: [String: Any]) {
        if json {
            let data = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            Swift.print(String(decoding: data, as: UTF8.self))
        } else if let line = readable(raw: event) {
            Swift.print(line)
        }
        StandardOutput.flush()
    }

    func readable(raw e: [String: Any]) -> String? {
        let s = { (key: String) in e[key] as? String ?? "" }
        switch s("type") {
        case "session": return "[session \(s("session_id")) on tenant \(s("tenant")), \(s("agent"))\((e["returning"] as? Bool) == true ? ", returning caller" : "")]"
        case "agent": return "\(s("agent")): \(s("text"))"
        case "handoff": return "[handoff \(s("from")) -> \(s("to"))]"
        case "tool_call": return "[tool \(s("tool"))]"
        case "tool_result": return (e["ok"] as? Bool) == false ? "[tool \(s("tool")) failed: \(s("output"))]" : nil
        case "escalated": return "[escalated to \(s("department")): position \(e["position"] ?? ""), about \(e["wait_minutes"] ?? "") min]"
        case "transfer": return "[transferring to \(s("department")) at \(s("target"))]"
        case "error": return "[error \(s("code")): \(s("message"))]"
        case "end": return "[session ended: \(s("reason"))]"
        default: return nil
        }
    }

    func readable(_ event: ConversationEvent) -> String? {
        switch event {
        case let .session(_, tenant, caller, agent, returning, _, _):
            return "[session for \(caller) on tenant \(tenant), \(agent)\(returning ? ", returning caller" : "")]"
        case let .agent(agent, text): return "\(agent): \(text)"
        case let .handoff(from, to, reason): return "[handoff \(from) -> \(to)\(reason.map { ": \($0)" } ?? "")]"
        case let .toolCall(_, tool, _, arguments): return "[tool \(tool) \(arguments)]"
        case let .toolResult(tool, _, ok, output): return ok ? nil : "[tool \(tool) failed: \(output)]"
        case let .escalated(_, department, position, wait): return "[escalated to \(department): position \(position), about \(wait) min]"
        case let .transfer(_, department, target): return "[transferring to \(department) at \(target)]"
        case let .error(code, message): return "[error \(code): \(message)]"
        case let .end(reason): return "[session ended: \(reason)]"
        case .user, .turnEnd, .speechStarted, .speechStopped, .interrupted: return nil
        }
    }
}
