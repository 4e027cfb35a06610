import Foundation
import HostNet

extension BlockingWebSocket {
    /// A chat socket's events up to and including the first of `type` (or until it closes, sends
    /// something that is not a JSON event, or stays silent for 10 s).
    func events(until type: String) -> [[String: Any]] {
        var events: [[String: Any]] = []
        while let message = receive(timeoutSeconds: 10) {
            guard case .text(let text) = message,
                  let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { break }
            events.append(event)
            if event["type"] as? String == type { break }
        }
        return events
    }
}
