import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// OffsetCommit and OffsetFetch v0 and v1 against the real server. Apache Kafka kept v0's offsets in ZooKeeper;
/// here every version commits to the same place, and v1's per-partition commit timestamp is read and not used.
@Suite struct KafkaOldOffsetVersionsTests {
    @Test func v0AndV1CommitAndFetchLikeTheRest() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let native = try RawConnection(path: server.socketPath)
        try native.createTopic("t", partitions: 2)
        _ = try native.produce("t", partition: 0, strings: ["a", "b", "c", "d"])
        _ = try native.produce("t", partition: 1, strings: ["a", "b", "c", "d"])
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        // v0: group, [topic, [partition, offset, metadata]], a standalone commit.
        var v0 = KafkaWire()
        v0.string("old")
        v0.int32(1)
        v0.string("t")
        v0.int32(1)
        v0.int32(0)
        v0.int64(3)
        v0.string("zk")
        kafka.send(apiKey: 8, version: 0, correlationID: 1, body: v0)
        var answer = KafkaReader(try #require(kafka.readFrame()))
        #expect(answer.int32() == 1)
        #expect(answer.int32() == 1 && answer.string() == "t" && answer.int32() == 1)
        #expect(answer.int32() == 0 && answer.int16() == 0)
        // v1: generation -1 and no member (standalone), a commit timestamp per partition.
        var v1 = KafkaWire()
        v1.string("old")
        v1.int32(-1)
        v1.string("")
        v1.int32(1)
        v1.string("t")
        v1.int32(1)
        v1.int32(1)
        v1.int64(2)
        v1.int64(1_700_000_000_000)
        v1.string("")
        kafka.send(apiKey: 8, version: 1, correlationID: 2, body: v1)
        answer = KafkaReader(try #require(kafka.readFrame()))
        #expect(answer.int32() == 2)
        #expect(answer.int32() == 1 && answer.string() == "t" && answer.int32() == 1)
        #expect(answer.int32() == 1 && answer.int16() == 0)
        #expect(try native.committedOffsets(group: "old", "t") == [0: 3, 1: 2])
        // OffsetFetch v0 reads them back, with the metadata committed.
        var fetch = KafkaWire()
        fetch.string("old")
        fetch.int32(1)
        fetch.string("t")
        fetch.int32(2)
        fetch.int32(0)
        fetch.int32(1)
        kafka.send(apiKey: 9, version: 0, correlationID: 3, body: fetch)
        var fetched = KafkaReader(try #require(kafka.readFrame()))
        #expect(fetched.int32() == 3)
        #expect(fetched.int32() == 1 && fetched.string() == "t" && fetched.int32() == 2)
        #expect(fetched.int32() == 0 && fetched.int64() == 3 && fetched.string() == "zk" && fetched.int16() == 0)
        #expect(fetched.int32() == 1 && fetched.int64() == 2 && fetched.string() == "" && fetched.int16() == 0)
        #expect(fetched.at == fetched.bytes.count)
    }
}
