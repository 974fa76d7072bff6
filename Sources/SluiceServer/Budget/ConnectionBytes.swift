/// What one connection holds of the `MemoryBudget`: its unfinished frame and its requests in flight (on the native
/// socket its produce requests; on the Kafka listener every request, and a produce's expanded batches).
///
/// Confined to the connection's event loop; shared by the handlers that hold bytes (the frame reader and the
/// request handler). `whenReleased` lets the reader resume reading when another handler gives bytes back.
final class ConnectionBytes {
    let budget: MemoryBudget
    /// Bytes of the frame being received.
    private(set) var partialFrame = 0
    /// Bytes of requests decoded and not yet answered.
    private(set) var inFlight = 0
    /// Called after bytes are given back.
    var whenReleased: (() -> Void)?

    init(budget: MemoryBudget) {
        self.budget = budget
    }

    var held: Int { partialFrame + inFlight }

    func setPartialFrame(_ bytes: Int) {
        let change = bytes - partialFrame
        partialFrame = bytes
        if change > 0 { budget.add(change) } else if change < 0 { release(-change) }
    }

    func addInFlight(_ bytes: Int) {
        inFlight += bytes
        budget.add(bytes)
    }

    func removeInFlight(_ bytes: Int) {
        inFlight -= bytes
        release(bytes)
    }

    private func release(_ bytes: Int) {
        budget.remove(bytes)
        whenReleased?()
    }

    /// Whether the connection may read now.
    enum ReadDecision: Equatable {
        case read
        /// Its requests in flight take it over its own share: wait until it gives bytes back (`whenReleased`).
        case overOwnShare
        /// The server-wide budget is spent: `wake` (when given) is called, on any thread, once it has room.
        case overServerBudget
    }

    /// One that holds nothing always may read; one whose requests in flight take it over its own share may not;
    /// otherwise it may while the server-wide budget has room.
    func mayRead(orWake wake: (@Sendable () -> Void)?) -> ReadDecision {
        if held == 0 { return .read }
        if inFlight > 0 && held > budget.perConnection { return .overOwnShare }
        return budget.hasRoom(orWake: wake) ? .read : .overServerBudget
    }
}
