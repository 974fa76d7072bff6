import NIOCore
import SluiceCore

@testable import SluiceKafka

extension RequestSamples {
    /// Every API's sample: the common ones and the share-group APIs'.
    static var all: [KafkaRequest] { common + shareGroups }

    static let topicA = TopicID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
    static let topicB = TopicID(high: 0x4000_0000_0000_0001, low: 0x8000_0000_0000_0002)

    /// The share-group APIs (KIP-932), every field set.
    static let shareGroups: [KafkaRequest] = [
        .shareGroupHeartbeat(
            KafkaShareGroupHeartbeatRequest(
                groupId: "sg", memberId: "m-1", memberEpoch: 3, rackId: "r1", subscribedTopicNames: ["a", "b"])),
        .shareGroupDescribe(
            KafkaShareGroupDescribeRequest(groupIds: ["sg", "other"], includeAuthorizedOperations: true)),
        .shareFetch(
            KafkaShareFetchRequest(
                groupId: "sg", memberId: "m-1", shareSessionEpoch: 2, maxWaitMs: 500, minBytes: 1,
                maxBytes: 52_428_800, maxRecords: 500, batchSize: 500,
                topics: [
                    .init(
                        topicId: topicA,
                        partitions: [
                            .init(
                                partitionIndex: 0,
                                acknowledgementBatches: [
                                    .init(firstOffset: 4, lastOffset: 6, acknowledgeTypes: [1]),
                                    .init(firstOffset: 7, lastOffset: 8, acknowledgeTypes: [2, 3]),
                                ]),
                            .init(partitionIndex: 1),
                        ])
                ],
                forgottenTopicsData: [.init(topicId: topicB, partitions: [0, 2])])),
        .shareAcknowledge(
            KafkaShareAcknowledgeRequest(
                groupId: "sg", memberId: "m-1", shareSessionEpoch: -1,
                topics: [
                    .init(
                        topicId: topicA,
                        partitions: [
                            .init(
                                partitionIndex: 0,
                                acknowledgementBatches: [.init(firstOffset: 9, lastOffset: 9, acknowledgeTypes: [3])])
                        ])
                ])),
    ]
}
