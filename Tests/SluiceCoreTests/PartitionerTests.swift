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
