import Foundation
import Logging
import SluiceBroker
import SluiceCore
import Testing

@testable import SluiceKafka
@testable import SluiceServer

/// The Kafka share-group APIs through `KafkaDispatcher` onto a real broker over real SQLite files: a Kafka member
/// and a native member in one group, share sessions, and acknowledgements that are refused and change nothing.
@Suite struct KafkaShareGroupDispatchTests {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("sluice-kafka-share-\(UUID().uuidString)").path

    struct Fixture {
        var broker: Broker
        var dispatcher: KafkaDispatcher
        var topicID: TopicID
    }

    func fixture(records: Int) async throws -> Fixture {
        let broker = try Broker(dataDirectory: directory)
        _ = try await broker.createTopic("jobs", config: TopicConfig(partitions: 1))
        let produced = await broker.produce([
            ProduceBatch(
                topic: "jobs", partition: 0,
                records: (0..<records).map { ProducerRecord(value: Array("job-\($0)".utf8)) })
        ])
        #expect(produced.allSatisfy { if case .success = $0.result { true } else { false } })
        try await broker.alterGroupConfig(group: "q", set: ["share.auto.offset.reset": "earliest"])
        let dispatcher = KafkaDispatcher(
            broker: broker, settings: KafkaListenerSettings(port: 0),
            advertised: KafkaAdvertisedAddress(host: "127.0.0.1", port: 9092), logger: Logger(label: "test"))
        return Fixture(broker: broker, dispatcher: dispatcher, topicID: try #require(broker.topicID(named: "jobs")))
    }

    func fetch(_ dispatcher: KafkaDispatcher, _ request: KafkaShareFetchRequest) async -> KafkaShareFetchResponse {
        await withCheckedContinuation { continuation in
            dispatcher.shareFetch(request, access: .unrestricted) { continuation.resume(returning: $0) }
        }
    }

    func acknowledge(_ dispatcher: KafkaDispatcher, _ request: KafkaShareAcknowledgeRequest) async
        -> KafkaShareAcknowledgeResponse
    {
        await withCheckedContinuation { continuation in
            dispatcher.shareAcknowledge(request, access: .unrestricted) { continuation.resume(returning: $0) }
        }
    }

    func join(_ dispatcher: KafkaDispatcher, member: String) async -> KafkaShareGroupHeartbeatResponse {
        await dispatcher.shareGroupHeartbeat(
            KafkaShareGroupHeartbeatRequest(
                groupId: "q", memberId: member, memberEpoch: 0, subscribedTopicNames: ["jobs"]),
            clientID: "test")
    }

    func offsets(_ response: KafkaShareFetchResponse) -> [Int64] {
        response.responses.flatMap(\.partitions).flatMap(\.acquiredRecords).flatMap {
            Array($0.firstOffset...$0.lastOffset)
        }
    }

    @Test func aKafkaMemberAndANativeMemberShareOneGroup() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let setup = try await fixture(records: 10)
        defer { Task { await setup.broker.shutdown() } }
        let joined = await join(setup.dispatcher, member: "kafka-1")
        #expect(joined.errorCode == .none)
        #expect(joined.memberId == "kafka-1" && joined.memberEpoch == 1)
        #expect(joined.assignment == [.init(topicId: setup.topicID, partitions: [0])])

        let kafka = await fetch(
            setup.dispatcher,
            KafkaShareFetchRequest(
                groupId: "q", memberId: "kafka-1", shareSessionEpoch: 0, maxWaitMs: 0, maxRecords: 4,
                topics: [.init(topicId: setup.topicID, partitions: [.init(partitionIndex: 0)])]))
        #expect(kafka.errorCode == .none)
        #expect(offsets(kafka) == [0, 1, 2, 3])
        #expect(kafka.responses.first?.partitions.first?.acquiredRecords.first?.deliveryCount == 1)
        var allowance = 1 << 20
        let batches = try KafkaRecordBatchDecoder(maxBatchBytes: 1 << 20).decodePayload(
            try #require(kafka.responses.first?.partitions.first?.records), allowance: &allowance)
        #expect(
            batches.flatMap(\.records).map { String(decoding: $0.value ?? [], as: UTF8.self) }
                == (0..<4).map { "job-\($0)" })

        // A native member of the same group gets the records after them, never the same ones.
        let native = try await setup.broker.shareGroupHeartbeat(group: "q", memberID: "", topics: ["jobs"])
        let nativeFetch = try await setup.broker.shareFetch(
            ShareFetchRequest(
                group: "q", memberID: native.memberID, partitions: [TopicPartition(topic: "jobs", partition: 0)],
                maxRecords: 4))
        #expect(nativeFetch.partitions.flatMap(\.records).map(\.offset) == [4, 5, 6, 7])

        let described = await setup.dispatcher.shareGroupDescribe(
            KafkaShareGroupDescribeRequest(groupIds: ["q", "nothing"]), access: .unrestricted)
        #expect(described.groups.first?.errorCode == KafkaErrorCode.none)
        #expect(Set(described.groups.first?.members.map(\.memberId) ?? []) == ["kafka-1", native.memberID])
        #expect(described.groups.first?.groupState == "Stable")
        #expect(described.groups.last?.errorCode == .groupIdNotFound)
        let listed = await setup.dispatcher.listGroups(
            KafkaListGroupsRequest(typesFilter: ["share"]), access: .unrestricted)
        #expect(
            listed.groups
                == [.init(groupId: "q", protocolType: "share", groupState: "Stable", groupType: "share")])

