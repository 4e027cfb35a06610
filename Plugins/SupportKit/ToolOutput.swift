import AgentHostSDK
import Foundation

/// Reading tool results: decoded JSON, business refusals and failures. (Named apart from the
/// SDK's `ToolOutput`, which builds a tool's output: SupportKit shadows nothing of the SDK's.)
public enum ToolAnswer {
    /// A business refusal a tool answered with ok = true: {"refused": true, "code", "reason"}.
    public struct Refusal: Sendable, Equatable {
        public let code: String
        public let reason: String
    }

    /// How a tool call went, from the agent's point of view.
    public enum Outcome<T: Sendable>: Sendable {
        case success(T)
        case refused(Refusal)
        /// ok == false with "not found" in the message.
        case notFound(String)
        /// The tool or the backend failed (unreachable, timed out, not permitted, bad output).
        case failed(String)
    }

    public static func decode<T: Decodable & Sendable>(_ type: T.Type, from result: ToolResult) -> Outcome<T> {
        guard result.ok else {
            return result.output.localizedCaseInsensitiveContains("not found") ? .notFound(result.output) : .failed(result.output)
        }
        // Parsed once with the SDK's parser, for the refusal and the answer alike: Foundation's
        // JSONDecoder parsing the text again was 5-7 % of the loops' CPU in a chat turn (perf).
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(result.output)
        } catch {
            return .failed("unexpected answer from the tool: \(error)")
        }
        if parsed["refused"]?.boolValue == true {
            return .refused(Refusal(code: parsed["code"]?.stringValue ?? "refused", reason: parsed["reason"]?.stringValue ?? ""))
        }
        do {
            return .success(try snakeCaseDecoder.decode(T.self, from: parsed))
        } catch {
            return .failed("unexpected answer from the tool: \(error)")
        }
    }
}

/// A value a backend may send as text or as a number ("eta_business_days": 5 or "5-7"), as text.
public struct LooseText: Decodable, Sendable, Equatable {
    public let text: String

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let int = try? container.decode(Int.self) {
            text = String(int)
        } else {
            let number = try container.decode(Double.self)
            text = number.rounded() == number ? String(Int(number)) : String(number)
        }
    }
}

/// Tool answers' keys are snake_case ("order_id"), the answer types' camelCase.
private let snakeCaseDecoder = JSONValueDecoder(keyDecoding: .convertFromSnakeCase)
