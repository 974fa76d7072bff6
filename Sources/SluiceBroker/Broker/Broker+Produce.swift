import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// Produce with group commit, and producer ids for idempotent producers.
extension Broker {
    /// Appends each batch to its partition; `completion` runs once, after every batch is committed or refused.
    ///
    /// Batches for one topic that arrive together share one transaction and one fsync (group commit).
    package func produce(_ batches: [ProduceBatch], completion: @escaping @Sendable ([ProduceOutcome]) -> Void) {
        if batches.isEmpty { return completion([]) }
        // One batch (the common case) needs no collector: its outcome is the answer.
        let collector =
            batches.count == 1
            ? nil : Collector<ProduceOutcome>(count: batches.count, completion: completion)
        let stopping = registry.withLock { $0.shuttingDown }
        for (index, batch) in batches.enumerated() {
            let report: @Sendable (Result<ProduceOutcome.Appended, SluiceError>) -> Void = { result in
                let outcome = ProduceOutcome(topic: batch.topic, partition: batch.partition, result: result)
                if let collector { collector.set(index, outcome) } else { completion([outcome]) }
            }
            if stopping {
                report(.failure(SluiceError(.shuttingDown, "the server is shutting down")))
                continue
            }
            if let sequence = batch.sequence,
                sequence.producerID < 0 || sequence.producerID > lastProducerID.load(ordering: .acquiring)
            {
                report(
                    .failure(
                        SluiceError(
                            .unknownProducerID, "producer id \(sequence.producerID) was never handed out by this broker"
                        )))
                continue
            }
            do throws(SluiceError) {
                try handle(batch.topic).produce(
                    partition: batch.partition, records: batch.records,
                    sequence: batch.sequence, completion: report)
            } catch {
                report(.failure(error))
            }
        }
    }

    /// Hands out a new idempotent producer identity (a fresh id at epoch 0), durably: ids are never reused, even
    /// after a restart or a crash.
    ///
    /// Ids come from a block the catalog reserved (`ProducerIDBlock`): only the call that finds the block used up
    /// commits, on the admin queue, so a flood of calls costs one catalog commit per block.
    package func initProducerID() async throws(SluiceError) -> ProducerIdentity {
        try checkRunning()
        if let id = takeProducerID() { return ProducerIdentity(producerID: id, epoch: 0) }
        return try await admin { store throws(SluiceError) in
            // Another call may have reserved a block while this one waited for the queue.
            if let id = self.takeProducerID() { return ProducerIdentity(producerID: id, epoch: 0) }
            let ids = try store.catalog.reserveProducerIDs(ProducerIDBlock.size)
            BrokerMetrics.producerIDBlocks.increment()
            let id = self.producerIDs.withLock { block in
                block = ProducerIDBlock(ids)
                let id = block.take()!
                self.lastProducerID.store(id, ordering: .releasing)
                return id
            }
            return ProducerIdentity(producerID: id, epoch: 0)
        }
    }

    /// The current block's next id, made known to produce before it is handed out.
    private func takeProducerID() -> Int64? {
        producerIDs.withLock { block in
            guard let id = block.take() else { return nil }
            if id > lastProducerID.load(ordering: .relaxed) { lastProducerID.store(id, ordering: .releasing) }
            return id
        }
    }

    /// `produce` for async callers.
    package func produce(_ batches: [ProduceBatch]) async -> [ProduceOutcome] {
        await withCheckedContinuation { continuation in
            produce(batches) { continuation.resume(returning: $0) }
        }
    }
}