        // The Kafka member accepts its records in its session; the native member may not acknowledge them.
        let refused = try await setup.broker.shareAcknowledge(
            group: "q", memberID: native.memberID,
            acknowledgements: [.init(topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 3, type: .accept)])
        #expect(refused.first?.error != nil)
        let accepted = await acknowledge(
            setup.dispatcher,
            KafkaShareAcknowledgeRequest(
                groupId: "q", memberId: "kafka-1", shareSessionEpoch: 1,
                topics: [
                    .init(
                        topicId: setup.topicID,
                        partitions: [
                            .init(
                                partitionIndex: 0,
                                acknowledgementBatches: [.init(firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1])])
                        ])
                ]))
        #expect(accepted.errorCode == .none)
        #expect(accepted.responses.first?.partitions.first?.errorCode == KafkaErrorCode.none)
        let state = try await setup.broker.describeShareGroup("q")
        #expect(state.partitions.first?.startOffset == 4)
        #expect(state.partitions.first?.acquired == 4)
    }

    @Test func shareSessionEpochsAreCheckedAndRefusalsChangeNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let setup = try await fixture(records: 6)
        defer { Task { await setup.broker.shutdown() } }
        _ = await join(setup.dispatcher, member: "kafka-1")
        let partition = KafkaShareFetchRequest.Topic(topicId: setup.topicID, partitions: [.init(partitionIndex: 0)])
        func request(_ epoch: Int32, _ topics: [KafkaShareFetchRequest.Topic] = []) -> KafkaShareFetchRequest {
            KafkaShareFetchRequest(
                groupId: "q", memberId: "kafka-1", shareSessionEpoch: epoch, maxWaitMs: 0, maxRecords: 2,
                topics: topics)
        }
        #expect(await fetch(setup.dispatcher, request(3, [partition])).errorCode == .shareSessionNotFound)
        #expect(offsets(await fetch(setup.dispatcher, request(0, [partition]))) == [0, 1])
        #expect(await fetch(setup.dispatcher, request(2)).errorCode == .invalidShareSessionEpoch)
        // Epoch 1: the session's partition is read without being named again.
        #expect(offsets(await fetch(setup.dispatcher, request(1))) == [2, 3])
        let noSession = await acknowledge(
            setup.dispatcher,
            KafkaShareAcknowledgeRequest(groupId: "q", memberId: "kafka-1", shareSessionEpoch: 0, topics: []))
        #expect(noSession.errorCode == .invalidShareSessionEpoch)

        // Offsets this member never acquired, and a batch whose types do not match its range: refused for the
        // partition, and nothing changes.
        func acknowledging(_ batches: [KafkaAcknowledgementBatch], epoch: Int32) -> KafkaShareAcknowledgeRequest {
            KafkaShareAcknowledgeRequest(
                groupId: "q", memberId: "kafka-1", shareSessionEpoch: epoch,
                topics: [
                    .init(
                        topicId: setup.topicID, partitions: [.init(partitionIndex: 0, acknowledgementBatches: batches)])
                ])
        }
        let notHeld = await acknowledge(
            setup.dispatcher, acknowledging([.init(firstOffset: 4, lastOffset: 5, acknowledgeTypes: [1])], epoch: 2))
        #expect(notHeld.responses.first?.partitions.first?.errorCode == .invalidRecordState)
        let mismatched = await acknowledge(
            setup.dispatcher, acknowledging([.init(firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1, 2])], epoch: 3))
        #expect(mismatched.responses.first?.partitions.first?.errorCode == .invalidRequest)
        let state = try await setup.broker.describeShareGroup("q")
        #expect(state.partitions.first?.acquired == 4)
        #expect(state.partitions.first?.startOffset == 0)

        // Unknown topic ids are answered in their own entry and stay out of the session.
        let unknown = await fetch(
            setup.dispatcher,
            request(4, [.init(topicId: TopicID(high: 9, low: 9), partitions: [.init(partitionIndex: 0)])]))
        #expect(unknown.responses.first?.partitions.first?.errorCode == .unknownTopicId)
        #expect(offsets(unknown) == [4, 5])

        // Epoch -1 closes the session after its acknowledgements (per offset: release, reject).
        let closing = await fetch(
            setup.dispatcher,
            KafkaShareFetchRequest(
                groupId: "q", memberId: "kafka-1", shareSessionEpoch: -1, maxWaitMs: 0, maxRecords: 0,
                topics: [
                    .init(
                        topicId: setup.topicID,
                        partitions: [
                            .init(
                                partitionIndex: 0,
                                acknowledgementBatches: [
                                    .init(firstOffset: 0, lastOffset: 1, acknowledgeTypes: [2, 3])
                                ])
                        ])
                ]))
        #expect(closing.errorCode == .none)
        #expect(closing.responses.first?.partitions.first?.acknowledgeErrorCode == KafkaErrorCode.none)
        #expect(offsets(closing).isEmpty)
        #expect(await fetch(setup.dispatcher, request(5)).errorCode == .shareSessionNotFound)
    }

    @Test func acknowledgementBatchesBecomeRunsOfOneType() throws {
        let runs = try KafkaDispatcher.acknowledgements(
            [
                .init(firstOffset: 0, lastOffset: 2, acknowledgeTypes: [1]),
                .init(firstOffset: 3, lastOffset: 7, acknowledgeTypes: [1, 0, 2, 2, 3]),
            ], topic: "t", partition: 1
        ).get()
        #expect(
            runs.map { [$0.firstOffset, $0.lastOffset, Int64($0.type.rawValue)] } == [
                [0, 3, 1], [5, 6, 2], [7, 7, 3],
            ])
        for bad: KafkaAcknowledgementBatch in [
            .init(firstOffset: 5, lastOffset: 4, acknowledgeTypes: [1]),
            .init(firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1, 1]),
            .init(firstOffset: 0, lastOffset: 0, acknowledgeTypes: [9]),
            .init(firstOffset: 0, lastOffset: 0, acknowledgeTypes: [4]),
        ] {
            #expect(throws: KafkaDispatcher.AcknowledgementRefusal.self) {
                try KafkaDispatcher.acknowledgements([bad], topic: "t", partition: 0).get()
            }
        }
    }
}

