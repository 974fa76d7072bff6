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
        let openTopics = self.openTopics
        return try await admin { store throws(SluiceError) in
            if self.registry.withLock({ $0.deleting.contains(name) }) {
                throw SluiceError(.topicBeingDeleted, "topic '\(name)' is being deleted; try again shortly")
            }
            let description = try store.createTopic(name, config: config, now: self.clocks.wall())
            let handle = Self.makeHandle(
                name, config: config, in: store, sweeper: sweeper, openTopics: openTopics, logger: logger)
            self.registry.withLock { $0.add(handle, id: description.topicID) }
            logger.info("topic created", metadata: ["topic": "\(name)", "partitions": "\(config.partitions)"])
            return description
        }
    }

    /// Deletes a topic: refuses new requests for it, finishes the commits in flight, closes it, removes its files and
    /// catalog row.
    ///
    /// One deletion per name at a time: the handle leaves the registry and the name is marked `deleting` in one step
    /// on the admin queue, and only the deletion that took the handle removes files and catalog row, on the admin
    /// queue again, before the mark is lifted. A concurrent deletion of the same name is answered `.unknownTopic`,
    /// and a create `.topicBeingDeleted`, until it is done; so no deletion can remove the files of a topic created
    /// after it began, and no handle of a deleted topic stays registered (its produces would be acknowledged into
    /// files that are gone).
    package func deleteTopic(_ name: String) async throws(SluiceError) {
        try checkRunning()
        let handle = try await admin { _ throws(SluiceError) -> TopicHandle in
            // Removed from the registry first: from here on, new requests see an unknown topic.
            let handle = self.registry.withLock { registry -> TopicHandle? in
                guard let handle = registry.remove(name) else { return nil }
                registry.deleting.insert(name)
                return handle
            }
            guard let handle else { throw SluiceError.unknownTopic(name) }
            return handle
        }
        sweeper.remove(name)
        await handle.close()
        handle.stopShareTimers()
        forgetShareTopic(name)
        let logger = self.logger
        let sweeper = self.sweeper
        let openTopics = self.openTopics
        try await admin { store throws(SluiceError) in
            defer { self.registry.withLock { _ = $0.deleting.remove(name) } }
            do throws(SluiceError) {
                try store.deleteTopic(name)
                // Its share-group state was in its database; the groups' lists forget it too.
                try? store.catalog.removeShareGroupTopic(name)
                logger.info("topic deleted", metadata: ["topic": "\(name)"])
            } catch {
                // Not deleted (a full disk refuses even the catalog's mark): serve the topic again as it was.
                // If the mark did land, the topic is no longer live and the next start finishes the deletion.
                if let topic = try? store.topic(name) {
                    let reopened = Self.makeHandle(
                        name, config: topic.config, in: store, sweeper: sweeper, openTopics: openTopics,
                        logger: logger)
                    self.registry.withLock { $0.add(reopened, id: topic.topicID) }
                    reopened.retention.sweepNow()
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
        // On the admin queue, like creation and deletion: the handle changed is the one of the topic altered.
        let description = try await admin { store throws(SluiceError) in
            let handle = try self.handle(name)
            let description = try store.alterTopic(name, change)
            handle.updateConfig(description.config)
            return description
        }
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
        let (sizes, watch) = try await onReadQueue { () throws(SluiceError) in
            let watch = try handle.watch()
            let sizes = try handle.withReader { reader throws(SluiceError) in
                try (0..<description.config.partitions).map { partition throws(SluiceError) in
                    try reader.sizeBytes(partition: partition)
                }
            }
            return (sizes, watch)
        }
        let partitions = (0..<description.config.partitions).map { partition in
            let bounds = watch.bounds(partition) ?? (0, 0)
            return PartitionDetails(
                partition: partition, logStartOffset: bounds.logStart,
                nextOffset: bounds.highWatermark, sizeBytes: sizes[Int(partition)])
        }
        return TopicDetails(description: description, partitions: partitions)
    }

    /// Partition offsets for the named topics (every topic when `nil`); unknown names get an error.
    ///
    /// From memory, except for a topic not used since start-up: its bounds are read once from its database, on the
    /// read queue (the reader goes back to its pool, and closes with the topic when it is idle).
    package func metadata(_ names: [String]?) async -> [(
        name: String, result: Result<[PartitionDetails], SluiceError>
    )] {
        let topics = registry.withLock { $0.topics }
        let wanted = names ?? topics.keys.sorted()
        return await onReadQueue { () -> [(name: String, result: Result<[PartitionDetails], SluiceError>)] in
            wanted.map { name in
                guard let handle = topics[name] else { return (name, .failure(.unknownTopic(name))) }
                do throws(SluiceError) {
                    let watch = try handle.watch()
                    let partitions = (0..<watch.partitionCount).map { partition in
                        let bounds = watch.bounds(partition) ?? (0, 0)
                        return PartitionDetails(
                            partition: partition, logStartOffset: bounds.logStart,
                            nextOffset: bounds.highWatermark, sizeBytes: -1)
                    }
                    return (name, .success(partitions))
                } catch {
                    return (name, .failure(error))
                }
            }
        }
    }

    /// The partition count of each named topic (every topic when `nil`), from the catalog's settings kept in
    /// memory: opens nothing. Unknown names get `.unknownTopic`.
    package func partitionCounts(_ names: [String]?) -> [(name: String, result: Result<Int32, SluiceError>)] {
        let topics = registry.withLock { $0.topics }
        let wanted = names ?? topics.keys.sorted()
        return wanted.map { name in
            guard let handle = topics[name] else { return (name, .failure(.unknownTopic(name))) }
            return (name, .success(handle.partitionCount))
        }
    }

    /// Counts fetched records, by topic, in their topics' activity.
    func noteFetched(_ byTopic: [String: Int]) {
        let handles = registry.withLock { registry in byTopic.keys.compactMap { registry.topics[$0] } }
        let now = clocks.wall()
        for handle in handles { handle.activity.add(fetched: byTopic[handle.name] ?? 0, wallMs: now) }
    }

    /// Each named topic's records produced and fetched per minute over the last hour, and the size of its files;
    /// unknown names are left out. Reads memory and stats two files per topic.
    package func topicActivity(_ names: [String]) -> [String: (hour: TopicActivityHour, diskBytes: Int64)] {
        let handles = registry.withLock { registry in names.compactMap { registry.topics[$0] } }
        let now = clocks.wall()
        var out: [String: (hour: TopicActivityHour, diskBytes: Int64)] = [:]
        for handle in handles {
            out[handle.name] = (handle.activity.lastHour(wallMs: now), TopicMetrics.diskBytes(path: handle.path))
        }
        return out
    }

    /// Sets every live topic's `sluice_topic_disk_bytes` gauge from its files' sizes (the sweeper also does after
    /// each sweep); call before exporting metrics.
    package func refreshDiskMetrics() {
        let handles = registry.withLock { Array($0.topics.values) }
        // Topics not used since start-up have no metrics yet (nor a changed size).
        for handle in handles { handle.metricsIfMade?.updateDiskBytes(path: handle.path) }
    }
}
