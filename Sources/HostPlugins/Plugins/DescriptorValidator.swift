import Foundation

/// Checks a descriptor before the host uses it. Each problem is a sentence an author can act on.
package enum DescriptorValidator {
    static func problems(in d: ComponentDescriptor) -> [String] {
        var problems: [String] = []
        if !isReverseDNS(d.id) {
            problems.append("id '\(d.id)' is not a reverse-DNS id like com.example.support.billing")
        }
        if d.kind == nil {
            problems.append("kind \(d.rawKind) is neither AH_PLUGIN_KIND_AGENT (1) nor AH_PLUGIN_KIND_TOOL (2)")
        }
        if (d.displayName ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("display_name is missing")
        }
        if !isSemanticVersion(d.version ?? "") {
            problems.append("version '\(d.version ?? "")' is not a semantic version like 1.0.0")
        }
        if (d.description ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("description is missing")
        }
        for ext in d.requiredExtensions where !isExtensionID(ext) {
            problems.append("required extension '\(ext)' is not of the form name/REV")
        }
        switch d.kind {
        case .agent?:
            guard let agent = d.agent else {
                problems.append("an agent needs an agent profile (descriptor.agent is NULL)")
                break
            }
            if agent.handoffDescription.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append("agent profile has no handoff_description")
            }
            if d.tool != nil { problems.append("an agent must not carry a tool profile") }
        case .tool?:
            guard let tool = d.tool else {
                problems.append("a tool needs a tool profile (descriptor.tool is NULL)")
                break
            }
            if !isFunctionName(tool.name) {
                problems.append("tool name '\(tool.name)' must match [A-Za-z0-9_-]{1,64}")
            }
            if let problem = schemaProblem(tool.parametersSchema) { problems.append(problem) }
            if d.agent != nil { problems.append("a tool must not carry an agent profile") }
        case nil:
            break
        }
        return problems
    }

    package static func isReverseDNS(_ id: String) -> Bool {
        let labels = id.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, id.count <= 255 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }

    static func isSemanticVersion(_ version: String) -> Bool {
        let core = version.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    package static func isExtensionID(_ id: String) -> Bool {
        let parts = id.split(separator: "/")
        return parts.count == 2 && !parts[0].isEmpty && parts[1].allSatisfy(\.isNumber) && !parts[1].isEmpty
    }

    static func isFunctionName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// The parameters must be a JSON Schema object schema, as OpenAI function calling expects.
    static func schemaProblem(_ text: String) -> String? {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return "parameters_schema is not a JSON object" }
        guard object["type"] as? String == "object" else {
            return "parameters_schema must have \"type\": \"object\""
        }
        if let properties = object["properties"], !(properties is [String: Any]) {
            return "parameters_schema.properties must be an object"
        }
        return nil
    }
}
