import Foundation
import Testing

/// Kafka's consumer protocol (KIP-848) with confluent-kafka's `group.protocol=consumer`, and the internal
/// `__consumer_offsets` topic read as lag checkers read it, against the real server. `.ci/run` installs the
/// clients; without them these tests are skipped, with the reason.
///
/// The Python side is `KafkaClients/kafka_consumer_protocol.py`; each scenario asserts what it checks and prints
/// what it measured as JSON on its last line.
@Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
struct KafkaConsumerProtocolTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("KafkaClients/kafka_consumer_protocol.py").path

    func scenario(_ arguments: String..., timeout: TimeInterval = 300) async -> ProcessRun.Outcome {
        let outcome = await ProcessRun.run(["python3", Self.script] + arguments, timeout: timeout)
        #expect(outcome.status == 0, "\(arguments[0]) failed: \(outcome.stderr.suffix(3000))")
        return outcome
    }

    /// Two members share a topic, a third joins and leaves, each rebalance revoking before it assigns; commits
    /// hold across members, a new member resumes after them, and `sluice groups describe` shows the same group.
    @Test func consumerProtocolMembersShareRebalanceAndResume() async throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("kip848-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = await scenario(
            "group", server.kafkaAddress, directory, ServerProcess.binary, server.socketPath)
        let measured = outcome.json
        #expect(measured["sent"] as? Int == 420)
        // Generous bounds: CI runs every suite at once on two cores.
        for key in ["second_member_s", "third_member_s", "after_leave_s"] {
            #expect((measured[key] as? Double ?? 99) < 30, "\(key): \(measured)")
        }
    }

    /// Every group's commits, in Kafka's key and value encoding, compacted to the latest per partition, at log
    /// offsets that only grow; lag computed from them; produce and create refused.
    @Test func consumerOffsetsServesEveryGroupsCommits() async throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let outcome = await scenario("consumer-offsets", server.kafkaAddress)
        #expect(outcome.json["commits"] as? Int == 3)
    }
}
