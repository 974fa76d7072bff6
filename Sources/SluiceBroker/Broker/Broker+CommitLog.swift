import SluiceCore
import SluiceStorage

/// Every group's committed offsets as a log (`Catalog`'s commit log), read on the admin queue, which owns the
/// catalog: Kafka's `__consumer_offsets` is served from it.
extension Broker {
    package func commitLogBounds() async throws(SluiceError) -> (start: Int64, next: Int64) {
        try await admin { store throws(SluiceError) in try store.catalog.commitLogBounds() }
    }

    /// Entries at or after `from`, in log order, at most `limit`.
    package func commitLog(from: Int64, limit: Int) async throws(SluiceError) -> [CommitLogEntry] {
        try await admin { store throws(SluiceError) in try store.catalog.commitLog(from: from, limit: limit) }
    }
}
