import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore
import SluiceProtocol
import Synchronization

/// `sluice bench share`: records accepted per second through a share group, against a plain consumer group reading
/// the same topic in the same run, and how soon a record comes back after its lock runs out.
struct BenchShare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "share",
        abstract: "Measure a share group's accepted records per second against a consumer group's, and redelivery.",
        discussion: """
            A topic the bench creates is first filled with --messages messages of --size bytes (not timed). A \
            consumer group of one member then reads it all, timed; then --share-consumers members of a new share \
            group (started at the earliest offset) acquire and accept it all, their acknowledgements batched on \
            their next fetch, timed until the group's share start offsets have passed every record (all of them \
            accepted, not until the members' last polls give up waiting). The report's messages/s is the share \
            group's; consumer_group_messages_per_second, \
            share_to_consumer_ratio follow. Then, --redeliveries times, a record is acquired and left, and the \
            time from its lock's deadline (share.record.lock.duration.ms, --lock-ms) to its redelivery to \
            another member waiting in a fetch is the latency (redelivery after lock expiry).
            """)

    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("Members of the share group.", valueName: "n"))
    var shareConsumers: Int = 4

    @Option(help: ArgumentHelp("Records one share fetch acquires at most.", valueName: "n"))
    var maxRecords: Int32 = 500

    @Option(help: ArgumentHelp("The redelivery test's lock duration.", valueName: "ms"))
    var lockMs: Int = 500

    @Option(help: ArgumentHelp("Redeliveries to time.", valueName: "n"))
    var redeliveries: Int = 5

    func validate() throws {
        if !(1...64).contains(shareConsumers) { throw ValidationError("--share-consumers must be from 1 to 64") }
        if maxRecords < 1 { throw ValidationError("--max-records must be at least 1") }
        if !(100...60_000).contains(lockMs) { throw ValidationError("--lock-ms must be from 100 to 60000") }
        if !(0...100).contains(redeliveries) { throw ValidationError("--redeliveries must be from 0 to 100") }
    }

    func run() async throws {
        try await BenchSession.run(options, command: "bench share") { session async throws(SluiceError) in
            try await measure(session)
        }
    }

    private func measure(_ session: BenchSession) async throws(SluiceError) -> (BenchReport, SluiceError?) {
        let total = options.messages ?? BenchOptions.defaultMessages
        if session.created { try await fill(session, messages: total) }
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)

        // A plain consumer group reads the topic, from the beginning.
        var configuration = ConsumerConfiguration(group: "bench-cg-\(suffix)", autoOffsetReset: .earliest)
        configuration.clientID = "sluice-bench"
        let consumer = try await session.client.makeConsumer(configuration)
        try await consumer.subscribe([session.topic])
        let plainStart = BenchClock.now()
        var read = 0
        while read < total, !session.stop.isSet {
            read += try await consumer.poll(maxWaitMs: 1000).count
        }
        let plainSeconds = Double(BenchClock.now() &- plainStart) / 1e9
        await consumer.close()

        // A share group of several members accepts it all.
        let group = "bench-share-\(suffix)"
        try await session.client.alterGroupConfig(
            group, [ConfigEntry(key: "share.auto.offset.reset", value: "earliest")])
        var members: [ShareConsumer] = []
        for index in 0..<shareConsumers {
            members.append(
                try await session.client.makeShareConsumer(
                    group: group, topics: [session.topic],
                    configuration: ShareConsumerConfiguration(clientID: "bench-\(index)", maxRecords: maxRecords)))
        }
        let state = BenchState(total: total, rate: nil)
        let latency = BenchLatency()
        let sharing = members
        // Where the group starts (its members joined, so its state is made): the run is over once the share start
        // offsets moved past `total` records, that is once every record delivered is accepted.
        let startOffsets = try await shareStartOffsets(session, group: group)
        let allAccepted = BenchFlag()
        let client = session.client
        let topic = session.topic
        let cpuStart = BenchCPU.now(serverPID: options.serverPid)
        let start = BenchClock.now()
        let finished = await session.monitor(
            state, label: "share", start: start, count: { state.consumed.load(ordering: .relaxed) }
        ) {
            await withTaskGroup(of: Void.self) { tasks in
                for member in sharing {
                    tasks.addTask {
                        while state.consumed.load(ordering: .relaxed) < total, !state.isStopped {
                            let sent = BenchClock.now()
                            guard let records = try? await member.poll(maxWaitMs: 200) else { continue }
                            if records.isEmpty { continue }
                            latency.record(BenchClock.now() &- sent)
                            for record in records { await member.acknowledge(record) }
                            state.consumed.add(records.count, ordering: .relaxed)
                            state.consumedBytes.add(
                                records.reduce(0) { $0 + ($1.record.value?.count ?? 0) }, ordering: .relaxed)
                        }
                        _ = try? await member.commit()
                    }
                }
                // The members still polling when the last records went out wait up to their poll's maxWaitMs for
                // records that will not come: the run ends when everything delivered is accepted, not then.
                tasks.addTask {
                    await Self.awaitAccepted(
                        client, group: group, topic: topic, from: startOffsets, total: total, state: state)
                    allAccepted.set()
                }
            }
        }
        let end = allAccepted.isSet ? min(allAccepted.time, finished) : finished
        let cpu = BenchCPU.now(serverPID: options.serverPid).since(cpuStart)
        for member in members { await member.close() }
        let seconds = Double(end &- start) / 1e9
        let accepted = state.consumed.load(ordering: .relaxed)
        let plainRate = plainSeconds > 0 ? Double(read) / plainSeconds : 0
        let shareRate = seconds > 0 ? Double(accepted) / seconds : 0

        let redelivery = try await measureRedelivery(session, suffix: suffix)
        let report = BenchReport(
            mode: "share", topic: session.topic, messages: accepted,
            bytes: state.consumedBytes.load(ordering: .relaxed), seconds: seconds,
            latencyMeaning: "per share fetch with records", latency: latency.snapshot,
            settings: session.settings(size: session.created ? options.size : nil) + [
                ("share_consumers", .int(shareConsumers)), ("max_records", .int(Int(maxRecords))),
                ("consumer_group_messages", .int(read)),
                ("consumer_group_messages_per_second", .number(plainRate)),
                ("share_to_consumer_ratio", .number(plainRate > 0 ? shareRate / plainRate : 0)),
                ("lock_ms", .int(lockMs)),
                ("redelivery_after_lock_ms_median", redelivery.median.map { .number($0) } ?? .none),
                ("redelivery_after_lock_ms_max", redelivery.max.map { .number($0) } ?? .none),
            ], cpu: cpu, duplicates: nil)
        return (report, state.error)
    }

    /// The group's share start offset on each partition of the bench's topic (its log start before the group read
    /// it).
    private func shareStartOffsets(_ session: BenchSession, group: String) async throws(SluiceError) -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        for partition in try await session.client.describeShareGroup(group).partitions
        where partition.topic == session.topic {
            offsets[partition.partition] = partition.startOffset ?? 0
        }
        return offsets
    }

    /// Returns once `total` records were delivered and the share start offsets moved past as many records (every
    /// record delivered is accepted, its acknowledgement stored), or the run stopped.
    private static func awaitAccepted(
        _ client: SluiceClient, group: String, topic: String, from startOffsets: [Int32: Int64], total: Int,
        state: BenchState
    ) async {
        while state.consumed.load(ordering: .relaxed) < total, !state.isStopped {
            try? await Task.sleep(for: .milliseconds(1))
        }
        while !state.isStopped {
            guard let description = try? await client.describeShareGroup(group) else { return }
            var done: Int64 = 0
            for partition in description.partitions where partition.topic == topic {
                done += (partition.startOffset ?? 0) - (startOffsets[partition.partition] ?? 0)
            }
            if done >= Int64(total) { return }
        }
    }

    /// Acquires one record with a member that never acknowledges it, and times its redelivery to another member,
    /// from the lock's deadline: `--redeliveries` times, a new record each.
    private func measureRedelivery(_ session: BenchSession, suffix: String) async throws(SluiceError)
        -> (median: Double?, max: Double?)
    {
        guard redeliveries > 0 else { return (nil, nil) }
        let topic = "\(session.topic)-redelivery"
        try await session.client.createTopic(topic, partitions: 1)
        let group = "bench-redelivery-\(suffix)"
        try await session.client.alterGroupConfig(
            group,
            [
                ConfigEntry(key: "share.auto.offset.reset", value: "earliest"),
                ConfigEntry(key: "share.record.lock.duration.ms", value: String(lockMs)),
            ])
        let producer = try await session.client.makeProducer()
        let holder = try await session.client.makeShareConsumer(
            group: group, topics: [topic], configuration: ShareConsumerConfiguration(maxRecords: 1))
        let waiter = try await session.client.makeShareConsumer(
            group: group, topics: [topic], configuration: ShareConsumerConfiguration(maxRecords: 1))
        var samples: [Double] = []
        for _ in 0..<redeliveries where !session.stop.isSet {
            _ = try await producer.send(ProducerRecord(value: [1]), topic: topic, partition: 0)
            var held: [ShareRecord] = []
            while held.isEmpty, !session.stop.isSet { held = try await holder.poll(maxWaitMs: 1000) }
            let deadline = BenchClock.now() &+ UInt64(lockMs) * 1_000_000
            var back: [ShareRecord] = []
            while back.isEmpty, !session.stop.isSet { back = try await waiter.poll(maxWaitMs: Int32(lockMs * 4)) }
            let now = BenchClock.now()
            samples.append(now > deadline ? Double(now - deadline) / 1e6 : -Double(deadline - now) / 1e6)
            for record in back { await waiter.acknowledge(record) }
            _ = try await waiter.commit()
        }
        await holder.close()
        await waiter.close()
        await producer.close()
        try? await session.client.deleteTopic(topic)
        let sorted = samples.sorted()
        return (sorted.isEmpty ? nil : sorted[sorted.count / 2], sorted.last)
    }

    /// Fills the topic with `messages` messages through batching producers (one per partition, up to 4).
    private func fill(_ session: BenchSession, messages: Int) async throws(SluiceError) {
        let plan = BenchProducerPlan(
            producers: min(Int(session.partitionCount), 4), batch: 1000, lingerMs: 0, acks: .afterCommit, window: nil)
        let state = BenchState(total: messages, rate: nil)
        let producers = try await connectBenchProducers(
            plan, socketPath: session.socketPath, topic: session.topic, partitions: session.partitionCount,
            payload: BenchPayload(size: options.size, stamped: false), state: state)
        let start = BenchClock.now()
        _ = await session.monitor(
            state, label: "filling", start: start, timed: false,
            count: { state.acknowledged.load(ordering: .relaxed) }
        ) {
            await withTaskGroup(of: Void.self) { group in
                for (producer, _) in producers { group.addTask { await producer.run() } }
            }
        }
        for (producer, _) in producers { await producer.close() }
        if let error = state.error { throw SluiceError(error.code, "filling the topic: \(error.message)") }
    }
}
