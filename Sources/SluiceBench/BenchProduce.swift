import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore
import SluiceProtocol
import Synchronization

/// `sluice bench produce`: how fast the server takes messages, and the latency from send to acknowledgement.
struct BenchProduce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send messages and measure throughput and send-to-ack latency.",
        discussion: """
            Without --window, each producer is the client's batching Producer (--batch, --linger-ms): latency runs \
            from send() to the acknowledgement and includes the wait in the producer's buffer. With --window W, \
            each producer sends requests of --batch messages (default 1) itself on a connection, W in flight: \
            --window 1 measures one message per request, each waiting for its ack. Messages have no key and go to \
            the partitions in turn.

            Example: sluice bench produce --messages 1000000 --size 100 --producers 1 --batch 1000 \
            --durability full --json
            """)

    @OptionGroup var options: BenchOptions
    @OptionGroup var producing: BenchProducerOptions

    func run() async throws {
        try await BenchSession.run(options, command: "bench produce") { session async throws(SluiceError) in
            try await measure(session)
        }
    }

    private func measure(_ session: BenchSession) async throws(SluiceError) -> (BenchReport, SluiceError?) {
        let state = BenchState(total: options.budget, rate: producing.rate)
        let payload = BenchPayload(size: options.size, stamped: false)
        let producers = try await connectBenchProducers(
            producing.plan, socketPath: session.socketPath, topic: session.topic, partitions: session.partitionCount,
            payload: payload, state: state)
        let cpuStart = BenchCPU.now(serverPID: options.serverPid)
        let start = BenchClock.now()
        state.start(at: start)
        let end = await session.monitor(
            state, label: "produce", start: start,
            count: {
                state.acknowledged.load(ordering: .relaxed)
            }
        ) {
            await withTaskGroup(of: Void.self) { group in
                for (producer, _) in producers { group.addTask { await producer.run() } }
            }
        }
        let cpu = BenchCPU.now(serverPID: options.serverPid).since(cpuStart)
        for (producer, _) in producers { await producer.close() }
        let messages = state.acknowledged.load(ordering: .relaxed)
        let report = BenchReport(
            mode: "produce", topic: session.topic, messages: messages, bytes: messages * options.size,
            seconds: Double(end &- start) / 1e9,
            latencyMeaning: producing.acks == .none ? "send to written" : "send to ack",
            latency: BenchLatency.merged(producers.map(\.latency)),
            settings: session.settings(size: options.size) + producing.settings, cpu: cpu)
        return (report, state.error)
    }
}

extension BenchSession {
    /// The topic's settings for a report, with the size of the messages when the bench chose it.
    func settings(size: Int?) -> [(String, BenchReport.Value)] {
        [
            ("size", size.map { .int($0) } ?? .none), ("partitions", .int(Int(partitionCount))),
            ("durability", .text(durability)),
        ]
    }
}

extension BenchProducerOptions {
    /// The producers' settings for a report.
    var settings: [(String, BenchReport.Value)] {
        [
            ("producers", .int(producers)),
            ("batch", .int(batchSize)),
            ("window", window.map { .int($0) } ?? .none),
            ("linger_ms", window == nil ? .int(lingerMs ?? 0) : .none),
            ("acks", .text(acks.rawValue)),
            ("rate", rate.map { .number($0) } ?? .none),
        ]
    }
}
