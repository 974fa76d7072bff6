import Foundation
import Logging
import SluiceBroker
import SluiceClient
import SluiceCore
import SluiceProtocol
import SluiceServer
import Synchronization
import Testing

/// The idempotent, pipelining `Producer` against a real server in this process, restarted when a test asks.
@Suite struct ProducerIdempotenceTests {
    /// A server on a fresh data directory that can be stopped and started again on the same files and socket.
    final class Harness {
        let directory: String
        var socket: String { directory + "/sluice.sock" }
        private var server: SluiceServer?
        private let logger: Logger

        init() throws {
            directory =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("sluice-idem-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            self.logger = logger
        }

        func start() async throws {
            // The previous broker lets go of the directory lock once its last reference goes.
            var broker: Broker?
            for _ in 0..<100 where broker == nil {
                broker = try? Broker(dataDirectory: directory, logger: logger)
                if broker == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let server = SluiceServer(
                configuration: ServerConfiguration(socketPath: socket),
                broker: try broker ?? Broker(dataDirectory: directory, logger: logger),
                logger: logger)
            try await server.start()
            self.server = server
        }

        func stop() async {
            await server?.shutdown()
            server = nil
        }

        func remove() async {
            await stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Every record of a partition, in offset order, as its value's number.
    func stored(_ client: SluiceClient, topic: String, partition: Int32) async throws -> [Int] {
        var numbers: [Int] = []
        var offset: Int64 = 0
        while true {
            let response = try await client.fetch(
                FetchRequest(
                    maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24,
                    topics: [
                        .init(
                            name: topic,
                            partitions: [.init(partition: partition, offset: offset, partitionMaxBytes: 1 << 24)])
                    ]))
            let records = response.topics.first?.partitions.first?.records ?? []
            guard let last = records.last else { return numbers }
            numbers += records.map { Int(String(decoding: $0.value ?? [], as: UTF8.self)) ?? -1 }
            offset = last.offset + 1
        }
    }

    /// Sends `count` numbered records round robin over `partitions`; returns the acknowledged offsets per partition
    /// in completion order, and the number of failures.
    final class Acks: Sendable {
        let offsets = Mutex<[Int32: [Int64]]>([:])
        let failures = Mutex<[SluiceError]>([])
        var total: Int { offsets.withLock { $0.values.reduce(0) { $0 + $1.count } } }
    }

    func produce(_ producer: Producer, count: Int, partitions: Int32, acks: Acks, from first: Int = 0) async {
        for i in first..<first + count {
            producer.send(ProducerRecord(value: Array("\(i)".utf8)), topic: "t", partition: Int32(i) % partitions) {
                result in
                switch result {
                case .success(let metadata):
                    acks.offsets.withLock { $0[metadata.partition, default: []].append(metadata.offset) }
                case .failure(let error): acks.failures.withLock { $0.append(error) }
                }
            }
            if i % 1000 == 0 { await producer.waitForCapacity() }
        }
    }

    @Test func pipelinedRecordsKeepTheirOrderPerPartition() async throws {
        let harness = try Harness()
        try await harness.start()
        let client = try await SluiceClient.connect(socketPath: harness.socket)
        try await client.createTopic("t", partitions: 4)
        let producer = try await client.makeProducer(ProducerConfiguration(batchSize: 100))
        let acks = Acks()
        await produce(producer, count: 20_000, partitions: 4, acks: acks)
        await producer.flush()
        #expect(acks.failures.withLock { $0.isEmpty })
        for partition in Int32(0)..<4 {
            let offsets = acks.offsets.withLock { $0[partition] ?? [] }
            #expect(offsets == Array(0..<5000), "partition \(partition): acknowledged once each, in offset order")
            let numbers = try await stored(client, topic: "t", partition: partition)
            #expect(numbers == Array(stride(from: Int(partition), to: 20_000, by: 4)), "partition \(partition)")
        }
        await producer.close()
        await client.close()
        await harness.remove()
    }

    @Test func producingAcrossAServerRestartLosesAndDuplicatesNothing() async throws {
        let harness = try Harness()
        try await harness.start()
        let admin = try await SluiceClient.connect(socketPath: harness.socket)
        try await admin.createTopic("t", partitions: 2)
        await admin.close()
        let producer = try await Producer.connect(
            socketPath: harness.socket, configuration: ProducerConfiguration(batchSize: 50, retries: 30))
        let acks = Acks()
        await produce(producer, count: 10_000, partitions: 2, acks: acks)
        // Stop the server while batches are in flight: they are answered shutting_down or lost with the connection,
        // sent again to the new server, and stored once.
        while acks.total < 2_000 { try await Task.sleep(for: .milliseconds(1)) }
        await harness.stop()
        try await harness.start()
        await produce(producer, count: 10_000, partitions: 2, acks: acks, from: 10_000)
        await producer.flush()
        #expect(
            acks.failures.withLock { $0.isEmpty },
            "\(acks.failures.withLock { failures in Dictionary(grouping: failures, by: \.code.name).mapValues(\.count) }) \(acks.failures.withLock { $0.first.map { "\($0)" } ?? "" })"
        )
        let client = try await SluiceClient.connect(socketPath: harness.socket)
        for partition in Int32(0)..<2 {
            let numbers = try await stored(client, topic: "t", partition: partition)
            #expect(
                numbers == Array(stride(from: Int(partition), to: 20_000, by: 2)),
                "partition \(partition): \(numbers.count) stored, \(Set(numbers).count) distinct")
            #expect(acks.offsets.withLock { $0[partition] ?? [] } == Array(0..<10_000))
        }
        await producer.close()
        await client.close()
        await harness.remove()
    }

    @Test func aBatchSentTwiceWithItsSequenceIsStoredOnce() async throws {
        let harness = try Harness()
        try await harness.start()
        let client = try await SluiceClient.connect(socketPath: harness.socket)
        try await client.createTopic("t", partitions: 1)
        guard case .initProducerID(let identity) = try await client.send(.initProducerID(InitProducerIDRequest()))
        else {
            Issue.record("no producer id")
            return
        }
        let request = ProduceRequest(
            timeoutMs: 1000,
            topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partition: 0, records: (0..<3).map { ProducerRecord(value: Array("\($0)".utf8)) },
                            sequence: BatchSequence(
                                producerID: identity.producerID, epoch: identity.epoch, baseSequence: 0))
                    ])
            ])
        let first = try await client.produce(request).topics[0].partitions[0]
        let again = try await client.produce(request).topics[0].partitions[0]
        #expect(first.error == nil && again.error == nil)
        #expect(first.baseOffset == 0 && again.baseOffset == 0 && again.logAppendTime == first.logAppendTime)
        #expect(try await stored(client, topic: "t", partition: 0) == [0, 1, 2])
        await client.close()
        await harness.remove()
    }
}
