import ArgumentParser
import SluiceClient
import SluiceCore
import SluiceProtocol
import Synchronization

/// `sluice bench end-to-end`: the latency from a producer's send to a consumer's receipt, at a given load.
struct BenchEndToEnd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-to-end",
        abstract: "Produce and consume at once and measure produce-to-consume latency.",
        discussion: """
            Each message carries its send time (the monotonic clock, in its first 8 bytes, so --size is at least \
            8); consumers, positioned at the end of the topic before the first send, subtract it from the time \
            their poll returned it. Use --rate to measure at a given load, e.g. --rate 10000. The report also \
            gives the producers' send-to-ack latency. The run ends once every acknowledged message has been \
            consumed.

            Example: sluice bench end-to-end --rate 10000 --duration 10 --durability normal
            """)

    @OptionGroup var options: BenchOptions
    @OptionGroup var producing: BenchProducerOptions
    @OptionGroup var consuming: BenchConsumerOptions

    func validate() throws {
        if options.size < 8 { throw ValidationError("--size must be at least 8: each message carries its send time") }
    }

    func run() async throws {
        try await BenchSession.run(options, command: "bench end-to-end") { session async throws(SluiceError) in
            try await measure(session)
        }
    }

    private func measure(_ session: BenchSession) async throws(SluiceError) -> (BenchReport, SluiceError?) {
        try consuming.check(partitions: session.partitionCount)
        let state = BenchState(total: options.budget, rate: producing.rate)
        let consumers = try await BenchConsumer.connect(
            consuming.consumers, socketPath: session.socketPath, partitions: session.topicPartitions,
            fromBeginning: false, goal: .produced, state: state)
        let producers = try await connectBenchProducers(
            producing.plan, socketPath: session.socketPath, topic: session.topic, partitions: session.partitionCount,
            payload: BenchPayload(size: options.size, stamped: true), state: state)
        let cpuStart = BenchCPU.now(serverPID: options.serverPid)
        let start = BenchClock.now()
        state.start(at: start)
        let end = await session.monitor(
            state, label: "end-to-end", start: start,
            count: {
                state.consumed.load(ordering: .relaxed)
            }
        ) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await withTaskGroup(of: Void.self) { sending in
                        for (producer, _) in producers { sending.addTask { await producer.run() } }
                    }
                    state.sendingDone.store(true, ordering: .releasing)
                }
                for consumer in consumers { group.addTask { await consumer.run() } }
            }
        }
        let cpu = BenchCPU.now(serverPID: options.serverPid).since(cpuStart)
        for (producer, _) in producers { await producer.close() }
        for consumer in consumers { await consumer.close() }
        let report = BenchReport(
            mode: "end-to-end", topic: session.topic, messages: state.consumed.load(ordering: .relaxed),
            bytes: state.consumedBytes.load(ordering: .relaxed), seconds: Double(end &- start) / 1e9,
            latencyMeaning: "produce to consume", latency: BenchLatency.merged(consumers.map(\.latency)),
            ackLatency: BenchLatency.merged(producers.map(\.latency)),
            settings: session.settings(size: options.size) + producing.settings
                + [("consumers", .int(consuming.consumers))],
            cpu: cpu, duplicates: state.duplicates.load(ordering: .relaxed))
        return (report, state.error)
    }
}
