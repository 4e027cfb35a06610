import Synchronization

/// The open connections an `HTTPServer` holds against its caps (`maxConnections`,
/// `maxConnectionsPerClient`): in total and per client address. Each server counts its own unless
/// it is given one to share (`HTTPServer.Configuration.connectionCounts`): the listeners of one
/// host with several loops (`server.loops`) share one, so the caps hold for the host as a whole,
/// not once per loop. [thread-safe]: one mutex; the check and the count are one step, so two
/// loops accepting at the same instant cannot both take the last place.
public final class ConnectionCounts: Sendable {
    private struct State {
        var open = 0
        var perClient: [ClientAddress: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Open connections (HTTP and upgraded WebSocket) of every server counting here.
    public var open: Int { state.withLock { $0.open } }

    enum Admission {
        /// The open count afterwards.
        case admitted(Int)
        case refused(ConnectionRefusal)
    }

    /// Takes a place for `client`, or says which cap refuses it.
    func admit(_ client: ClientAddress, maxConnections: Int, maxPerClient: Int) -> Admission {
        state.withLock { state in
            if state.open >= maxConnections { return .refused(.global) }
            let fromClient = state.perClient[client, default: 0]
            if fromClient >= maxPerClient { return .refused(.perClient) }
            state.open += 1
            state.perClient[client] = fromClient + 1
            return .admitted(state.open)
        }
    }

    /// Gives `client`'s place back; the open count afterwards.
    func release(_ client: ClientAddress) -> Int {
        state.withLock { state in
            state.open -= 1
            if let count = state.perClient[client] {
                state.perClient[client] = count > 1 ? count - 1 : nil
            }
            return state.open
        }
    }
}
