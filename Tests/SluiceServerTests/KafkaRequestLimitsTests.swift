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

    /// The batched forms count every group, key or member they name, and every group id is checked.
    @Test func batchedGroupsKeysAndMembersAreCounted() {
        let groups = (0..<10_001).map { KafkaOffsetFetchRequest.Group(groupId: "g\($0)", topics: nil) }
        #expect(
            limits.refusal(.offsetFetch(KafkaOffsetFetchRequest(groups: groups)))
                == "OffsetFetch names 10001 groups; at most 10000 per request")
        let long = KafkaOffsetFetchRequest.Group(groupId: String(repeating: "g", count: 256), topics: nil)
        let fetch = KafkaOffsetFetchRequest(groups: [.init(groupId: "ok", topics: nil), long])
        #expect(limits.refusal(.offsetFetch(fetch))?.contains("256 bytes is too long") == true)
        let partitions = (0..<2).map { group in
            KafkaOffsetFetchRequest.Group(
                groupId: "g\(group)", topics: [.init(name: "t", partitionIndexes: (0..<5_001).map(Int32.init))])
        }
        #expect(
            limits.refusal(.offsetFetch(KafkaOffsetFetchRequest(groups: partitions)))
                == "OffsetFetch names 10002 partitions; at most 10000 per request")
        let keys = KafkaFindCoordinatorRequest(keys: (0..<10_001).map { "g\($0)" })
        #expect(limits.refusal(.findCoordinator(keys)) == "FindCoordinator names 10001 keys; at most 10000 per request")
        let members = (0..<10_001).map { KafkaLeaveGroupRequest.Member(memberId: "m\($0)") }
        #expect(
            limits.refusal(.leaveGroup(KafkaLeaveGroupRequest(groupId: "g", members: members)))
                == "LeaveGroup names 10001 members; at most 10000 per request")
        #expect(limits.refusal(.leaveGroup(KafkaLeaveGroupRequest(groupId: "g", memberId: "m"))) == nil)
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
