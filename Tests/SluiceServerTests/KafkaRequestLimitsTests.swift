import SluiceKafka
import Testing

@testable import SluiceServer

/// What a Kafka request may name before the listener closes its connection.
struct KafkaRequestLimitsTests {
    let limits = KafkaRequestLimits()

    @Test func entriesPastTheLimitAreRefusedAndAtItAccepted() {
        let names = (0..<10_000).map { "t\($0)" }
        #expect(limits.refusal(.metadata(KafkaMetadataRequest(topics: names, allowAutoTopicCreation: false))) == nil)
        let refusal = limits.refusal(
            .metadata(KafkaMetadataRequest(topics: names + ["one more"], allowAutoTopicCreation: false)))
        #expect(refusal == "Metadata names 10001 topics; at most 10000 per request")
        #expect(limits.refusal(.metadata(KafkaMetadataRequest(topics: nil, allowAutoTopicCreation: false))) == nil)
    }

    @Test func longGroupIDsAreRefused() {
        let join = KafkaJoinGroupRequest(
            groupId: String(repeating: "g", count: 256), sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
            memberId: "", protocolType: "consumer", protocols: [.init(name: "range", metadata: [])])
        #expect(limits.refusal(.joinGroup(join))?.contains("256 bytes is too long") == true)
        var short = join
        short.groupId = String(repeating: "g", count: 255)
        #expect(limits.refusal(.joinGroup(short)) == nil)
    }

    @Test func joinMetadataIsCountedOverItsProtocols() {
        let join = KafkaJoinGroupRequest(
            groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "",
            protocolType: "consumer",
            protocols: [.init(name: "range", metadata: [1, 2, 3]), .init(name: "sticky", metadata: [4])])
        #expect(KafkaRequestLimits.metadataBytes(join) == 5 + 3 + 6 + 1)
    }

    @Test func repeatedEntriesAreFoundAfterTheFirst() {
        var repeated = RepeatedEntries<String>()
        #expect(["a", "b", "a", "a", "c"].map { repeated.isFirst($0) } == [true, true, false, false, true])
    }
}