/// Share sessions alone: epochs, additions and removals, and the bounds.
@Suite struct ShareSessionTableTests {
    let a = TopicPartition(topic: "a", partition: 0)
    let b = TopicPartition(topic: "b", partition: 0)

    @Test func epochsOpenIncrementWrapAndClose() {
        var table = ShareSessionTable()
        let key = ShareSessionTable.Key(group: "g", member: "m")
        #expect(table.fetch(key, epoch: 1, added: [a], forgotten: [], nowMs: 0) == .refused(.shareSessionNotFound))
        #expect(
            table.fetch(key, epoch: 0, added: [a], forgotten: [], nowMs: 0) == .proceed(partitions: [a], closed: false))
        #expect(
            table.fetch(key, epoch: 1, added: [b, a], forgotten: [], nowMs: 0)
                == .proceed(partitions: [a, b], closed: false))
        #expect(table.fetch(key, epoch: 1, added: [], forgotten: [], nowMs: 0) == .refused(.invalidShareSessionEpoch))
        #expect(table.acknowledge(key, epoch: 2, nowMs: 0) == .proceed(partitions: [a, b], closed: false))
        #expect(
            table.fetch(key, epoch: 3, added: [], forgotten: [a], nowMs: 0) == .proceed(partitions: [b], closed: false))
        #expect(table.partitionCount == 1)
        #expect(table.acknowledge(key, epoch: -1, nowMs: 0) == .proceed(partitions: [b], closed: true))
        #expect(table.sessions.isEmpty && table.partitionCount == 0)
        #expect(ShareSessionTable.next(Int32.max) == 1)
    }

    @Test func boundsRefuseNewSessionsUnlessIdleOnesCanGo() {
        var table = ShareSessionTable()
        table.maxSessions = 2
        table.maxPartitions = 3
        table.idleEvictionMs = 1000
        let keys = (0..<4).map { ShareSessionTable.Key(group: "g", member: "m\($0)") }
        #expect(
            table.fetch(keys[0], epoch: 0, added: [a], forgotten: [], nowMs: 0) != .refused(.shareSessionLimitReached))
        #expect(
            table.fetch(keys[1], epoch: 0, added: [a, b], forgotten: [], nowMs: 500)
                != .refused(.shareSessionLimitReached))
        #expect(
            table.fetch(keys[2], epoch: 0, added: [a], forgotten: [], nowMs: 900) == .refused(.shareSessionLimitReached)
        )
        // keys[0] has been idle for 1000 ms: it makes room.
        #expect(
            table.fetch(keys[2], epoch: 0, added: [a], forgotten: [], nowMs: 1000)
                == .proceed(partitions: [a], closed: false))
        #expect(table.sessions[keys[0]] == nil && table.sessions.count == 2 && table.partitionCount == 3)
        // Growing a session past the partition budget is refused too.
        #expect(
            table.fetch(keys[2], epoch: 1, added: [b], forgotten: [], nowMs: 1000)
                == .refused(.shareSessionLimitReached))
    }
}

