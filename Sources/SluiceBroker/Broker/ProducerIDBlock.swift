/// The producer ids the catalog has reserved and the broker has not handed out yet, as Kafka's
/// `AllocateProducerIds` hands a broker a block: one durable write per block, not per id.
///
/// Ids are handed out in order from `next` to `last`; when the block is used up the broker reserves the next one
/// (on the admin queue) after the last the catalog recorded, so an id is never handed out twice, across restarts
/// and crashes. The ids of a block not handed out before a restart are skipped.
struct ProducerIDBlock: Sendable, Equatable {
    /// Ids reserved in one catalog commit.
    static let size: Int64 = 1000

    /// The next id to hand out; past `last` when the block is used up.
    private(set) var next: Int64
    /// The last id of the block.
    private(set) var last: Int64

    /// An empty block ending at `last`, the catalog's counter: the next block starts after it.
    init(exhaustedAt last: Int64) {
        self.next = last + 1
        self.last = last
    }

    init(_ ids: ClosedRange<Int64>) {
        self.next = ids.lowerBound
        self.last = ids.upperBound
    }

    /// Hands out the block's next id, or nil when it is used up.
    mutating func take() -> Int64? {
        guard next <= last else { return nil }
        defer { next += 1 }
        return next
    }
}
