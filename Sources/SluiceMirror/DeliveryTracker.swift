import SluiceCore

/// Which source offsets the cluster has acknowledged, and from that the offset each partition may commit.
///
/// Records of a partition are `sent` in offset order (not necessarily consecutive offsets: retention and
/// compaction leave gaps). Acknowledgements may come in any order. A partition's committable offset is the offset
/// after the last record of the longest acknowledged prefix of what was sent: everything before it is in the cluster,
/// so a mirror that restarts there loses nothing. A pure value: the producer's delivery callback and the commit loop
/// share it behind a lock.
struct DeliveryTracker: Sendable {
    private struct Partition {
        /// Offsets sent and not yet part of the acknowledged prefix, in the order sent; `head` is the first live one.
        var inFlight: [Int64] = []
        var head = 0
        var acknowledged: Set<Int64> = []
        /// The offset to commit (the one after the acknowledged prefix), once there is one.
        var committable: Int64?
        /// `committable` as last handed out by `takeCommittable()`.
        var committed: Int64?
    }

    private var partitions: [TopicPartition: Partition] = [:]
    /// The first delivery that failed for good: nothing after it in its partition may be committed.
    private(set) var failure: (TopicPartition, Int64, String)?

    init() {}

    /// Records that `offset` of `tp` was handed to the producer. Offsets of a partition must grow.
    mutating func sent(_ tp: TopicPartition, offset: Int64) {
        var partition = partitions[tp] ?? Partition()
        precondition(partition.inFlight.last.map { $0 < offset } ?? true, "sent(\(tp), \(offset)): offsets must grow")
        partition.inFlight.append(offset)
        partitions[tp] = partition
    }

    /// Records the cluster's acknowledgement of `offset` of `tp`, and moves the committable offset over the prefix.
    mutating func acknowledged(_ tp: TopicPartition, offset: Int64) {
        guard var partition = partitions[tp] else { return }
        partition.acknowledged.insert(offset)
        while partition.head < partition.inFlight.count,
            partition.acknowledged.remove(partition.inFlight[partition.head]) != nil
        {
            partition.committable = partition.inFlight[partition.head] + 1
            partition.head += 1
        }
        if partition.head > 1024, partition.head * 2 > partition.inFlight.count {
            partition.inFlight.removeFirst(partition.head)
            partition.head = 0
        }
        partitions[tp] = partition
    }

    /// Records that `offset` of `tp` will never be delivered; the partition's committable offset stops before it.
    mutating func failed(_ tp: TopicPartition, offset: Int64, reason: String) {
        if failure == nil { failure = (tp, offset, reason) }
    }

    /// Records sent and not yet acknowledged (or failed), over all partitions.
    var inFlightCount: Int {
        partitions.values.reduce(0) { $0 + $1.inFlight.count - $1.head }
    }

    /// The committable offset of `tp`, if any record of it was acknowledged.
    func committable(_ tp: TopicPartition) -> Int64? {
        partitions[tp]?.committable
    }

    /// The committable offsets that changed since the last call, to be committed to the Sluice group.
    mutating func takeCommittable() -> [TopicPartition: Int64] {
        var changed: [TopicPartition: Int64] = [:]
        for (tp, partition) in partitions {
            guard let offset = partition.committable, offset != partition.committed else { continue }
            changed[tp] = offset
            partitions[tp]?.committed = offset
        }
        return changed
    }

    /// Hands the offsets of a failed commit back, so that the next `takeCommittable()` tries them again.
    mutating func commitFailed(_ offsets: [TopicPartition: Int64]) {
        for (tp, offset) in offsets where partitions[tp]?.committed == offset {
            partitions[tp]?.committed = nil
        }
    }
}
