import SluiceCore
import SluiceProtocol
import Testing

@testable import SluiceServer

/// The share-group APIs' refusals before any work: access, limits and value ranges.
@Suite struct ShareRequestChecksTests {
    static func acks(_ batches: [AcknowledgementBatch], partition: Int32 = 0)
        -> [TopicPartitions<PartitionAcknowledgements>]
    {
        [.init(name: "t", partitions: [.init(partition: partition, batches: batches)])]
    }

    static func fetch(
        maxWaitMs: Int32 = 0, maxRecords: Int32 = 10, maxBytes: Int32 = 1000,
        topics: [TopicPartitions<Int32>] = [.init(name: "t", partitions: [0])],
        acknowledgements: [TopicPartitions<PartitionAcknowledgements>] = []
    ) -> Request {
        .shareFetch(
            ShareFetchRequest(
                group: "g", memberID: "m", maxWaitMs: maxWaitMs, maxRecords: maxRecords, maxBytes: maxBytes,
                topics: topics, acknowledgements: acknowledgements))
    }

    @Test func shareRequestsNeedConsumeOnTheGroupAndEveryTopicAndAlteringNeedsAdmin() {
        let fetch = Self.fetch(
            acknowledgements: [.init(name: "u", partitions: [.init(partition: 0, batches: [])])])
        #expect(
            fetch.requiredAccess == [.group(.consume, "g"), .topic(.consume, "t"), .topic(.consume, "u")])
        let join = Request.shareGroupHeartbeat(ShareGroupHeartbeatRequest(group: "g", clientID: "c", topics: ["t"]))
        #expect(join.requiredAccess == [.group(.consume, "g"), .topic(.consume, "t")])
        let leave = Request.shareGroupHeartbeat(
            ShareGroupHeartbeatRequest(group: "g", memberID: "m", memberEpoch: -1, clientID: "c", topics: ["t"]))
        #expect(leave.requiredAccess == [.group(.consume, "g")], "leaving reads nothing")
        #expect(
            Request.alterGroupConfig(AlterGroupConfigRequest(group: "g", configs: [])).requiredAccess == [
                .group(.admin, "g")
            ])
        #expect(
            Request.describeShareGroup(DescribeShareGroupRequest(group: "g")).requiredAccess == [
                .describe(group: "g")
            ])
    }

    @Test func acknowledgementRunsMustBeAscendingDisjointAndDelayedOnlyWhenReleased() {
        let good = Self.fetch(
            acknowledgements: Self.acks([
                .init(firstOffset: 0, lastOffset: 3, kind: .accept),
                .init(firstOffset: 4, lastOffset: 4, kind: .release, delayMs: 500),
            ]))
        #expect(RequestRanges.check(good) == nil)
        let refusals: [(String, Request)] = [
            (
                "backwards",
                Self.fetch(acknowledgements: Self.acks([.init(firstOffset: 5, lastOffset: 4, kind: .accept)]))
            ),
            (
                "negative",
                Self.fetch(acknowledgements: Self.acks([.init(firstOffset: -1, lastOffset: 4, kind: .accept)]))
            ),
            (
                "overlapping",
                Self.fetch(
                    acknowledgements: Self.acks([
                        .init(firstOffset: 0, lastOffset: 4, kind: .accept),
                        .init(firstOffset: 4, lastOffset: 6, kind: .reject),
                    ]))
            ),
            (
                "a delayed accept",
                Self.fetch(
                    acknowledgements: Self.acks([.init(firstOffset: 0, lastOffset: 0, kind: .accept, delayMs: 1)]))
            ),
            (
                "a delay over a day",
                Self.fetch(
                    acknowledgements: Self.acks([
                        .init(firstOffset: 0, lastOffset: 0, kind: .release, delayMs: 86_400_001)
                    ]))
            ),
            ("no runs", Self.fetch(acknowledgements: Self.acks([]))),
            ("a negative wait", Self.fetch(maxWaitMs: -1)),
            ("no records", Self.fetch(maxRecords: 0)),
            ("no bytes", Self.fetch(maxBytes: 0)),
            (
                "a join without topics",
                .shareGroupHeartbeat(ShareGroupHeartbeatRequest(group: "g", clientID: "c", topics: []))
            ),
            (
                "an epoch below -1",
                .shareGroupHeartbeat(
                    ShareGroupHeartbeatRequest(group: "g", memberID: "m", memberEpoch: -2, clientID: "c", topics: nil))
            ),
        ]
        for (what, request) in refusals {
            #expect(RequestRanges.check(request)?.code == .invalidArgument, "\(what)")
        }
    }

    @Test func aPartitionReadOrAcknowledgedTwiceIsRefused() {
        let limits = RequestLimits()
        let twice = Self.fetch(topics: [.init(name: "t", partitions: [0, 0])])
        #expect(limits.check(twice)?.message.contains("t[0] more than once") == true)
        let acknowledgedTwice = Self.fetch(
            acknowledgements: Self.acks([.init(firstOffset: 0, lastOffset: 0, kind: .accept)])
                + Self.acks([.init(firstOffset: 1, lastOffset: 1, kind: .accept)]))
        #expect(limits.check(acknowledgedTwice)?.code == .invalidArgument)
        let readAndAcknowledged = Self.fetch(
            acknowledgements: Self.acks([.init(firstOffset: 0, lastOffset: 0, kind: .accept)]))
        #expect(limits.check(readAndAcknowledged) == nil, "reading a partition and acknowledging it is the point")
        let longGroup = Request.alterGroupConfig(
            AlterGroupConfigRequest(group: String(repeating: "g", count: 256), configs: []))
        #expect(limits.check(longGroup)?.code == .invalidArgument)
    }
}
