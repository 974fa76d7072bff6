import Foundation
import Logging
import SluiceBroker
import SluiceClient
import SluiceCore
import SluiceProtocol
import SluiceServer
import Synchronization
import Testing

/// The client against a real server on a real socket, in this process, with a fresh data directory per test.
@Suite struct ClientServerTests {
    /// Runs `body` with the socket path of a server started for it, then stops the server and removes its data.
    func withServer(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-client-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let broker = try Broker(dataDirectory: directory, logger: logger)
        let server = SluiceServer(
            configuration: ServerConfiguration(socketPath: directory + "/sluice.sock"), broker: broker, logger: logger)
        try await server.start()
        do {
            try await body(directory + "/sluice.sock")
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func noServerIsAClearError() async throws {
        let error = await #expect(throws: SluiceError.self) {
            _ = try await SluiceClient.connect(socketPath: "/tmp/sluice-no-such-\(UUID().uuidString.prefix(8)).sock")
        }
        #expect(error?.code == .connectionClosed)
        #expect(error?.message.contains("no server is listening") == true)
    }

    @Test func adminRoundTrip() async throws {
        try await withServer { socket in
            let client = try await SluiceClient.connect(socketPath: socket)
            try await client.createTopic("t", partitions: 3, config: [ConfigEntry(.retentionMs, nil)])
            let described = try await client.describeTopic("t")
            #expect(described.partitionCount == 3)
            #expect(described.configs.first { $0.key == "retention.ms" }?.value == nil)
            try await client.alterTopic("t", partitions: 4)
            #expect(try await client.metadata(["t"]).first?.partitions.count == 4)
            let missing = await #expect(throws: SluiceError.self) { try await client.describeTopic("nope") }
            #expect(missing?.code == .unknownTopic)
            try await client.deleteTopic("t")
            #expect(try await client.metadata(nil).isEmpty)
            await client.close()
        }
    }

    @Test func producedRecordsAreConsumedInOrderPerPartition() async throws {
        try await withServer { socket in
            let client = try await SluiceClient.connect(socketPath: socket)
            try await client.createTopic("t", partitions: 3)
            let producer = try await client.makeProducer()
            let acked = Mutex<[Int32: [Int64]]>([:])
            let count = 3000
            for i in 0..<count {
                let record = ProducerRecord(key: Array("k\(i % 10)".utf8), value: Array("\(i)".utf8))
                producer.send(record, topic: "t") { result in
                    if case .success(let metadata) = result {
                        acked.withLock { $0[metadata.partition, default: []].append(metadata.offset) }
                    }
                }
            }
            await producer.flush()
            let offsets = acked.withLock { $0 }
            #expect(offsets.values.reduce(0) { $0 + $1.count } == count)
            for (_, list) in offsets { #expect(list == Array(0..<Int64(list.count)), "acks in offset order") }
            let metadata = try await producer.send(ProducerRecord(value: [1]), topic: "t", partition: 2)
            #expect(metadata.partition == 2)
            await producer.close()

            let consumer = try await client.makeConsumer(ConsumerConfiguration(group: "g", autoOffsetReset: .earliest))
            await consumer.assign((0..<3).map { TopicPartition(topic: "t", partition: $0) })
            var seen: [Int32: [Int]] = [:]
            var total = 0
            while total < count + 1 {
                let records = try await consumer.poll(maxWaitMs: 1000)
                #expect(!records.isEmpty)
                if records.isEmpty { break }
                for record in records {
                    total += 1
                    if let value = record.record.value, let number = Int(String(decoding: value, as: UTF8.self)) {
                        seen[record.partition, default: []].append(number)
                    }
                }
            }
            // Keys map to fixed partitions, and each partition holds its records in the order sent.
            for (_, numbers) in seen { #expect(numbers == numbers.sorted()) }
            try await consumer.commit()
            let committed = try await client.committedOffsets(group: "g", topics: ["t"])
            #expect(committed.count == 3)
            await consumer.close()
            await client.close()
        }
    }

    @Test func prefetchedFetchesKeepOrderAndYieldToASeek() async throws {
        try await withServer { socket in
            let client = try await SluiceClient.connect(socketPath: socket)
            try await client.createTopic("t")
            let producer = try await client.makeProducer()
            for i in 0..<50 {
                producer.send(ProducerRecord(value: Array("\(i)".utf8)), topic: "t", partition: 0) { _ in }
            }
            await producer.flush()
            await producer.close()

            var configuration = ConsumerConfiguration(autoOffsetReset: .earliest)
            configuration.partitionMaxBytes = 8  // a few records per poll, so that polls run on prefetched fetches
            let consumer = try await client.makeConsumer(configuration)
            let tp = TopicPartition(topic: "t", partition: 0)
            await consumer.assign([tp])
            let first = try await consumer.poll(maxWaitMs: 1000)
            #expect(first.first?.record.offset == 0 && first.count < 50)
            // A prefetch for the next records is on its way; a seek makes the next poll start where it says.
            try await consumer.seek(tp, to: .offset(1))
            var offsets: [Int64] = []
            while offsets.count < 49 {
                let records = try await consumer.poll(maxWaitMs: 1000)
                #expect(!records.isEmpty)
                if records.isEmpty { break }
                offsets += records.map(\.record.offset)
            }
            #expect(offsets == Array(1..<50))
            #expect(await consumer.position(tp) == 50)
            await consumer.close()
            await client.close()
        }
    }

    @Test func consumerStartsFromCommittedThenResetPolicy() async throws {
        try await withServer { socket in
            let client = try await SluiceClient.connect(socketPath: socket)
            try await client.createTopic("t", partitions: 1)
            let producer = try await client.makeProducer()
            for i in 0..<5 { _ = try await producer.send(ProducerRecord(value: [UInt8(i)]), topic: "t") }
            try await client.commitOffsets(group: "g", [CommittedOffset(topic: "t", partition: 0, offset: 3)])
            let tp = TopicPartition(topic: "t", partition: 0)

            let grouped = try await client.makeConsumer(ConsumerConfiguration(group: "g"))
            await grouped.assign([tp])
            #expect(try await grouped.poll(maxWaitMs: 1000).map(\.offset) == [3, 4])
            await grouped.close()

            let latest = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .latest))
            await latest.assign([tp])
            #expect(try await latest.poll(maxWaitMs: 50).isEmpty)
            _ = try await producer.send(ProducerRecord(value: [9]), topic: "t")
            #expect(try await latest.poll(maxWaitMs: 1000).map(\.offset) == [5])
            // Out of range: reset by the policy (latest: the end).
            try await latest.seek(tp, to: .offset(100))
            #expect(try await latest.poll(maxWaitMs: 50).isEmpty)
            #expect(await latest.position(tp) == 6)
            await latest.close()
            await producer.close()
            await client.close()
        }
    }

    @Test func consumerBelowTheLogStartIsResetByItsPolicy() async throws {
        try await withServer { socket in
            let client = try await SluiceClient.connect(socketPath: socket)
            try await client.createTopic(
                "short", partitions: 1, config: [ConfigEntry(key: "retention.records", value: "5")])
            let producer = try await client.makeProducer()
            for i in 0..<20 { _ = try await producer.send(ProducerRecord(value: [UInt8(i)]), topic: "short") }
            // The sweeper runs right after a commit that puts the partition over its count limit.
            var logStart: Int64 = 0
            for _ in 0..<100 where logStart < 15 {
                logStart = try await client.listOffsets(topic: "short", partition: 0, spec: .earliest).offset
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(logStart == 15)
            let tp = TopicPartition(topic: "short", partition: 0)
            let earliest = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .earliest))
            await earliest.assign([tp])
            try await earliest.seek(tp, to: .offset(2))
            var offsets: [Int64] = []
            for _ in 0..<3 where offsets.isEmpty { offsets = try await earliest.poll(maxWaitMs: 200).map(\.offset) }
            #expect(offsets == [15, 16, 17, 18, 19])
            let latest = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .latest))
            await latest.assign([tp])
            try await latest.seek(tp, to: .offset(2))
            #expect(try await latest.poll(maxWaitMs: 50).isEmpty)
            #expect(await latest.position(tp) == 20)
            await earliest.close()
            await latest.close()
            await producer.close()
            await client.close()
        }
    }

    @Test func producingToAnUnknownTopicFails() async throws {
        try await withServer { socket in
            let producer = try await Producer.connect(socketPath: socket)
            let error = await #expect(throws: SluiceError.self) {
                _ = try await producer.send(ProducerRecord(value: [1]), topic: "missing")
            }
            #expect(error?.code == .unknownTopic)
            await producer.close()
        }
    }
}
