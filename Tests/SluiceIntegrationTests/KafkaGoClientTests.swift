import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// segmentio/kafka-go 0.2.1 (Debian's `golang-github-segmentio-kafka-go-dev`, built with Debian's Go) against the
/// Kafka listener: a third Kafka protocol implementation besides librdkafka and kafka-python, and one that speaks
/// only old versions (`KafkaClients/kafka_go_client.go` lists them). `.ci/run` installs Go and kafka-go; without
/// them the suite is skipped, saying so, except under `CI=true`, where it fails.
///
/// kafka-go 0.2.1 produces magic-1 message sets (so it has no headers) with Produce v2 and fetches with Fetch v2,
/// which needs records in the old format: the produce, consume and group tests run once the server advertises
/// Fetch v2, and are skipped, saying so, before.
@Suite(
    .serialized,
    .enabled(
        if: KafkaGo.installed || GoProgram.required,
        "needs go and golang-github-segmentio-kafka-go-dev (apt-get install golang-go golang-github-segmentio-kafka-go-dev)"
    ))
struct KafkaGoClientTests {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("KafkaClients/kafka_go_client.go").path

    func client() async throws -> String {
        try #require(KafkaGo.installed, "CI=true: go and kafka-go must be installed")
        return try await KafkaGo.binary()
    }

    /// Runs a mode of the Go client and expects it to pass.
    @discardableResult
    func run(
        _ binary: String, _ arguments: String..., timeout: TimeInterval = 120,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> ProcessRun.Outcome {
        let outcome = await ProcessRun.run([binary] + arguments, timeout: timeout)
        #expect(
            outcome.status == 0, "kafka-go \(arguments[0]) failed: \(outcome.stderr.suffix(3000))",
            sourceLocation: sourceLocation)
        return outcome
    }

    func startServer() throws -> ServerProcess {
        try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
    }

    /// Whether the server reads Fetch v2 (records in the old message format), which kafka-go's reads need.
    static func speaksOldFormats(_ server: ServerProcess) throws -> Bool {
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        kafka.send(apiKey: 18, version: 0, body: KafkaWire())
        var reader = KafkaReader(try #require(kafka.readFrame()))
        _ = reader.int32()
        guard reader.int16() == 0 else { return false }
        for _ in 0..<reader.int32() {
            let (key, min, _) = (reader.int16(), reader.int16(), reader.int16())
            if key == 1 { return min <= 2 }
        }
        return false
    }

    @Test func createsReadsAndDeletesTopics() async throws {
        let binary = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        // CreateTopics v0, Metadata v1, CreateTopics again (kafka-go takes TOPIC_ALREADY_EXISTS as success),
        // DeleteTopics v1.
        let outcome = await run(binary, "admin", server.kafkaAddress, "go-admin")
        #expect(outcome.json["partitions"] as? Int == 3, "\(outcome.stdout)")
        let native = try RawConnection(path: server.socketPath)
        #expect(try native.metadata(["go-admin"]).topics.first?.error?.code == .unknownTopic)
    }

    @Test func producesWithEveryCodecAndConsumesByPartition() async throws {
        let binary = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        guard try Self.speaksOldFormats(server) else {
            print("skipped: this server does not speak Fetch v2, which kafka-go 0.2.1 reads with")
            return
        }
        try RawConnection(path: server.socketPath).createTopic("go-codecs", partitions: 2)
        for codec in ["none", "gzip", "snappy", "lz4"] {
            await run(binary, "produce", server.kafkaAddress, "go-codecs", "10", codec, "\(codec)-k")
        }
        var seen: [String] = []
        for partition in 0..<2 {
            let described = try RawConnection(path: server.socketPath).describeTopic("go-codecs")
            let count = Int(described.partitions.first { $0.partition == Int32(partition) }?.nextOffset ?? 0)
            let outcome = await run(binary, "consume", server.kafkaAddress, "go-codecs", "\(partition)", "\(count)")
            let records = outcome.json["records"] as? [[String: Any]] ?? []
            #expect(records.count == count, "\(outcome.stdout)")
            // Offsets are contiguous from 0 within the partition.
            #expect(records.compactMap { $0["offset"] as? Int } == Array(0..<count))
            seen += records.compactMap { $0["key"] as? String }
        }
        let expected = ["none", "gzip", "snappy", "lz4"].flatMap { codec in (0..<10).map { "\(codec)-k\($0)" } }
        #expect(seen.sorted() == expected.sorted())
    }

    /// Two members of one group share the topic's partitions after a rebalance, commit what they read, and a new
    /// member after them resumes from the commits.
    @Test func aGroupOfTwoRebalancesCommitsAndResumes() async throws {
        let binary = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        guard try Self.speaksOldFormats(server) else {
            print("skipped: this server does not speak Fetch v2, which kafka-go 0.2.1 reads with")
            return
        }
        let address = server.kafkaAddress
        try RawConnection(path: server.socketPath).createTopic("go-group", partitions: 2)
        await run(binary, "produce", address, "go-group", "20", "none", "a")
        async let first = ProcessRun.run([binary, "member", address, "go-group", "go-g", "A", "40"], timeout: 90)
        try await Task.sleep(for: .seconds(10))
        async let second = ProcessRun.run([binary, "member", address, "go-group", "go-g", "B", "25"], timeout: 90)
        // Once B has joined and the group has settled, records on both partitions.
        try await Task.sleep(for: .seconds(15))
        await run(binary, "produce", address, "go-group", "20", "none", "b")
        let (a, b) = await (first, second)
        #expect(a.status == 0, "member A: \(a.stderr.suffix(2000))")
        #expect(b.status == 0, "member B: \(b.stderr.suffix(2000))")
        let lines = (a.stdout + b.stdout).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let keys = Set(lines.compactMap { $0.count == 4 ? $0[3] : nil })
        let expected = Set((0..<20).flatMap { ["a\($0)", "b\($0)"] })
        #expect(keys == expected, "every record was read: \(a.stdout) \(b.stdout)")
        // After the rebalance each member owns one partition: the second batch is split by partition between them.
        let secondBatch = lines.filter { $0.count == 4 && $0[3].hasPrefix("b") }
        let ownersByPartition = Dictionary(grouping: secondBatch, by: { $0[1] }).mapValues { Set($0.map { $0[0] }) }
        #expect(ownersByPartition.values.allSatisfy { $0.count == 1 }, "\(ownersByPartition)")
        #expect(Set(secondBatch.map { $0[0] }) == ["A", "B"], "both members read after the rebalance")
        // A new member resumes where the group committed: only what was produced since.
        await run(binary, "produce", address, "go-group", "5", "none", "c")
        let resumed = await ProcessRun.run([binary, "member", address, "go-group", "go-g", "C", "15"], timeout: 60)
        #expect(resumed.status == 0, "member C: \(resumed.stderr.suffix(2000))")
        let resumedKeys = resumed.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last }
        #expect(Set(resumedKeys.map(String.init)) == Set((0..<5).map { "c\($0)" }), "\(resumed.stdout)")
    }
}

/// kafka-go's client, built once per test run.
enum KafkaGo {
    static let installed = GoProgram.available(["github.com/segmentio/kafka-go"])

    private static let built = Task { try await GoProgram.build(KafkaGoClientTests.source, name: "kafka_go_client") }

    static func binary() async throws -> String { try await built.value }
}
