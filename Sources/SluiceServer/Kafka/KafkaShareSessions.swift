import Dispatch
import SluiceBroker
import SluiceCore
import SluiceKafka
import Synchronization

/// Share sessions (KIP-932): per member of a share group, the partitions its ShareFetch requests read, so that
/// each request names only what changed. A request with epoch 0 opens a session (replacing the member's old one),
/// each later request carries the next epoch (1, 2, ..., wrapping to 1 after Int32.max) and may add and forget
/// partitions, and epoch -1 closes it after its acknowledgements. ShareAcknowledge takes part in the same sequence
/// but cannot open a session.
///
/// Bounded: at most `maxSessions` sessions, holding at most `maxPartitions` partitions all together. When a new
/// session would pass either, sessions unused for `idleEvictionMs` are dropped first (oldest first); if that is not
/// enough the request is answered SHARE_SESSION_LIMIT_REACHED. No timer: eviction happens only when room is needed.
struct ShareSessionTable {
    struct Key: Hashable {
        var group: String
        var member: String
    }

    struct Session {
        /// The epoch the member's next request must carry.
        var nextEpoch: Int32
        /// The session's partitions, in the order they were added.
        var partitions: [TopicPartition]
        var lastUsedMs: Int64
    }

    /// What a request may do once its session checks passed.
    enum Outcome: Equatable {
        /// Go on; `partitions` are the session's, the request's additions and removals applied. `closed`: the
        /// session is gone (epoch -1), only acknowledgements are applied.
        case proceed(partitions: [TopicPartition], closed: Bool)
        case refused(KafkaErrorCode)
    }

    var maxSessions = 1_000
    var maxPartitions = 100_000
    var idleEvictionMs: Int64 = 120_000

    private(set) var sessions: [Key: Session] = [:]
    private(set) var partitionCount = 0

    /// A ShareFetch with `epoch`, adding `added` and forgetting `forgotten`.
    mutating func fetch(
        _ key: Key, epoch: Int32, added: [TopicPartition], forgotten: [TopicPartition], nowMs: Int64
    ) -> Outcome {
        switch epoch {
        case 0:
            drop(key)
            var partitions: [TopicPartition] = []
            Self.add(added, to: &partitions)
            partitions.removeAll { forgotten.contains($0) }
            guard makeRoom(partitions: partitions.count, nowMs: nowMs) else {
                return .refused(.shareSessionLimitReached)
            }
            sessions[key] = Session(nextEpoch: 1, partitions: partitions, lastUsedMs: nowMs)
            partitionCount += partitions.count
            return .proceed(partitions: partitions, closed: false)
        case -1:
            guard let session = drop(key) else { return .refused(.shareSessionNotFound) }
            return .proceed(partitions: session.partitions, closed: true)
        default:
            guard var session = sessions[key] else { return .refused(.shareSessionNotFound) }
            guard session.nextEpoch == epoch else { return .refused(.invalidShareSessionEpoch) }
            var partitions = session.partitions
            Self.add(added, to: &partitions)
            if !forgotten.isEmpty { partitions.removeAll { forgotten.contains($0) } }
            let growth = partitions.count - session.partitions.count
            guard growth <= 0 || partitionCount + growth <= maxPartitions else {
                return .refused(.shareSessionLimitReached)
            }
            partitionCount += growth
            session.partitions = partitions
            session.nextEpoch = Self.next(epoch)
            session.lastUsedMs = nowMs
            sessions[key] = session
            return .proceed(partitions: partitions, closed: false)
        }
    }

    /// A ShareAcknowledge with `epoch`: 0 cannot open a session (INVALID_SHARE_SESSION_EPOCH).
    mutating func acknowledge(_ key: Key, epoch: Int32, nowMs: Int64) -> Outcome {
        if epoch == 0 { return .refused(.invalidShareSessionEpoch) }
        return fetch(key, epoch: epoch, added: [], forgotten: [], nowMs: nowMs)
    }

    /// Forgets every session of a member (it left the group or is no longer known).
    mutating func memberGone(_ key: Key) {
        drop(key)
    }

    @discardableResult
    private mutating func drop(_ key: Key) -> Session? {
        guard let session = sessions.removeValue(forKey: key) else { return nil }
        partitionCount -= session.partitions.count
        return session
    }

    /// Whether one more session of `partitions` fits, after dropping idle sessions (oldest first) if needed.
    private mutating func makeRoom(partitions: Int, nowMs: Int64) -> Bool {
        func fits() -> Bool { sessions.count < maxSessions && partitionCount + partitions <= maxPartitions }
        if fits() { return true }
        guard partitions <= maxPartitions else { return false }
        let idle = sessions.filter { nowMs - $0.value.lastUsedMs >= idleEvictionMs }
            .sorted { $0.value.lastUsedMs < $1.value.lastUsedMs }
        for (key, _) in idle {
            drop(key)
            if fits() { return true }
        }
        return fits()
    }

    private static func add(_ added: [TopicPartition], to partitions: inout [TopicPartition]) {
        guard !added.isEmpty else { return }
        var present = Set(partitions)
        for partition in added where present.insert(partition).inserted { partitions.append(partition) }
    }

    static func next(_ epoch: Int32) -> Int32 { epoch == Int32.max ? 1 : epoch + 1 }
}

/// The listener's share sessions, under one lock (a few dictionary operations per request).
final class KafkaShareSessions: Sendable {
    private let table: Mutex<ShareSessionTable>
    /// Milliseconds on a monotonic clock, for idle eviction.
    private let clock: @Sendable () -> Int64

    init(
        _ table: ShareSessionTable = ShareSessionTable(),
        clock: @escaping @Sendable () -> Int64 = { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    ) {
        self.table = Mutex(table)
        self.clock = clock
    }

    func fetch(
        _ key: ShareSessionTable.Key, epoch: Int32, added: [TopicPartition], forgotten: [TopicPartition]
    ) -> ShareSessionTable.Outcome {
        let now = clock()
        return table.withLock { $0.fetch(key, epoch: epoch, added: added, forgotten: forgotten, nowMs: now) }
    }

    func acknowledge(_ key: ShareSessionTable.Key, epoch: Int32) -> ShareSessionTable.Outcome {
        let now = clock()
        return table.withLock { $0.acknowledge(key, epoch: epoch, nowMs: now) }
    }

    func memberGone(_ key: ShareSessionTable.Key) {
        table.withLock { $0.memberGone(key) }
    }

    var count: Int { table.withLock { $0.sessions.count } }
}
