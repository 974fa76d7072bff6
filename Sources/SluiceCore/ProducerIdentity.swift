/// An idempotent producer as the broker knows it: an id handed out once and never again, and an epoch.
///
/// Ids come from a counter in the catalog, so they stay unique across restarts. A new id starts at epoch 0; a
/// batch from an epoch lower than the one a partition has stored is fenced (`.invalidProducerEpoch`).
package struct ProducerIdentity: Sendable, Hashable {
    package var producerID: Int64
    package var epoch: Int16

    package init(producerID: Int64, epoch: Int16) {
        self.producerID = producerID
        self.epoch = epoch
    }
}

/// The sequence numbers an idempotent producer gave one batch for one partition.
///
/// Record `i` of the batch has sequence `baseSequence + i`, wrapping from `Int32.max` to 0 as Kafka's do. The broker
/// appends a batch whose base follows the partition's last sequence, answers a resent batch (same first and last
/// sequence as one of the last five) with its original offsets, and refuses anything else.
package struct BatchSequence: Sendable, Hashable {
    package var producerID: Int64
    package var epoch: Int16
    package var baseSequence: Int32

    package init(producerID: Int64, epoch: Int16, baseSequence: Int32) {
        self.producerID = producerID
        self.epoch = epoch
        self.baseSequence = baseSequence
    }

    package init(_ identity: ProducerIdentity, baseSequence: Int32) {
        self.init(producerID: identity.producerID, epoch: identity.epoch, baseSequence: baseSequence)
    }

    /// The sequence of the batch's last record, for a batch of `count` records (at least one).
    package func lastSequence(count: Int) -> Int32 {
        Self.advance(baseSequence, by: count - 1)
    }

    /// `sequence + increment`, wrapping past `Int32.max` to 0.
    package static func advance(_ sequence: Int32, by increment: Int) -> Int32 {
        let span = Int64(Int32.max) + 1
        return Int32((Int64(sequence) + Int64(increment)) % span)
    }
}
