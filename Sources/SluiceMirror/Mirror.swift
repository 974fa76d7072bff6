import SluiceClient
import SluiceCore
import Synchronization

/// What a mirror copies, from where, to where.
package struct MirrorSettings: Sendable {
    /// The Sluice server's socket.
    package var socketPath: String
    package var topics: TopicSelector
    /// The Sluice consumer group whose committed offsets are the mirror's progress.
    package var group: String
    /// librdkafka settings, applied in order after `KafkaSetting.mirrorDefaults`; must include bootstrap.servers.
    package var kafka: [KafkaSetting]
    /// Create missing topics in the cluster (with the source's partition count) instead of failing.
    package var createTopics = false
    /// How often acknowledged progress is committed to the group.
    package var commitIntervalMs = 1_000
    /// How often the source's topics are listed again, to pick up new topics matching a pattern and new partitions.
    package var refreshIntervalMs = 10_000
    /// How long a stop waits for the cluster to acknowledge what was sent.
    package var flushTimeoutMs: Int32 = 30_000

    package init(socketPath: String, topics: TopicSelector, group: String, kafka: [KafkaSetting]) {
        self.socketPath = socketPath
        self.topics = topics
        self.group = group
        self.kafka = kafka
    }
}

/// Copies topics from a Sluice server to a Kafka cluster until stopped.
///
/// Each record goes to the same topic name and partition number in the cluster, with its key, value, headers and
/// timestamp. Progress is the Sluice group's committed offset per partition, and a partition's offset is committed
/// only once the cluster has acknowledged every record before it: a mirror that stops or dies resumes where the
/// acknowledged prefix ends, so nothing is lost; records acknowledged after the last commit are sent again.
///
/// The group is the mirror's own: the mirror assigns itself every selected partition and commits without
/// membership, which the server accepts only while the group has no subscribed members.
package final class Mirror: Sendable {
    package let settings: MirrorSettings
    private let stopping = Mutex(false)

    package init(settings: MirrorSettings) {
        self.settings = settings
    }

    /// Asks `run()` to stop: it stops reading, waits for the cluster's acknowledgements, commits and returns.
    package func stop() {
        stopping.withLock { $0 = true }
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    /// Runs until `stop()` or a failure. Throws `.usage` for a refused librdkafka setting, `.runtime` when the
    /// source or cluster cannot be used or a delivery failed for good (after committing what was acknowledged).
    package func run() async throws(MirrorError) {
        let ledger = DeliveryLedger()
        let producer = try KafkaProducer(settings: KafkaSetting.mirrorDefaults + settings.kafka, ledger: ledger)
        var consumerConfiguration = ConsumerConfiguration(group: settings.group, autoOffsetReset: .earliest)
        consumerConfiguration.autoCommitIntervalMs = nil
        consumerConfiguration.clientID = "sluice-mirror"
        let consumer: Consumer
        let admin: SluiceClient
        do throws(SluiceError) {
            consumer = try await Consumer.connect(socketPath: settings.socketPath, configuration: consumerConfiguration)
            admin = try await SluiceClient.connect(socketPath: settings.socketPath)
        } catch {
            _ = await producer.close(timeoutMs: 0)
            throw .runtime("cannot connect to the Sluice server at \(settings.socketPath): \(error.message)")
        }
        var failure: MirrorError?
        do throws(MirrorError) {
            try await loop(producer: producer, ledger: ledger, consumer: consumer, admin: admin)
        } catch {
            failure = error
        }
        let flushed = await producer.close(timeoutMs: settings.flushTimeoutMs)
        let committed = await commit(ledger, consumer)
        await consumer.close()
        await admin.close()
        if let failure { throw failure }
        if let reason = ledger.failure { throw .runtime(reason) }
        if !flushed {
            throw .runtime("records were still unacknowledged after the flush timeout: they will be sent again")
        }
        if !committed { throw .runtime("the last progress could not be committed: some records will be sent again") }
    }

    private func loop(producer: KafkaProducer, ledger: DeliveryLedger, consumer: Consumer, admin: SluiceClient)
        async throws(MirrorError)
    {
        var assigned: [TopicPartition] = []
        var lastRefresh = ContinuousClock.now
        var lastCommit = ContinuousClock.now
        assigned = try await refresh(producer: producer, consumer: consumer, admin: admin, current: assigned)
        while !isStopping {
            if let reason = ledger.failure { throw .runtime(reason) }
            let now = ContinuousClock.now
            if now - lastCommit >= .milliseconds(settings.commitIntervalMs) {
                lastCommit = now
                _ = await commit(ledger, consumer)
            }
            if now - lastRefresh >= .milliseconds(settings.refreshIntervalMs) {
                lastRefresh = now
                assigned = try await refresh(producer: producer, consumer: consumer, admin: admin, current: assigned)
            }
            let records: [ConsumedRecord]
            do throws(SluiceError) {
                records = try await consumer.poll(maxWaitMs: 200)
            } catch {
                guard error.code == .connectionClosed || error.code.isRetriable else {
                    throw .runtime("reading from Sluice: \(error.message)")
                }
                MirrorLog.line("reading from Sluice: \(error.message); trying again")
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            for record in records {
                ledger.sent(record.topicPartition, offset: record.offset)
                while try producer.produce(
                    record.record, topic: record.topic, partition: record.partition,
                    source: record.topicPartition) == .queueFull
                {
                    // The poll thread drains the queue as the cluster acknowledges; a stop abandons the rest
                    // (not committed, so read again next time).
                    if isStopping || ledger.failure != nil { return }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
        }
    }

    /// Commits what the cluster acknowledged since the last commit; false (and kept for the next try) on failure.
    private func commit(_ ledger: DeliveryLedger, _ consumer: Consumer) async -> Bool {
        let offsets = ledger.takeCommittable()
        guard !offsets.isEmpty else { return true }
        do throws(SluiceError) {
            try await consumer.commit(offsets)
            return true
        } catch {
            ledger.commitFailed(offsets)
            MirrorLog.line("cannot commit progress to group \(settings.group): \(error.message)")
            return false
        }
    }

    /// Lists the source's topics, checks (or creates) them in the cluster, and assigns every selected partition.
    private func refresh(
        producer: KafkaProducer, consumer: Consumer, admin: SluiceClient,
        current: [TopicPartition]
    ) async throws(MirrorError) -> [TopicPartition] {
        let metadata: [(name: String, partitions: Int32)]
        do throws(SluiceError) {
            metadata = try await admin.metadata().filter { $0.error == nil }
                .map { ($0.name, Int32($0.partitions.count)) }
        } catch {
            guard current.isEmpty else {
                MirrorLog.line("cannot list the Sluice topics: \(error.message); keeping the current ones")
                return current
            }
            throw .runtime("cannot list the Sluice topics: \(error.message)")
        }
        let source = Dictionary(metadata.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        let missing = settings.topics.literalNames.filter { source[$0] == nil }
        if !missing.isEmpty { throw .runtime("no such topic on the Sluice server: \(missing.joined(separator: ", "))") }
        let selected = settings.topics.select(Array(source.keys))
        let wanted = selected.flatMap { name in (0..<source[name]!).map { TopicPartition(topic: name, partition: $0) } }
        guard wanted != current else { return current }
        if selected.isEmpty {
            MirrorLog.line("no topic matches \(settings.topics.patterns.joined(separator: " ")) yet")
        }

        var target = try await producer.partitionCounts()
        let absent = selected.filter { target[$0] == nil }
        if !absent.isEmpty {
            guard settings.createTopics else {
                throw .runtime(
                    """
                    topic \(absent.map { "\($0) (\(source[$0]!) partitions)" }.joined(separator: ", ")) does not \
                    exist in the cluster: create it with at least as many partitions, or pass --create-topics
                    """)
            }
            try await producer.createTopics(absent.map { ($0, source[$0]!) })
            MirrorLog.line("created in the cluster: \(absent.joined(separator: ", "))")
            target = try await producer.partitionCounts()
        }
        for name in selected {
            guard let count = target[name] else { throw .runtime("topic \(name) is still missing in the cluster") }
            guard count >= source[name]! else {
                throw .runtime(
                    """
                    topic \(name) has \(count) partitions in the cluster but \(source[name]!) in Sluice: each \
                    partition is copied to the same number, so the cluster needs at least \(source[name]!)
                    """)
            }
        }
        await consumer.assign(wanted)
        MirrorLog.line(
            "mirroring \(wanted.count) partitions of \(selected.count) topics: \(selected.joined(separator: ", "))")
        return wanted
    }
}

extension Mirror {
    /// Checks librdkafka settings (with the mirror's defaults first) without connecting anywhere: throws `.usage`
    /// naming the first setting librdkafka refuses.
    package static func checkKafkaSettings(_ settings: [KafkaSetting]) throws(MirrorError) {
        try KafkaProducer.validate(KafkaSetting.mirrorDefaults + settings)
    }
}
