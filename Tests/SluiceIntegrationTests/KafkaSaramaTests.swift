import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// The sarama client, built once per test run from `KafkaClients/sarama_client.go`.
enum Sarama {
    static let imports = ["github.com/Shopify/sarama"]
    static var installed: Bool { GoProgram.available(imports) }
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("KafkaClients/sarama_client.go").path
    private static let built = Task { try await GoProgram.build(source, name: "sarama_client") }
    static func binary() async throws -> String { try await built.value }
}

/// sarama 1.22.1 (Go; Debian's `golang-github-shopify-sarama-dev`) against the Kafka listener: a Kafka protocol
/// implementation of its own, and one whose default version (Kafka 0.8.2) speaks the old versions: Produce v0
/// with magic 0 message sets (gzip and snappy wrappers), Fetch v0. Each test runs it at that default and at
/// V2_1_0_0 (Produce v7 and Fetch v10, RecordBatch v2, headers, zstd, idempotence). `.ci/run` installs Go and
/// sarama; without them the suite is skipped, saying so, except under `CI=true`, where it fails.
@Suite(
    .serialized,
    .enabled(
        if: Sarama.installed || GoProgram.required,
        "needs go and golang-github-shopify-sarama-dev (apt-get install golang-go golang-github-shopify-sarama-dev)"
    ))
struct KafkaSaramaTests {
    func client() async throws -> String {
        try #require(Sarama.installed, "CI=true: go and sarama must be installed")
        return try await Sarama.binary()
    }

    /// Runs a mode of the Go client, expects it to pass and returns its last line's JSON.
    func run(
        _ binary: String, _ arguments: String..., timeout: TimeInterval = 150,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> [String: Any] {
        let outcome = await ProcessRun.run([binary] + arguments, timeout: timeout)
        #expect(
            outcome.status == 0, "sarama \(arguments.joined(separator: " ")) failed: \(outcome.stderr.suffix(3000))",
            sourceLocation: sourceLocation)
        let last = outcome.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
    }

    func startServer() throws -> ServerProcess {
        try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
    }

    /// Every codec each version allows (lz4 needs 0.10, zstd 2.1), with keys, headers from 0.11 and an idempotent
    /// producer at 2.1; every record is read back by partition at both versions, in order, and natively, with the
    /// headers sarama sent (a consumer at the default version gets the records without them: magic 0 has none).
    @Test func producesEveryCodecAtOldAndNewVersionsAndConsumesByPartition() async throws {
        let sarama = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        let native = try RawConnection(path: server.socketPath)
        try native.createTopic("s")
        let address = server.kafkaAddress
        var expected: [String] = []
        var next: Int64 = 0
        for (version, codecs) in [
            ("default", ["none", "gzip", "snappy"]), ("0.10.0.0", ["lz4"]),
            ("2.1.0", ["none", "gzip", "snappy", "lz4", "zstd"]),
        ] {
            for codec in codecs {
                let produced = await run(sarama, "produce", address, "s", version, codec, "3")
                #expect(produced["offsets"] as? [Int64] == [next, next + 1, next + 2], "\(version) \(codec)")
                next += 3
                expected += (0..<3).map { "\(codec)-\(version)-\($0)" }
            }
        }
        let idempotent = await run(sarama, "produce", address, "s", "2.1.0", "none", "3", "idempotent")
        #expect(idempotent["offsets"] as? [Int64] == [next, next + 1, next + 2])
        expected += (0..<3).map { "none-2.1.0-\($0)" }
        // zstd needs RecordBatch v2: at the default version it is refused.
        let refused = await ProcessRun.run([sarama, "produce", address, "s", "default", "zstd", "1"], timeout: 60)
        #expect(refused.status != 0)

        let stored = try native.fetch("s").records
        #expect(stored.map { String(decoding: $0.value ?? [], as: UTF8.self) } == expected)
        #expect(stored.map(\.offset) == Array(0..<Int64(expected.count)))
        #expect(stored.allSatisfy { $0.key.map { $0.first == 0x6B } == true }, "keys k0, k1, k2")
        let withHeaders = stored.filter { !$0.headers.isEmpty }
        #expect(
            withHeaders.count == 6 * 3
                && withHeaders.allSatisfy { $0.headers == [Header(name: "src", value: Array("sarama".utf8))] })

        for version in ["default", "0.10.0.0", "2.1.0"] {
            let consumed = await run(sarama, "consume", address, "s", version, "0", "\(expected.count)")
            let messages = consumed["messages"] as? [[String: Any]] ?? []
            #expect(messages.compactMap { $0["value"] as? String } == expected, "consumed at \(version)")
            #expect(messages.compactMap { $0["offset"] as? Int64 } == Array(0..<Int64(expected.count)))
            let headers = messages.reduce(0) { $0 + (($1["headers"] as? Int) ?? 0) }
            #expect(headers == (version == "2.1.0" ? withHeaders.count : 0), "headers at \(version)")
        }
    }

    /// A consumer group (sarama's ConsumerGroup, from 0.10.2) reads everything the topic holds and commits it; the
    /// group run again resumes from its commits: it reads only what was produced since.
    @Test func aConsumerGroupReadsEveryRecordAndResumesFromItsCommits() async throws {
        let sarama = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        let native = try RawConnection(path: server.socketPath)
        try native.createTopic("g", partitions: 3)
        for partition in Int32(0)..<3 {
            #expect(
                try native.produce("g", partition: partition, strings: ["a\(partition)", "b\(partition)"]).error == nil)
        }
        let read = await run(sarama, "group", server.kafkaAddress, "g", "sg", "2.1.0", "6")
        let values = (read["messages"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        #expect(Set(values) == Set((0..<3).flatMap { ["a\($0)", "b\($0)"] }))
        for partition in Int32(0)..<3 {
            #expect(try native.produce("g", partition: partition, strings: ["c\(partition)"]).error == nil)
        }
        let resumed = await run(sarama, "group", server.kafkaAddress, "g", "sg", "2.1.0", "3")
        let newValues = (resumed["messages"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        #expect(newValues.sorted() == ["c0", "c1", "c2"])
    }

    /// Two members of one group: the first holds every partition, a second joining splits them between the two
    /// (no partition twice, none left out), and when it leaves the first holds them all again.
    @Test func twoGroupMembersRebalanceOnJoinAndLeave() async throws {
        let sarama = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        try RawConnection(path: server.socketPath).createTopic("r", partitions: 4)
        let answer = await run(sarama, "rebalance", server.kafkaAddress, "r", "rg", "2.1.0", "4", timeout: 240)
        let split = answer["split"] as? [[Int]] ?? []
        #expect(split.count == 2 && split.allSatisfy { !$0.isEmpty })
        #expect(split.flatMap { $0 }.sorted() == [0, 1, 2, 3])
        #expect((answer["after"] as? [Int])?.sorted() == [0, 1, 2, 3])
    }

    /// ClusterAdmin at 2.1: create (a second create is TOPIC_ALREADY_EXISTS), describe, delete.
    @Test func clusterAdminCreatesDescribesAndDeletesTopics() async throws {
        let sarama = try await client()
        let server = try startServer()
        defer { server.cleanUp() }
        let answer = await run(sarama, "admin", server.kafkaAddress, "made", "2.1.0")
        #expect(answer["partitions"] as? Int == 3)
        let native = try RawConnection(path: server.socketPath)
        #expect(try native.metadata(["made"]).topics.first?.error?.code == .unknownTopic, "deleted")
    }
}
