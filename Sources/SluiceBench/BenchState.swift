import SluiceCore
import Synchronization

/// What the producers and consumers of one run share: the budget of messages, the stop flag, the counts and the
/// first error. Safe to use from any thread.
final class BenchState: Sendable {
    /// Messages to send (or read); `Int.max` for a run bounded by time.
    let total: Int
    /// Messages per second in all, if capped.
    let rate: Double?
    private let claimed = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    /// Messages acknowledged by the server (or written, with acks none).
    let acknowledged = Atomic<Int>(0)
    /// Messages read by consumers, and the bytes of their values.
    let consumed = Atomic<Int>(0)
    let consumedBytes = Atomic<Int>(0)
    /// Records a consumer received again, at offsets it had already read (the consumer's position moved back):
    /// not counted as messages, reported apart.
    let duplicates = Atomic<Int>(0)
    /// Set once every producer has returned: consumers then know how many messages to expect.
    let sendingDone = Atomic<Bool>(false)
    private let startTime = Atomic<UInt64>(0)
    private let failure = Mutex<SluiceError?>(nil)

    init(total: Int, rate: Double?) {
        self.total = total
        self.rate = rate
    }

    /// Starts the clock that `--rate` paces against.
    func start(at time: UInt64) {
        startTime.store(time, ordering: .releasing)
    }

    /// Claims the indexes of up to `count` more messages to send; `nil` once the budget is spent or the run stops.
    func claim(_ count: Int = 1) -> Range<Int>? {
        if isStopped { return nil }
        let first = claimed.wrappingAdd(count, ordering: .relaxed).oldValue
        guard first < total else { return nil }
        return first..<min(first + count, total)
    }

    /// Blocks the calling thread until message `index` is due under `--rate`. Messages due within 50 µs go at once:
    /// a sleep that short would cost more than it spreads the load.
    func pace(_ index: Int) {
        guard let rate else { return }
        let due = startTime.load(ordering: .acquiring) + UInt64(Double(index) * 1e9 / rate)
        if due > BenchClock.now() + 50_000 { BenchThread.sleep(until: due) }
    }

    var isStopped: Bool { stopFlag.load(ordering: .relaxed) }

    /// Stops sending: claims fail from now on; messages in flight still complete.
    func stop() {
        stopFlag.store(true, ordering: .relaxed)
    }

    /// Records the first error and stops the run.
    func fail(_ error: SluiceError) {
        failure.withLock { if $0 == nil { $0 = error } }
        stop()
    }

    var error: SluiceError? { failure.withLock { $0 } }
}
