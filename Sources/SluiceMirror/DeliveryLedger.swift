import SluiceCore
import Synchronization

/// The delivery state a producer's C callbacks and the mirror loop share: a `DeliveryTracker` and the fatal error,
/// behind a lock. Callbacks run on the producer's poll thread; the loop reads from a task.
final class DeliveryLedger: Sendable {
    private let state = Mutex(DeliveryTracker())
    private let fatal = Mutex<String?>(nil)

    func sent(_ tp: TopicPartition, offset: Int64) { state.withLock { $0.sent(tp, offset: offset) } }
    func acknowledged(_ tp: TopicPartition, offset: Int64) { state.withLock { $0.acknowledged(tp, offset: offset) } }
    func failed(_ tp: TopicPartition, offset: Int64, reason: String) {
        state.withLock { $0.failed(tp, offset: offset, reason: reason) }
    }
    func takeCommittable() -> [TopicPartition: Int64] { state.withLock { $0.takeCommittable() } }
    func commitFailed(_ offsets: [TopicPartition: Int64]) { state.withLock { $0.commitFailed(offsets) } }
    var inFlightCount: Int { state.withLock { $0.inFlightCount } }

    /// Why the mirror must stop: a delivery that failed for good, or a fatal producer error.
    var failure: String? {
        if let reason = fatal.withLock({ $0 }) { return reason }
        return state.withLock { tracker in
            tracker.failure.map { "delivery of \($0.0) offset \($0.1) failed: \($0.2)" }
        }
    }

    func setFatal(_ reason: String) { fatal.withLock { if $0 == nil { $0 = reason } } }
}

/// What a message's opaque pointer carries to the delivery callback: where the record came from.
final class DeliveryTicket: Sendable {
    let source: TopicPartition
    let offset: Int64
    let ledger: DeliveryLedger

    init(source: TopicPartition, offset: Int64, ledger: DeliveryLedger) {
        self.source = source
        self.offset = offset
        self.ledger = ledger
    }
}
