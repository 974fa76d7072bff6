import Synchronization

/// A flag set once, from any thread, remembering when.
final class BenchFlag: Sendable {
    private let value = Atomic<UInt64>(0)

    func set() {
        value.store(BenchClock.now(), ordering: .releasing)
    }

    var isSet: Bool { time != 0 }

    /// The monotonic time it was set at; 0 while it is not.
    var time: UInt64 { value.load(ordering: .acquiring) }
}
