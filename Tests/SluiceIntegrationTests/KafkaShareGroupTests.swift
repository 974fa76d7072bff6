import Foundation
import Testing

/// confluent-kafka 2.16's `ShareConsumer` (KIP-932 share groups, librdkafka 2.16) against the server's Kafka
/// listener: implicit and explicit acknowledgement (accept, release, reject, `delivery_count()`), two consumers on
/// one partition, records given back by a consumer that closes, group settings through the AdminClient, and dead
/// letters read back by a plain consumer. The Python side is `KafkaClients/kafka_share.py`; without confluent-kafka
/// these tests are skipped, with the reason.
@Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
struct KafkaShareGroupTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("KafkaClients/kafka_share.py").path

    @discardableResult
    func scenario(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async
        -> ProcessRun.Outcome
    {
        let server = try? ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        guard let server else {
            Issue.record("the server did not start", sourceLocation: sourceLocation)
            return ProcessRun.Outcome(status: -1, stdout: "", stderr: "")
        }
        defer { server.cleanUp() }
        let outcome = await ProcessRun.run(
            ["python3", Self.script, arguments[0], server.kafkaAddress] + arguments.dropFirst(), timeout: 180)
        #expect(
            outcome.status == 0, "\(arguments[0]) failed: \(outcome.stderr.suffix(3000))",
            sourceLocation: sourceLocation)
        return outcome
    }

    @Test func implicitAcknowledgementDeliversEachRecordOnce() async {
        let outcome = await scenario("implicit", "share-implicit", "workers", "50")
        #expect(outcome.json["received"] as? Int == 50)
    }

    @Test func explicitReleaseComesBackCountedAndRejectDoesNot() async {
        let outcome = await scenario("explicit", "share-explicit", "workers")
        #expect(outcome.json["delivery_count"] as? Int == 2)
    }

    @Test func twoConsumersOnOnePartitionEachRecordOnce() async {
        let outcome = await scenario("two-consumers", "share-two", "workers", "300")
        let counts = outcome.json["per_consumer"] as? [Int] ?? []
        #expect(counts.reduce(0, +) == 300)
    }

    @Test func aReleasedRecordGoesToTheNextMember() async {
        let outcome = await scenario("redelivery-after-close", "share-close", "workers")
        #expect(outcome.json["delivery_count"] as? Int == 2)
    }

    @Test func groupSettingsThroughTheAdminClientBeforeTheFirstMember() async {
        let outcome = await scenario("group-configs", "share-configs", "workers")
        #expect(outcome.json["received"] as? Int == 5)
    }

    @Test func rejectedAndOverTheLimitRecordsLandInTheDeadLetterTopic() async {
        let outcome = await scenario("dead-letters", "share-dlq", "workers")
        #expect(outcome.json["dead_letters"] as? [String] == ["flaky", "poison"])
    }
}
