import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Testing

/// Real Kafka clients against the server's Kafka listener: kcat (librdkafka 2.0.2), confluent-kafka (librdkafka 2.16)
/// and kafka-python. `.ci/run` installs them; without them these tests are skipped, with the reason.
///
/// The Python side lives in `KafkaClients/kafka_clients.py`: each scenario asserts what it checks and exits non-zero
/// with a message on the first failure; scenarios that hand data back print one JSON object on their last line.
@Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
struct KafkaClientTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("KafkaClients/kafka_clients.py").path

    typealias Outcome = ProcessRun.Outcome

    static func run(_ arguments: [String], input: String? = nil, timeout: TimeInterval = 120) async -> Outcome {
        await ProcessRun.run(arguments, input: input, timeout: timeout)
    }

    /// Runs a Python scenario and expects it to pass.
    @discardableResult
    func scenario(
        _ arguments: String..., timeout: TimeInterval = 120,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> Outcome {
        let outcome = await Self.run(["python3", Self.script] + arguments, timeout: timeout)
        #expect(
            outcome.status == 0, "\(arguments[0]) failed: \(outcome.stderr.suffix(3000))",
            sourceLocation: sourceLocation)
        return outcome
    }

    func startServer(_ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"] + extra)
    }

    // MARK: - Metadata and admin

    @Test func kcatListsTheBrokerAndTopics() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("listed", partitions: 3)
        await client.close()
        let outcome = await Self.run(["kcat", "-b", server.kafkaAddress, "-L", "-J"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let json = outcome.json
        let brokers = json["brokers"] as? [[String: Any]] ?? []
        #expect(brokers.count == 1)
        #expect(brokers.first?["id"] as? Int == 1)
        #expect(brokers.first?["name"] as? String == server.kafkaAddress)
        let topics = json["topics"] as? [[String: Any]] ?? []
        let listed = topics.first { $0["topic"] as? String == "listed" }
        #expect((listed?["partitions"] as? [[String: Any]])?.count == 3)
    }

    @Test func confluentAdminCreatesListsAndDeletesTopics() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        await scenario("admin-confluent", server.kafkaAddress)
    }

    @Test func kafkaPythonAdminCreatesListsAndDeletesTopics() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        await scenario("admin-kafka-python", server.kafkaAddress)
    }

    // MARK: - Produce and consume across clients and protocols

    struct Seen: Hashable, CustomStringConvertible {
        var partition: Int
        var offset: Int64
        var key: String?
        var value: String?
        var headers: [String: String]
        var description: String { "\(partition)@\(offset) \(key ?? "-")=\(value ?? "-") \(headers)" }
    }

    /// What each Kafka client and the native client read back from `topic`.
    func readEverywhere(_ server: ServerProcess, topic: String, partitions: Int, count: Int) async throws
        -> [String: [Seen]]
    {
        var views: [String: [Seen]] = [:]
        for client in ["confluent", "kafka-python"] {
            let outcome = await scenario("consume", server.kafkaAddress, client, topic, "\(partitions)", "\(count)")
            let records = outcome.json["records"] as? [[String: Any]] ?? []
            views[client] = records.map {
                Seen(
                    partition: $0["partition"] as? Int ?? -1, offset: Int64($0["offset"] as? Int ?? -1),
                    key: $0["key"] as? String, value: $0["value"] as? String,
                    headers: $0["headers"] as? [String: String] ?? [:])
            }
        }
        let kcat = await Self.run([
            "kcat", "-b", server.kafkaAddress, "-C", "-t", topic, "-o", "beginning", "-e", "-J",
            "-c", "\(count)",
        ])
        #expect(kcat.status == 0, "kcat consume: \(kcat.stderr)")
        views["kcat"] = kcat.stdout.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            var headers: [String: String] = [:]
            let list = object["headers"] as? [String] ?? []
            for pair in stride(from: 0, to: list.count - 1, by: 2) { headers[list[pair]] = list[pair + 1] }
            return Seen(
                partition: object["partition"] as? Int ?? -1, offset: Int64(object["offset"] as? Int ?? -1),
                key: object["key"] as? String, value: object["payload"] as? String, headers: headers)
        }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        var native: [Seen] = []
        for partition in 0..<partitions {
            let consumer = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .earliest))
            let tp = TopicPartition(topic: topic, partition: Int32(partition))
            await consumer.assign([tp])
            try await consumer.seek(tp, to: .beginning)
            var idle = 0
            while idle < 3 {
                let batch = try await consumer.poll(maxWaitMs: 100)
                idle = batch.isEmpty ? idle + 1 : 0
                native += batch.map { consumed in
                    let record = consumed.record
                    var headers: [String: String] = [:]
                    for header in record.headers {
                        headers[header.name] = header.value.map { String(decoding: $0, as: UTF8.self) }
                    }
                    return Seen(
                        partition: partition, offset: record.offset,
                        key: record.key.map { String(decoding: $0, as: UTF8.self) },
                        value: record.value.map { String(decoding: $0, as: UTF8.self) }, headers: headers)
                }
            }
            await consumer.close()
        }
        views["native"] = native
        await client.close()
        return views
    }

    /// Every reader saw the same records; each partition's offsets run from 0 without a gap.
    func expectSameEverywhere(_ views: [String: [Seen]], count: Int, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let reference = Set(views["native"] ?? [])
        #expect(reference.count == count, "native read \(reference.count) of \(count)", sourceLocation: sourceLocation)
        for (reader, seen) in views {
            #expect(
                Set(seen) == reference,
                "\(reader) differs from native: \(Set(seen).symmetricDifference(reference).sorted { $0.description < $1.description }.prefix(5))",
                sourceLocation: sourceLocation)
        }
        var byPartition: [Int: [Int64]] = [:]
        for record in reference { byPartition[record.partition, default: []].append(record.offset) }
        for (partition, offsets) in byPartition {
            #expect(
                offsets.sorted() == Array(0..<Int64(offsets.count)), "partition \(partition) offsets",
                sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ["confluent", "confluent-idempotent", "kafka-python"])
    func pythonProducersAreReadBackByEveryClient(producer: String) async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("from-python", partitions: 3)
        await client.close()
        let produced = await scenario("produce", server.kafkaAddress, producer, "from-python", producer, "40")
        #expect((produced.json["delivered"] as? [Any])?.count == 40)
        let views = try await readEverywhere(server, topic: "from-python", partitions: 3, count: 40)
        expectSameEverywhere(views, count: 40)
        #expect(
            views["native"]?.allSatisfy { $0.headers["src"] == producer && $0.key?.hasPrefix("key-") == true } == true)
    }

    /// librdkafka (confluent-kafka) compresses whole batches with each of Kafka's codecs; the server stores the
    /// records, which the native client reads back in order, values and headers intact.
    @Test func compressedBatchesOfEveryCodecAreStored() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        for codec in ["gzip", "snappy", "lz4", "zstd"] {
            try await client.createTopic("codec-\(codec)", partitions: 1)
            let produced = await scenario(
                "produce", server.kafkaAddress, "confluent-\(codec)", "codec-\(codec)", codec, "60")
            #expect((produced.json["delivered"] as? [Any])?.count == 60, "\(codec)")
            let consumer = try await client.makeConsumer(ConsumerConfiguration(autoOffsetReset: .earliest))
            let tp = TopicPartition(topic: "codec-\(codec)", partition: 0)
            await consumer.assign([tp])
            try await consumer.seek(tp, to: .beginning)
            var values: [String] = []
            var idle = 0
            while values.count < 60 && idle < 20 {
                let batch = try await consumer.poll(maxWaitMs: 100)
                idle = batch.isEmpty ? idle + 1 : 0
                values += batch.map { String(decoding: $0.record.value ?? [], as: UTF8.self) }
                #expect(batch.allSatisfy { $0.record.headers.first?.value == Array(codec.utf8) }, "\(codec) headers")
            }
            await consumer.close()
            #expect(values == (0..<60).map { "\(codec)-\($0)" }, "\(codec)")
        }
        await client.close()
    }

    @Test func kcatProducesKeysHeadersAndTombstones() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("from-kcat", partitions: 3)
        await client.close()
        let lines = (0..<30).map { "key-\($0 % 7):kcat-\($0)" }.joined(separator: "\n") + "\n"
        let produced = await Self.run(
            [
                "kcat", "-b", server.kafkaAddress, "-P", "-t", "from-kcat", "-K:", "-H", "src=kcat",
                "-H", "trace=abc",
            ], input: lines)
        #expect(produced.status == 0, "kcat produce: \(produced.stderr)")
        let tombstone = await Self.run(
            ["kcat", "-b", server.kafkaAddress, "-P", "-t", "from-kcat", "-p", "2", "-K:", "-Z"],
            input: "gone:\n")
        #expect(tombstone.status == 0, "kcat tombstone: \(tombstone.stderr)")
        let views = try await readEverywhere(server, topic: "from-kcat", partitions: 3, count: 31)
        expectSameEverywhere(views, count: 31)
        let native = views["native"] ?? []
        #expect(native.filter { $0.headers == ["src": "kcat", "trace": "abc"] }.count == 30)
        #expect(native.contains { $0.key == "gone" && $0.value == nil && $0.partition == 2 })
    }

    @Test func kafkaClientsReadWhatTheNativeCLIProduced() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let create = await Self.run([
            ServerProcess.binary, "topics", "create", "from-native", "--partitions", "2",
            "--socket", server.socketPath,
        ])
        #expect(create.status == 0, "\(create.stderr)")
        let lines = (0..<20).map { "key-\($0):native-\($0)" }.joined(separator: "\n") + "\n"
        let produced = await Self.run(
            [
                ServerProcess.binary, "produce", "from-native", "--key-separator", ":",
                "--socket", server.socketPath,
            ], input: lines)
        #expect(produced.status == 0, "\(produced.stderr)")
        let views = try await readEverywhere(server, topic: "from-native", partitions: 2, count: 20)
        expectSameEverywhere(views, count: 20)
        // Keyed native records land where Kafka's partitioner (murmur2, as kafka-python) puts them.
        for record in views["native"] ?? [] {
            #expect(
                KafkaPartitioner.partition(forKey: Array(record.key!.utf8), partitions: 2) == Int32(record.partition))
        }
    }

    // MARK: - Offsets

    @Test func listOffsetsByTimeAndOutOfRangeResets() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("times", partitions: 1)
        await client.close()
        await scenario("offsets-for-times", server.kafkaAddress, "times")
        await scenario("out-of-range", server.kafkaAddress, "times")
    }

    // MARK: - Idempotent retries across a crash

    /// An idempotent Kafka producer keeps sending while the server is SIGKILLed and restarted on the same port: the
    /// batches it retries (their first attempt may have been committed before the kill) are stored once, because
    /// the producer's sequence numbers are checked in the same transaction as its records.
    @Test func anIdempotentProducerRetryingThroughACrashStoresEachRecordOnce() async throws {
        let port = MirrorTests.freePort()
        let first = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:\(port)"])
        defer { first.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: first.socketPath)
        try await client.createTopic("retried", partitions: 2)
        await client.close()
        let producer = Task {
            await Self.run(
                ["python3", Self.script, "produce-through-restart", first.kafkaAddress, "retried", "3000", "4"],
                timeout: 180)
        }
        try await Task.sleep(for: .milliseconds(1500))
        first.kill()
        try await Task.sleep(for: .milliseconds(300))
        let second = try ServerProcess(reusing: first.dataDirectory)
            .start(extraArguments: ["--kafka-listen", "127.0.0.1:\(port)"])
        defer { second.cleanUp() }
        let outcome = await producer.value
        #expect(outcome.status == 0, "\(outcome.stderr.suffix(2000))")
        let delivered = outcome.json["delivered"] as? [String] ?? []
        #expect(delivered.count == 3000, "delivered \(delivered.count), failed \(outcome.json["failed"] ?? "?")")
        let reader = try await SluiceClient.connect(socketPath: second.socketPath)
        var stored: [String] = []
        for partition in Int32(0)..<2 {
            let consumer = try await reader.makeConsumer(ConsumerConfiguration(autoOffsetReset: .earliest))
            let tp = TopicPartition(topic: "retried", partition: partition)
            await consumer.assign([tp])
            try await consumer.seek(tp, to: .beginning)
            var idle = 0
            while idle < 3 {
                let batch = try await consumer.poll(maxWaitMs: 100)
                idle = batch.isEmpty ? idle + 1 : 0
                stored += batch.map { String(decoding: $0.record.value ?? [], as: UTF8.self) }
            }
            await consumer.close()
        }
        await reader.close()
        let counts = Dictionary(stored.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(
            counts.filter { $0.value > 1 }.isEmpty,
            "stored twice: \(counts.filter { $0.value > 1 }.keys.sorted().prefix(10))")
        #expect(
            Set(delivered).isSubset(of: Set(stored)),
            "acknowledged but missing: \(Set(delivered).subtracting(stored).count)")
    }

    // MARK: - Groups

    @Test func mixedGroupRebalancesOnJoinLeaveAndKillAndResumes() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let outcome = await scenario("group-rebalance", server.kafkaAddress, server.dataDirectory, timeout: 400)
        #expect((outcome.json["processed"] as? Int ?? 0) >= 420)
    }

    @Test func aKafkaGroupShowsInSluiceGroupsDescribe() async throws {
        let server = try startServer()
        defer { server.cleanUp() }
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("watched", partitions: 2)
        await client.close()
        await scenario("produce", server.kafkaAddress, "confluent", "watched", "w", "10")
        let log = "\(server.dataDirectory)/member.log"
        let member = Process()
        member.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        member.arguments = [
            "python3", Self.script, "member", server.kafkaAddress, "confluent", "watched", "watchers", log,
        ]
        try member.run()
        defer {
            member.terminate()
            member.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(60)
        var described: [String: Any] = [:]
        while Date() < deadline {
            let lines = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if lines.split(separator: "\n").filter({ $0.hasPrefix("msg ") }).count == 10 {
                let outcome = await Self.run([
                    ServerProcess.binary, "groups", "describe", "watchers", "--json",
                    "--socket", server.socketPath,
                ])
                described = outcome.json
                let lag = (described["partitions"] as? [[String: Any]])?.compactMap { $0["lag"] as? Int } ?? []
                if lag.count == 2 && lag.allSatisfy({ $0 == 0 }) { break }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let members = described["members"] as? [[String: Any]] ?? []
        #expect(members.count == 1, "\(described)")
        // Topics and partitions come from the member's subscription and assignment, which the Kafka adapter reads.
        let memberID = members.first?["member_id"] as? String
        #expect(members.first?["topics"] as? [String] == ["watched"], "\(described)")
        let owned = (members.first?["partitions"] as? [[String: Any]] ?? []).compactMap { $0["partition"] as? Int }
        #expect(owned.sorted() == [0, 1], "\(described)")
        let partitions = described["partitions"] as? [[String: Any]] ?? []
        #expect(partitions.count == 2 && partitions.allSatisfy { $0["lag"] as? Int == 0 }, "\(described)")
        #expect(memberID != nil && partitions.allSatisfy { $0["owner"] as? String == memberID }, "\(described)")
    }
}

/// Whether the real Kafka clients the tests drive are installed.
enum KafkaTools {
    static let installed: Bool =
        succeeds(["kcat", "-V"]) && succeeds(["python3", "-c", "import confluent_kafka, kafka"])

    /// Runs a short check once, while the suite is set up (blocking is harmless there).
    private static func succeeds(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
