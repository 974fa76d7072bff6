import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore
import SluiceProtocol
import Synchronization

/// `sluice bench consume`: how fast consumers read a topic from the beginning, and how long each fetch takes.
struct BenchConsume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Read a topic from the beginning and measure throughput and fetch latency.",
        discussion: """
            A topic the bench creates is first filled with --messages messages of --size bytes (not timed). \
            With --topic, the consumers read what the topic holds when the run starts (at most --messages). \
            Latency is per poll that returned messages: from the fetch request to its decoded response. \
            The consumers share the partitions; there cannot be more consumers than partitions.
            """)

    @OptionGroup var options: BenchOptions
    @OptionGroup var consuming: BenchConsumerOptions

    func run() async throws {
        try await BenchSession.run(options, command: "bench consume") { session async throws(SluiceError) in
            try await measure(session)
        }
    }

    private func measure(_ session: BenchSession) async throws(SluiceError) -> (BenchReport, SluiceError?) {
        try consuming.check(partitions: session.partitionCount)
        if session.created {
            try await fill(session, messages: options.messages ?? BenchOptions.defaultMessages)
            if session.stop.isSet { throw SluiceError(.unknown, "interrupted while filling the topic") }
        }
        guard let metadata = try await session.client.metadata([session.topic]).first else {
            throw SluiceError.unknownTopic(session.topic)
        }
        if let error = metadata.error { throw error }
        var ends: [TopicPartition: Int64] = [:]
        for partition in metadata.partitions {
            ends[TopicPartition(topic: session.topic, partition: partition.partition)] = partition.nextOffset
        }
        let state = BenchState(total: options.messages ?? Int.max, rate: nil)
        let consumers = try await BenchConsumer.connect(
            consuming.consumers, socketPath: session.socketPath, partitions: session.topicPartitions,
            fromBeginning: true, goal: .ends(ends), state: state)
        let cpuStart = BenchCPU.now(serverPID: options.serverPid)
        let start = BenchClock.now()
        state.start(at: start)
        let end = await session.monitor(
            state, label: "consume", start: start,
            count: {
                state.consumed.load(ordering: .relaxed)
            }
        ) {
            await withTaskGroup(of: Void.self) { group in
                for consumer in consumers { group.addTask { await consumer.run() } }
            }
        }
        let cpu = BenchCPU.now(serverPID: options.serverPid).since(cpuStart)
        for consumer in consumers { await consumer.close() }
        let report = BenchReport(
            mode: "consume", topic: session.topic, messages: state.consumed.load(ordering: .relaxed),
            bytes: state.consumedBytes.load(ordering: .relaxed), seconds: Double(end &- start) / 1e9,
            latencyMeaning: "per fetch", latency: BenchLatency.merged(consumers.map(\.latency)),
            settings: session.settings(size: session.created ? options.size : nil) + [
                ("consumers", .int(consuming.consumers))
            ], cpu: cpu, duplicates: state.duplicates.load(ordering: .relaxed))
        return (report, state.error)
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
            count: {
                state.acknowledged.load(ordering: .relaxed)
            }
        ) {
            await withTaskGroup(of: Void.self) { group in
                for (producer, _) in producers { group.addTask { await producer.run() } }
            }
        }
        for (producer, _) in producers { await producer.close() }
        if let error = state.error { throw SluiceError(error.code, "filling the topic: \(error.message)") }
    }
}
