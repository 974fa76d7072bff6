import SluiceCore
import Testing

@Suite struct PartitionerTests {
    /// Vectors from Kafka's `UtilsTest.testMurmur2`.
    @Test func murmur2MatchesKafka() {
        let cases: [(String, Int32)] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (key, expected) in cases {
            #expect(KafkaPartitioner.murmur2(Array(key.utf8)) == expected, "murmur2(\(key))")
        }
    }

    /// The vectors of `docs/PROTOCOL.md` ("Partitioner"), computed with kafka-python's `murmur2` (which matches the
    /// Java client's): key, hash as a signed 32-bit integer, and the partition for 1, 3, 7, 12 and 100 partitions.
    @Test func protocolDocumentVectors() {
        let cases: [(key: [UInt8], hash: Int32, partitions: [Int32])] = [
            ([], 275_646_681, [0, 0, 2, 9, 81]),
            (Array("a".utf8), -1_563_381_124, [0, 1, 5, 4, 24]),
            (Array("ab".utf8), 316_155_434, [0, 2, 0, 2, 34]),
            (Array("abc".utf8), 479_470_107, [0, 0, 4, 3, 7]),
            (Array("21".utf8), -973_932_308, [0, 0, 3, 0, 40]),
            (Array("foobar".utf8), -790_332_482, [0, 0, 0, 6, 66]),
            (Array("order-42".utf8), 501_153_024, [0, 0, 1, 0, 24]),
            (Array("ключ".utf8), 2_122_343_024, [0, 2, 4, 8, 24]),
        ]
        for (key, hash, partitions) in cases {
            #expect(KafkaPartitioner.murmur2(key) == hash, "murmur2(\(key))")
            for (count, expected) in zip([1, 3, 7, 12, 100] as [Int32], partitions) {
                #expect(
                    KafkaPartitioner.partition(forKey: key, partitions: count) == expected,
                    "partition of \(key) among \(count)")
            }
        }
    }

    @Test func partitionIsPositiveHashModuloCount() {
        // murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166.
        #expect(KafkaPartitioner.partition(forKey: Array("foobar".utf8), partitions: 7) == Int32(1_357_151_166 % 7))
        #expect(KafkaPartitioner.partition(forKey: [], partitions: 3) >= 0)
    }

    @Test func topicNames() {
        #expect(TopicName.isValid("orders.v1_x-y"))
        #expect(!TopicName.isValid(""))
        #expect(!TopicName.isValid("."))
        #expect(!TopicName.isValid(".."))
        #expect(!TopicName.isValid("a/b"))
        #expect(!TopicName.isValid("é"))
        #expect(TopicName.isValid(String(repeating: "a", count: 249)))
        #expect(!TopicName.isValid(String(repeating: "a", count: 250)))
    }
}
