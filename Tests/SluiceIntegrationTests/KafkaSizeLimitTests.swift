import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// A record the server accepted can always be fetched through the Kafka listener (`SizeLimitTests` for the native
/// protocol): a Kafka Fetch returns its first batch even when it is larger than `max_bytes` and
/// `partition_max_bytes`, as Kafka does (KIP-74). Produced natively, fetched by kafka-python and confluent-kafka.
@Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
struct KafkaSizeLimitTests {
    @Test func aRecordAtTheSizeLimitIsFetchedWithSmallFetchLimits() async throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("large")
        // The default max.message.bytes: a record of exactly that many bytes.
        let size = 1_048_576
        #expect(try connection.produce("large", values: [[UInt8](repeating: 0x78, count: size)]).error == nil)
        #expect(try connection.produce("large", strings: ["after"]).error == nil)
        let outcome = await ProcessRun.run(
            ["python3", KafkaClientTests.script, "large-record", server.kafkaAddress, "large", "\(size)"],
            timeout: 120)
        #expect(outcome.status == 0, "large-record failed: \(outcome.stderr.suffix(3000))")
    }
}
