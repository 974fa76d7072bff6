import SluiceCore
import Testing

@Suite struct TopicIDTests {
    /// Kafka's spelling of an id, checked against `Uuid.toString` of the same bits (Java: URL-safe base64 of the
    /// 16 big-endian bytes, no padding).
    @Test func spelledAsKafkaSpellsIt() {
        let id = TopicID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(
            id.bytes == [
                0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
            ])
        #expect(id.description == "ASNFZ4mrze_-3LqYdlQyEA")
        #expect(TopicID("ASNFZ4mrze_-3LqYdlQyEA") == id)
        #expect(TopicID.zero.description == "AAAAAAAAAAAAAAAAAAAAAA")
        #expect(TopicID("ASNFZ4mrze_-3LqYdlQyEB") == nil, "bits past the 16th byte")
        #expect(TopicID("short") == nil)
        #expect(TopicID(bytes: id.bytes) == id)
        #expect(TopicID(bytes: [1, 2, 3]) == nil)
    }

    @Test func randomIdsAreVersion4AndDistinct() {
        var seen = Set<TopicID>()
        for _ in 0..<1000 {
            let id = TopicID.random()
            #expect(!id.isZero)
            #expect(id.bytes[6] >> 4 == 4, "version 4")
            #expect(id.bytes[8] >> 6 == 0b10, "IETF variant")
            #expect(TopicID(id.description) == id)
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }
}
