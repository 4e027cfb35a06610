import FuzzKit
import HostModels

/// The `text/event-stream` parser of model responses (`SSEParser`): the events of a stream do
/// not depend on how the network cut it (whole, byte by byte, random pieces, one cut anywhere),
/// and writing the events back out as SSE and parsing that gives the same events.
enum SSETarget {
    static let target = FuzzTarget(
        name: "sse",
        summary: "SSE parser: any split gives the same events; events written back parse the same",
        dictionary: ["data: ", "data:", "event: ", "id: ", "retry: ", ": keep-alive", "\n", "\r", "\r\n", "\n\n", "\r\n\r\n", ":",
                     "[DONE]", #"{"choices":[{"delta":{"content":"hi"}}]}"#, " ", "data"],
        maxInputLength: 4_096
    ) { input throws(FuzzFailure) in
        let whole = events([input])
        try fuzzCheckEqual(events(input.map { [$0] }), whole, "byte by byte vs whole")
        try fuzzCheckEqual(events(pieces(input)), whole, "random pieces vs whole")
        if !input.isEmpty {
            let cut = Int(StableHash.of(input) % UInt64(input.count + 1))
            try fuzzCheckEqual(events([Array(input[..<cut]), Array(input[cut...])]), whole, "cut at byte \(cut) vs whole")
        }
        try fuzzCheckEqual(events([written(whole)]), whole, "events written back as SSE")
        return signature(["\(whole.count > 3 ? 3 : whole.count)"] + whole.prefix(3).map { "\($0.event != nil) \($0.id != nil)" })
    }

    static func events(_ pieces: [[UInt8]]) -> [SSEParser.Event] {
        var parser = SSEParser()
        var out: [SSEParser.Event] = []
        for piece in pieces { parser.feed(piece) { out.append($0) } }
        return out
    }

    /// The events as a server would send them (data split on its line breaks).
    static func written(_ events: [SSEParser.Event]) -> [UInt8] {
        var text = ""
        for event in events {
            if let name = event.event { text += "event: \(name)\n" }
            if let id = event.id { text += "id: \(id)\n" }
            for line in event.data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
            text += "\n"
        }
        return Array(text.utf8)
    }
}
