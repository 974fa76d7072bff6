import Foundation
import SluiceClient
import SluiceCore
import Testing

/// The admin APIs Kafka tools call, driven by confluent-kafka's and kafka-python's admin clients
/// (`KafkaClients/kafka_admin.py`) against the real server, with what they changed checked through the native
/// protocol; and the native `topics delete-records` and `topics alter --partitions` the same APIs stand on.
@Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
struct KafkaAdminToolsTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("KafkaClients/kafka_admin.py").path

    func scenario(_ name: String, _ server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation) async {
        let outcome = await ProcessRun.run(["python3", Self.script, name, server.kafkaAddress], timeout: 180)
        #expect(outcome.status == 0, "\(name) failed: \(outcome.stderr.suffix(3000))", sourceLocation: sourceLocation)
    }

    func startServer() throws -> ServerProcess {
        try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
    }

    /// Groups listed, described (a live one with its assignment), their offsets altered and deleted; topic configs
    /// under Kafka's names changed incrementally; the broker's described; partitions added; records deleted;
    /// the cluster described; OffsetForLeaderEpoch at v0 and v4.
    @Test func confluentAdminClient() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        await scenario("confluent", server)
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        let topic = try await client.describeTopic("ck-admin")
        #expect(topic.partitionCount == 3)
        #expect(topic.partitions.first?.logStartOffset == 7)
        let config = try TopicConfig(partitions: topic.partitionCount, configEntries: topic.configs)
        #expect(config.retentionMs == 3_600_000 && config.retentionBytes == nil)
        #expect(config.durability == .normal && config.cleanupPolicy == [.compact, .delete])
        #expect(try await client.committedOffsets(group: "ck-offsets").isEmpty)
        await client.close()
    }

    /// list_groups, describe_groups, delete_group_offsets, delete_groups, describe_configs, alter_configs (both
    /// forms), create_partitions, delete_records, describe_log_dirs and describe_cluster.
    @Test func kafkaPythonAdminClient() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        await scenario("kafka-python", server)
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        let topic = try await client.describeTopic("kp-admin")
        #expect(topic.partitionCount == 4)
        #expect(topic.partitions.map(\.logStartOffset) == [0, 5, 0, 0])
        let config = try TopicConfig(partitions: topic.partitionCount, configEntries: topic.configs)
        #expect(config.maxMessageBytes == 2048 && config.retentionMs == 60_000)
        await client.close()
    }

    @Test func nativeDeleteRecordsRaisesTheLogStartAndFreesTheRecords() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("cut", partitions: 2)
        let producer = try await Producer.connect(socketPath: server.socketPath)
        for index in 0..<10 {
            _ = try await producer.send(
                ProducerRecord(key: nil, value: Array("v\(index)".utf8)), topic: "cut", partition: 0)
        }
        await producer.close()
        let before = try await client.describeTopic("cut").partitions[0].sizeBytes ?? 0
        let cli = [ServerProcess.binary, "topics", "delete-records", "cut", "--socket", server.socketPath]
        let cut = await ProcessRun.run(cli + ["--partition", "0", "--before", "4", "--json"])
        #expect(cut.status == 0, "\(cut.stderr)")
        #expect(cut.json["log_start_offset"] as? Int == 4 && cut.json["partition"] as? Int == 0)
        let after = try await client.describeTopic("cut").partitions[0]
        #expect(after.logStartOffset == 4 && after.nextOffset == 10)
        #expect((after.sizeBytes ?? 0) < before)
        // Reading from the beginning starts at the new log start.
        let consumer = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .earliest))
        let partition = TopicPartition(topic: "cut", partition: 0)
        await consumer.assign([partition])
        try await consumer.seek(partition, to: .beginning)
        var records: [ConsumedRecord] = []
        for _ in 0..<20 where records.isEmpty { records = try await consumer.poll(maxWaitMs: 500) }
        #expect(records.first?.offset == 4)
        await consumer.close()
        // Past the end is refused; everything stored goes with --all.
        let past = await ProcessRun.run(cli + ["--partition", "0", "--before", "11"])
        #expect(past.status != 0 && past.stderr.contains("outside partition 0"), "\(past.stderr)")
        let all = await ProcessRun.run(cli + ["--partition", "0", "--all"])
        #expect(all.status == 0 && all.stdout.contains("now starts at offset 10"), "\(all.stdout) \(all.stderr)")
        let grown = await ProcessRun.run([
            ServerProcess.binary, "topics", "alter", "cut", "--partitions", "3", "--socket", server.socketPath,
        ])
        #expect(grown.status == 0, "\(grown.stderr)")
        #expect(try await client.describeTopic("cut").partitions.map(\.logStartOffset) == [10, 0, 0])
        await client.close()
    }
}
