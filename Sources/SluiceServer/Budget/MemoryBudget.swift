import Synchronization

/// The server-wide budget for request bytes held in memory: unfinished frames and produce requests in flight, on
/// every connection of either protocol.
///
/// Connections add what they hold and remove it when it is gone; a connection that finds the budget spent stops
/// reading and leaves a wake-up, called once (on any thread) when bytes are given back. Nothing is refused: the
/// budget only decides who reads. A connection that holds nothing may always read one more time, so that small
/// requests are served while large ones wait; what can be read past the budget is therefore one read per
/// connection (16 reads of at most 64 KiB each with NIO's defaults).
package final class MemoryBudget: Sendable {
    /// Bytes all connections together may hold before those holding something stop reading.
    package let limit: Int
    /// Bytes one connection may hold, besides one unfinished frame, before it stops reading.
    package let perConnection: Int
    private let state = Mutex<State>(State())

    private struct State {
        var used = 0
        var waiting: [@Sendable () -> Void] = []
    }

    package init(limit: Int, perConnection: Int) {
        precondition(limit > 0 && perConnection > 0, "memory budgets must be positive")
        self.limit = limit
        self.perConnection = perConnection
    }

    /// Bytes held now, by all connections.
    package var used: Int { state.withLock { $0.used } }

    package func add(_ bytes: Int) {
        guard bytes > 0 else { return }
        state.withLock { $0.used += bytes }
    }

    /// Gives `bytes` back; once the budget has room again, every waiting connection is woken.
    package func remove(_ bytes: Int) {
        guard bytes > 0 else { return }
        let woken: [@Sendable () -> Void] = state.withLock { state in
            state.used -= bytes
            guard state.used <= limit, !state.waiting.isEmpty else { return [] }
            defer { state.waiting = [] }
            return state.waiting
        }
        for wake in woken { wake() }
    }

    /// True when the budget has room; otherwise false, and `wake` (when given) is called once when it has room
    /// again.
    package func hasRoom(orWake wake: (@Sendable () -> Void)?) -> Bool {
        state.withLock { state in
            if state.used <= limit { return true }
            if let wake { state.waiting.append(wake) }
            return false
        }
    }
}