/// What share-group requests may name before the listener closes the connection.
@Suite struct KafkaShareRequestLimitsTests {
    let limits = KafkaRequestLimits()
    let id = TopicID(high: 1, low: 1)

    @Test func shareFetchCountsPartitionsBatchesAndAcknowledgeTypes() {
        let partitions = (0..<5_000).map { KafkaShareFetchRequest.Partition(partitionIndex: Int32($0)) }
        let fits = KafkaShareFetchRequest(
            groupId: "g", memberId: "m", shareSessionEpoch: 0, topics: [.init(topicId: id, partitions: partitions)],
            forgottenTopicsData: [.init(topicId: id, partitions: (0..<5_000).map { Int32($0) })])
        #expect(limits.refusal(.shareFetch(fits)) == nil)
        var over = fits
        over.forgottenTopicsData[0].partitions.append(5_000)
        #expect(limits.refusal(.shareFetch(over))?.contains("ShareFetch names 10001") == true)
        let types = KafkaAcknowledgementBatch(
            firstOffset: 0, lastOffset: 100_000, acknowledgeTypes: [Int8](repeating: 1, count: 100_001))
        let acknowledge = KafkaShareAcknowledgeRequest(
            groupId: "g", memberId: "m", shareSessionEpoch: 1,
            topics: [.init(topicId: id, partitions: [.init(partitionIndex: 0, acknowledgementBatches: [types])])])
        #expect(limits.refusal(.shareAcknowledge(acknowledge))?.contains("acknowledge types") == true)
        let heartbeat = KafkaShareGroupHeartbeatRequest(
            groupId: String(repeating: "g", count: 256), memberId: "m", memberEpoch: 0)
        #expect(limits.refusal(.shareGroupHeartbeat(heartbeat))?.contains("too long") == true)
    }
}
