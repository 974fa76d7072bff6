import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Testing

/// Producers and consumers through the real server process.
@Suite(.serialized) struct ProduceConsumeTests {
    /// Reads a partition from the start until `count` records arrived or nothing more comes.
    func readPartition(_ client: SluiceClient, topic: String, partition: Int32, count: Int) async throws -> [Record] {
        let consumer = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .earliest))
        let tp = TopicPartition(topic: topic, partition: partition)
        await consumer.assign([tp])
        try await consumer.seek(tp, to: .beginning)
        var records: [Record] = []
        var idle = 0
        while records.count < count && idle < 5 {
            let batch = try await consumer.poll(maxWaitMs: 200)
            idle = batch.isEmpty ? idle + 1 : 0
            records += batch.map(\.record)
        }
        await consumer.close()
        return records
    }

    @Test func fourProducersAtOnceLoseNothingAndKeepOrderPerPartition() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("load", partitions: 4, config: [ConfigEntry(key: "durability", value: "normal")])
        let perProducer = 25_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producerIndex in 0..<4 {
                group.addTask {
                    let producer = try await Producer.connect(socketPath: server.socketPath)
                    for sequence in 0..<perProducer {
                        // Keyed by sequence, so every producer writes to every partition.
                        producer.send(
                            ProducerRecord(
                                key: Array("k\(sequence)".utf8),
                                value: Array("p\(producerIndex)-\(sequence)".utf8)),
                            topic: "load"
                        ) { result in
                            if case .failure(let error) = result { Issue.record("send failed: \(error)") }
                        }
                        if sequence % 1000 == 999 { await producer.waitForCapacity() }
                    }
                    await producer.flush()
                    await producer.close()
                }
            }
            try await group.waitForAll()
        }
        var total = 0
        var seen: Set<String> = []
        let ends = try await client.metadata(["load"])[0].partitions
        for partition in Int32(0)..<4 {
            let expected = Int(ends[Int(partition)].nextOffset)
            let records = try await readPartition(client, topic: "load", partition: partition, count: expected)
            #expect(records.map(\.offset) == Array(0..<Int64(expected)), "offsets of partition \(partition)")
            var lastSequence: [String: Int] = [:]
            for record in records {
                let value = String(decoding: record.value ?? [], as: UTF8.self)
                #expect(seen.insert(value).inserted, "\(value) stored twice")
                let parts = value.split(separator: "-")
                let producer = String(parts[0])
                let sequence = Int(parts[1])!
                #expect(
                    sequence > lastSequence[producer, default: -1], "\(value) out of order in partition \(partition)")
                lastSequence[producer] = sequence
                // Keyed placement is Kafka's: the key decides the partition.
                #expect(KafkaPartitioner.partition(forKey: record.key ?? [], partitions: 4) == partition)
            }
            total += records.count
        }
        #expect(total == 4 * perProducer)
        await client.close()
    }

    /// Keys land where Kafka's default partitioner puts them. The hashes are the vectors of Kafka's own
    /// `UtilsTest.testMurmur2`; partition = (hash & 0x7fffffff) % partitions, computed here by hand.
    @Test func keyedRecordsLandWhereKafkaPutsThem() async throws {
        let vectors: [(key: String, hash: Int64)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971), ("abc", 479_470_107),
        ]
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("keyed", partitions: 7)
        let producer = try await Producer.connect(socketPath: server.socketPath)
        for vector in vectors {
            let metadata = try await producer.send(
                ProducerRecord(key: Array(vector.key.utf8), value: Array("v".utf8)),
                topic: "keyed")
            let expected = Int32((vector.hash & 0x7fff_ffff) % 7)
            #expect(metadata.partition == expected, "key \(vector.key)")
        }
        await producer.close()
        await client.close()
    }
}
