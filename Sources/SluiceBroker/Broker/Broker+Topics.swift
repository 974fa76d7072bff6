import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// Creating, deleting, altering and describing topics; the disk-size metrics.
extension Broker {
    @discardableResult
    package func createTopic(_ name: String, config: TopicConfig) async throws(SluiceError) -> TopicDefinition {
        try checkRunning()
        let logger = self.logger
        let sweeper = self.sweeper
        return try await admin { store throws(SluiceError) in
            let description = try store.createTopic(name, config: config, now: self.clocks.wall())
            let handle = try Self.openTopic(name, config: config, in: store, sweeper: sweeper, logger: logger)
            self.registry.withLock { $0.topics[name] = handle }
            logger.info("topic created", metadata: ["topic": "\(name)", "partitions": "\(config.partitions)"])
            return description
        }
    }

    package func deleteTopic(_ name: String) async throws(SluiceError) {
        try checkRunning()
        if registry.withLock({ $0.broken[name] != nil }) {
            // A topic whose database could not be opened: nothing is open to close, its files just go.
            try await admin { store throws(SluiceError) in
                try store.deleteTopic(name)
                self.registry.withLock { _ = $0.broken.removeValue(forKey: name) }
                self.logger.info("damaged topic deleted", metadata: ["topic": "\(name)"])
            }
            return
        }
        let handle = try handle(name)
        try await admin { _ throws(SluiceError) in
            // Removed from the registry first: from here on, new requests see an unknown topic.
            self.registry.withLock { _ = $0.topics.removeValue(forKey: name) }
        }
        sweeper.remove(name)
        await handle.close()
        let logger = self.logger
        let sweeper = self.sweeper
        try await admin { store throws(SluiceError) in
            do throws(SluiceError) {
                try store.deleteTopic(name)
                logger.info("topic deleted", metadata: ["topic": "\(name)"])
            } catch {
                // Not deleted (a full disk refuses even the catalog's mark): serve the topic again as it was.
                // If the mark did land, the topic is no longer live and the next start finishes the deletion.
                if let topic = try? store.topic(name),
                    let reopened = try? Self.openTopic(
                        name, config: topic.config, in: store, sweeper: sweeper,
                        logger: logger)
                {
                    self.registry.withLock { $0.topics[name] = reopened }
                }
                throw error
            }
        }
        groups.partitionsChanged()
    }

    /// Changes a topic's settings; see `Store.alterTopic`.
    @discardableResult
    package func alterTopic(_ name: String, _ change: @escaping @Sendable (inout TopicConfig) -> Void)
        async throws(SluiceError) -> TopicDefinition
    {
        try checkRunning()
        let handle = try handle(name)
        let description = try await admin { store throws(SluiceError) in try store.alterTopic(name, change) }
        handle.updateConfig(description.config)
        groups.partitionsChanged()
        return description
    }

    package func topics() async throws(SluiceError) -> [TopicDefinition] {
        try await admin { store throws(SluiceError) in try store.topics() }
    }

    /// A topic's settings and partitions, with bytes stored per partition.
    package func describeTopic(_ name: String) async throws(SluiceError) -> TopicDetails {
        let handle = try handle(name)
        let description = try await admin { store throws(SluiceError) in try store.topic(name) }
        let sizes: [Int64] = try await onReadQueue { () throws(SluiceError) in
            try handle.withReader { reader throws(SluiceError) in
                try (0..<description.config.partitions).map { partition throws(SluiceError) in
                    try reader.sizeBytes(partition: partition)
                }
            }
        }
        let partitions = (0..<description.config.partitions).map { partition in
            let bounds = handle.watch.bounds(partition) ?? (0, 0)
            return PartitionDetails(
                partition: partition, logStartOffset: bounds.logStart,
                nextOffset: bounds.highWatermark, sizeBytes: sizes[Int(partition)])
        }
        return TopicDetails(description: description, partitions: partitions)
    }

    /// Partition offsets for the named topics (every topic when `nil`), from memory; unknown names get an error.
    package func metadata(_ names: [String]?) -> [(name: String, result: Result<[PartitionDetails], SluiceError>)] {
        let (topics, broken) = registry.withLock { ($0.topics, $0.broken) }
        let wanted = names ?? (Array(topics.keys) + Array(broken.keys)).sorted()
        return wanted.map { name in
            guard let handle = topics[name] else {
                return (name, .failure(broken[name] ?? .unknownTopic(name)))
            }
            let partitions = (0..<handle.watch.partitionCount).map { partition in
                let bounds = handle.watch.bounds(partition) ?? (0, 0)
                return PartitionDetails(
                    partition: partition, logStartOffset: bounds.logStart,
                    nextOffset: bounds.highWatermark, sizeBytes: -1)
            }
            return (name, .success(partitions))
        }
    }

    /// Sets every live topic's `sluice_topic_disk_bytes` gauge from its files' sizes (the sweeper also does after
    /// each sweep); call before exporting metrics.
    package func refreshDiskMetrics() {
        let handles = registry.withLock { Array($0.topics.values) }
        for handle in handles { handle.metrics.updateDiskBytes(path: handle.path) }
    }
}
