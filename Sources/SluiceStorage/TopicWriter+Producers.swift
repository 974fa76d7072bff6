import SluiceCore

/// One idempotent producer on one partition: the key of a `producer_state` row.
struct ProducerKey: Hashable {
    var partition: Int32
    var producerID: Int64
}

extension TopicWriter {
    /// The producer's committed state on a partition (`nil` when it has appended nothing there), cached after the
    /// first read: this writer is the only one, so the cache stays exact while transactions commit.
    func producerState(_ key: ProducerKey) throws -> ProducerState? {
        if let cached = producers[key] { return cached }
        let select = try connection.statement(
            "SELECT epoch, last_sequence, batches, last_append_ms FROM producer_state "
                + "WHERE partition = ? AND producer_id = ?"
        )
        defer { select.reset() }
        select.bind(1, Int64(key.partition))
        select.bind(2, key.producerID)
        var state: ProducerState?
        if try select.step() {
            state = ProducerState(
                epoch: Int16(truncatingIfNeeded: select.int64(0)),
                lastSequence: Int32(truncatingIfNeeded: select.int64(1)),
                batches: ProducerState.decodeBatches(select.blobBytes(2)),
                lastAppendMs: select.int64(3))
        }
        producers[key] = .some(state)
        return state
    }

    /// Writes the cached state of `key` in the current transaction.
    func saveProducerState(_ key: ProducerKey) throws {
        guard let cached = producers[key], let state = cached else { return }
        let upsert = try connection.statement(
            """
            INSERT INTO producer_state (partition, producer_id, epoch, last_sequence, batches, last_append_ms)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (partition, producer_id) DO UPDATE SET epoch = excluded.epoch,
                last_sequence = excluded.last_sequence, batches = excluded.batches,
                last_append_ms = excluded.last_append_ms
            """
        )
        upsert.bind(1, Int64(key.partition))
        upsert.bind(2, key.producerID)
        upsert.bind(3, Int64(state.epoch))
        upsert.bind(4, Int64(state.lastSequence))
        upsert.bind(5, state.encodedBatches)
        upsert.bind(6, state.lastAppendMs)
        try upsert.run()
    }

    /// Forgets producers idle on a partition for `ProducerState.idleExpiryMs`, in the current transaction.
    ///
    /// Runs when a producer first appends to a partition, so the table holds at most the producers of the last
    /// week. A forgotten producer that comes back with a sequence other than 0 is refused as out of order.
    func pruneProducerStates(now: Int64) throws {
        let cutoff = now - ProducerState.idleExpiryMs
        let delete = try connection.statement("DELETE FROM producer_state WHERE last_append_ms < ?")
        delete.bind(1, cutoff)
        try delete.run()
        producers = producers.filter { _, state in (state?.lastAppendMs ?? Int64.max) >= cutoff }
    }

    /// The producer's state on a partition as committed, for tests and tools: epoch, last sequence and how many
    /// batches are retained; `nil` when there is none.
    package func producerSequence(partition: Int32, producerID: Int64) throws(SluiceError)
        -> (epoch: Int16, lastSequence: Int32, retainedBatches: Int)?
    {
        do {
            guard let state = try producerState(ProducerKey(partition: partition, producerID: producerID)) else {
                return nil
            }
            return (state.epoch, state.lastSequence, state.batches.count)
        } catch {
            throw storageError(error)
        }
    }
}
