import Dispatch

/// The one timer a group coordinator keeps: armed for the earliest deadline among its groups, and only while there
/// is one, so an idle broker has no timer at all.
///
/// The decision is a value kept under the coordinator's lock (`next(among:)`, `fired()`); `schedule` arms the
/// Dispatch timer outside it.
struct CoordinatorTimer {
    /// The deadline a timer is armed for, in the coordinator's clock's milliseconds.
    private(set) var armedFor: Int64?

    /// The deadline to arm a timer for, when it is earlier than the one armed (or none is).
    mutating func next(among deadlines: some Sequence<Int64>) -> Int64? {
        guard let next = deadlines.min() else { return nil }
        if let armedFor, armedFor <= next { return nil }
        armedFor = next
        return next
    }

    /// The armed timer went off.
    mutating func fired() {
        armedFor = nil
    }

    /// Runs `body` on `queue` once `deadline` has passed by `now()`.
    static func schedule(at deadline: Int64, now: Int64, on queue: DispatchQueue,
                         _ body: @escaping @Sendable () -> Void)
    {
        let delay = max(0, deadline - now)
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(delay) + 1), execute: body)
    }
}
