import SluiceCore

/// What one partition remembers of one idempotent producer: its epoch, the last sequence appended and the last
/// few batches (a row of `producer_state`).
///
/// A value type that decides; `TopicWriter` loads it, asks `check`, appends and stores `appended`'s result in the
/// same transaction as the records.
struct ProducerState: Hashable {
    /// A batch the partition appended, kept to recognise it when it is sent again.
    struct RetainedBatch: Hashable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
        var logAppendTime: Int64
    }

    var epoch: Int16
    var lastSequence: Int32
    /// Oldest first, at most `retainedBatches`.
    var batches: [RetainedBatch]
    var lastAppendMs: Int64

    /// How many appended batches are remembered: as many as a producer may have in flight per partition.
    static let retainedBatches = 5
    /// A producer that appended nothing to a partition for this long is forgotten there (7 days).
    static let idleExpiryMs: Int64 = 7 * 24 * 3_600_000
    static let entryBytes = 24

    /// What to do with a batch.
    enum Check: Equatable {
        /// The batch follows the last one: append it.
        case append
        /// The batch was appended already: answer with its original offsets, append nothing.
        case duplicate(RetainedBatch)
        /// The batch is out of order or from a fenced epoch.
        case refuse(SluiceError)
    }

    /// Decides what becomes of a batch of `count` (at least 1) records given the partition's state (`nil`: the
    /// producer has appended nothing here).
    static func check(
        _ state: ProducerState?, _ sequence: BatchSequence, count: Int, topic: String,
        partition: Int32
    ) -> Check {
        let last = sequence.lastSequence(count: count)
        let name =
            "producer \(sequence.producerID) (epoch \(sequence.epoch)) on topic '\(topic)' partition \(partition)"
        guard let state, sequence.epoch == state.epoch else {
            if let state, sequence.epoch < state.epoch {
                return .refuse(
                    SluiceError(
                        .invalidProducerEpoch, "\(name) is fenced: the partition has seen epoch \(state.epoch)"))
            }
            // A producer new to the partition, or a new epoch: its sequences start at 0.
            if sequence.baseSequence == 0 { return .append }
            return .refuse(
                SluiceError(
                    .outOfOrderSequence,
                    "\(name) sent sequence \(sequence.baseSequence) but the partition expects 0 from it"))
        }
        if let retained = state.batches.first(where: {
            $0.firstSequence == sequence.baseSequence && $0.lastSequence == last
        }) {
            return .duplicate(retained)
        }
        let expected = BatchSequence.advance(state.lastSequence, by: 1)
        if sequence.baseSequence == expected { return .append }
        return .refuse(
            SluiceError(
                .outOfOrderSequence,
                "\(name) sent sequence \(sequence.baseSequence) but the partition expects \(expected)"))
    }

    /// The state after appending a batch that `check` allowed.
    static func appended(
        to state: ProducerState?, _ sequence: BatchSequence, count: Int, baseOffset: Int64,
        now: Int64
    ) -> ProducerState {
        var next =
            state?.epoch == sequence.epoch
            ? state!
            : ProducerState(epoch: sequence.epoch, lastSequence: -1, batches: [], lastAppendMs: now)
        let last = sequence.lastSequence(count: count)
        next.lastSequence = last
        next.lastAppendMs = now
        next.batches.append(
            RetainedBatch(
                firstSequence: sequence.baseSequence, lastSequence: last,
                baseOffset: baseOffset, logAppendTime: now))
        if next.batches.count > retainedBatches { next.batches.removeFirst(next.batches.count - retainedBatches) }
        return next
    }

    // MARK: - The batches column

    /// The `batches` column: 24 bytes per batch, big-endian.
    var encodedBatches: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batches.count * Self.entryBytes)
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        for batch in batches {
            put(batch.firstSequence)
            put(batch.lastSequence)
            put(batch.baseOffset)
            put(batch.logAppendTime)
        }
        return bytes
    }

    /// Decodes the `batches` column; ignores a trailing partial entry.
    static func decodeBatches(_ bytes: UnsafeRawBufferPointer?) -> [RetainedBatch] {
        guard let bytes else { return [] }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        var batches: [RetainedBatch] = []
        var offset = 0
        while offset + entryBytes <= bytes.count {
            batches.append(
                RetainedBatch(
                    firstSequence: get(offset, Int32.self), lastSequence: get(offset + 4, Int32.self),
                    baseOffset: get(offset + 8, Int64.self), logAppendTime: get(offset + 16, Int64.self)))
            offset += entryBytes
        }
        return batches
    }
}
