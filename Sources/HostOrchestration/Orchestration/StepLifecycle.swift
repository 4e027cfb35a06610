/// How a step ended. Each ending decides what `TurnRun.tearDown` (the one teardown) stops.
enum StepEnding: Equatable {
    /// The plugin (or the model) said `step_done`: its step is over by itself.
    case finished
    /// The agent refused the step (at `step`, or later from its isolated process).
    case refused
    /// The step's deadline passed: the host gives up on it.
    case timedOut
    /// The isolated process running the step died.
    case crashed
    /// The session ended mid-turn.
    case cancelled
}

/// A step's lifecycle as a value: running → waiting for tools → one ending. It takes the events
/// (a tool call started or completed, the step ending) and says what the ending must tear down;
/// `TurnRun.tearDown` does it. No plugin, timer or loop here, so every transition is tested
/// alone (ConversationTests/StepLifecycleTests). `Tool` is what runs a call (a plugin instance
/// in the host, anything in tests). Loop-confined, like the `StepRun` that holds it.
struct StepLifecycle<Tool> {
    enum State: Equatable {
        case running
        case waitingForTool
        case ended(StepEnding)
    }

    /// What an ending must stop, in this order (after the step's deadline, always stopped).
    struct Teardown {
        /// The driver (a model step's HTTP stream) is told the host gave up.
        var cancelDriver = false
        /// The router forgets the step: late actions for it are refused.
        var closeRoute = false
        /// The plugin's `cancel` for the step (not when its process is gone).
        var cancelAgentStep = false
        /// Tool calls still out, by call ID: each is cancelled at the router and at its tool.
        var cancelToolCalls: [(callID: UInt64, tool: Tool)] = []
    }

    private(set) var ending: StepEnding?
    /// Tool calls started for this step and not completed, with the tool that runs each.
    private(set) var pendingTools: [UInt64: Tool] = [:]

    var isOpen: Bool { ending == nil }

    var state: State {
        if let ending { return .ended(ending) }
        return pendingTools.isEmpty ? .running : .waitingForTool
    }

    mutating func toolStarted(callID: UInt64, tool: Tool) {
        pendingTools[callID] = tool
    }

    /// A call's completion came back (also after the step ended: the call is no longer out).
    mutating func toolCompleted(callID: UInt64) {
        pendingTools[callID] = nil
    }

    /// Ends the step; nil when it had already ended (the first ending wins, later ones do nothing).
    /// A step that ended by itself (finished, refused) has nothing running to stop but its
    /// deadline; one the host gives up on has its driver, route, plugin step and tool calls
    /// stopped — except the plugin's own `cancel` when its process crashed.
    mutating func end(_ ending: StepEnding) -> Teardown? {
        guard self.ending == nil else { return nil }
        self.ending = ending
        switch ending {
        case .finished, .refused:
            return Teardown()
        case .timedOut, .cancelled, .crashed:
            let calls = pendingTools.sorted { $0.key < $1.key }.map { (callID: $0.key, tool: $0.value) }
            pendingTools.removeAll()
            return Teardown(cancelDriver: true, closeRoute: true, cancelAgentStep: ending != .crashed, cancelToolCalls: calls)
        }
    }
}
