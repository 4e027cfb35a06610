extension Usage {
    static let evalScenariosLine = "usage: agent-host eval scenarios FILE.yaml... [--url URL | --local] [--voice] [--junit out.xml]"

    static let evalScenarios = """
    \(evalScenariosLine)
                                  [--tenant T] [--api-key KEY] [--plugin-dir DIR]

    Runs scripted conversations and checks each turn: the agent the caller ends with, handoffs,
    tools called (with a subset of their arguments), escalation, words in the reply, a latency
    budget. The format of FILE.yaml is in docs/evals.md. Each scenario is a fresh session:
      --url URL   typed turns through a running host's POST /v1/chat (default http://127.0.0.1:8080)
      --voice     spoken turns: each line synthesised offline (flite) and streamed in real time over
                  the host's WS /ws/voice socket, with the line's speak: text when it has one
      --local     typed turns to the reference plugins in-process (starts the reference backend)
      --junit F   also write the results to F as JUnit XML
    Prints a line per turn, every unmet expectation under it, and a summary line. Exit 0 when every
    turn passed, 1 when one failed or the host could not be reached, 2 for bad usage or a file that
    cannot be used (with its line and column).
    """
}
