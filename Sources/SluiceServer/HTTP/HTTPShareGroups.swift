import NIOHTTP1
import SluiceCore
import SluiceProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Share groups over HTTP: a member joins, acquires records (each acquisition also keeps it alive), acknowledges
// them and leaves, so that a shell loop with curl can be a worker. Each endpoint is made of the native share-group
// requests (API keys 30 to 35), so their permissions, ranges and limits apply as on the native socket.

extension HTTPRoute {
    /// `/v1/share-groups/...`.
    static func shareGroupRoute(_ request: HTTPAPIRequest, _ path: [String]) throws(SluiceError) -> HTTPRoute {
        guard path.count >= 2 else { throw notFound(request) }
        let group = path[1]
        switch (request.method, path.count) {
        case (.GET, 2):
            return .native(
                .describeShareGroup(DescribeShareGroupRequest(group: group)), status: .ok,
                render: HTTPJSON.shareGroup)
        case (.PATCH, 2):
            let body = try request.json(HTTPTopicAlter.self)
            return .native(
                .alterGroupConfig(AlterGroupConfigRequest(group: group, configs: HTTPJSON.configEntries(body.config))),
                status: .ok, render: { _ in HTTPJSON.encode(["altered": group]) })
        case (.DELETE, 2):
            return .native(
                .deleteGroup(DeleteGroupRequest(group: group)), status: .ok,
                render: { _ in HTTPJSON.encode(["deleted": group]) })
        case (.POST, 3) where path[2] == "reset-offsets":
            // The share group's start offsets: the next record each partition of the topic delivers.
            let body = try request.json(HTTPResetOffsets.self)
            return .native(
                .resetOffsets(ResetOffsetsRequest(group: group, topic: body.topic, mode: try body.mode())),
                status: .ok, render: HTTPJSON.reset)
        case (.POST, 3) where path[2] == "members":
            let body = try request.json(HTTPShareJoin.self)
            return .native(
                .shareGroupHeartbeat(
                    ShareGroupHeartbeatRequest(
                        group: group, memberEpoch: ShareGroupHeartbeatRequest.joinEpoch,
                        clientID: body.clientID ?? "http", topics: body.topics)),
                status: .created, render: HTTPJSON.shareMember)
        case (.POST, 5) where path[2] == "members" && path[4] == "heartbeat":
            return .native(
                .shareGroupHeartbeat(HTTPShareAcquire.heartbeat(group: group, member: path[3])), status: .ok,
                render: HTTPJSON.shareMember)
        case (.DELETE, 4) where path[2] == "members":
            let member = path[3]
            return .native(
                .shareGroupHeartbeat(
                    ShareGroupHeartbeatRequest(
                        group: group, memberID: member, memberEpoch: ShareGroupHeartbeatRequest.leaveEpoch,
                        clientID: "http", topics: nil)),
                status: .ok, render: { _ in HTTPJSON.encode(["left": member]) })
        case (.POST, 5) where path[2] == "members" && path[4] == "records":
            return .acquire(try HTTPShareAcquire(group: group, member: path[3], request: request))
        case (.POST, 5) where path[2] == "members" && path[4] == "acknowledgements":
            let body = try request.json(HTTPAcknowledgementsIn.self)
            return .acknowledge(
                ShareAcknowledgeRequest(
                    group: group, memberID: path[3], acknowledgements: try body.byPartition()))
        default:
            throw [.GET, .POST, .PATCH, .DELETE].contains(request.method)
                ? notFound(request) : notAllowed(request.method, "/" + request.path.joined(separator: "/"))
        }
    }
}

/// `POST /v1/share-groups/G/members`'s body.
struct HTTPShareJoin: Decodable, Sendable {
    var topics: [String]
    var clientID: String?

    enum CodingKeys: String, CodingKey {
        case topics
        case clientID = "client_id"
    }
}

/// `POST /v1/share-groups/G/members/M/records`: a heartbeat (which keeps the member alive and names its
/// partitions), then a share fetch over those partitions with the acknowledgements the body carries.
struct HTTPShareAcquire: Sendable {
    var group: String
    var member: String
    var maxRecords: Int32
    var waitMs: Int32
    var maxBytes: Int32
    var base64: Bool
    var acknowledgements: [TopicPartitions<PartitionAcknowledgements>]

    init(group: String, member: String, request: HTTPAPIRequest) throws(SluiceError) {
        self.group = group
        self.member = member
        maxRecords = try request.integer("max_records", in: 1...Int32(HTTPRead.maxLimit), default: 1)
        waitMs = try request.integer("wait_ms", in: 0...HTTPRead.maxWaitMs, default: 0)
        maxBytes = try request.integer("max_bytes", in: 1...Int32.max, default: 1 << 20)
        switch request.query["encoding"] {
        case nil, "text": base64 = false
        case "base64": base64 = true
        case let other?:
            throw SluiceError(.invalidArgument, "encoding must be 'text' or 'base64', not '\(other)'")
        }
        acknowledgements =
            request.body.isEmpty ? [] : try request.json(HTTPAcknowledgementsIn.self).byPartition()
    }

    /// A heartbeat of a member that has joined: the epoch is any above 0 (the server knows the member by its id).
    static func heartbeat(group: String, member: String) -> ShareGroupHeartbeatRequest {
        ShareGroupHeartbeatRequest(group: group, memberID: member, memberEpoch: 1, clientID: "http", topics: nil)
    }
}

/// An acknowledgements body: `{"acknowledgements": [{"topic", "partition", "offset" (or "first_offset" and
/// "last_offset"), "type": "accept" | "release" | "reject" | "renew", "delay_ms"?}]}`.
struct HTTPAcknowledgementsIn: Decodable, Sendable {
    struct Item: Decodable, Sendable {
        var topic: String
        var partition: Int32
        var offset: Int64?
        var firstOffset: Int64?
        var lastOffset: Int64?
        var type: String
        var delayMs: Int32?

        enum CodingKeys: String, CodingKey {
            case topic, partition, offset, type
            case firstOffset = "first_offset"
            case lastOffset = "last_offset"
            case delayMs = "delay_ms"
        }
    }

    var acknowledgements: [Item]

    /// The items as the native request takes them: one entry per topic and partition, in the order each first
    /// appears, with its runs in the order given.
    func byPartition() throws(SluiceError) -> [TopicPartitions<PartitionAcknowledgements>] {
        var topics: [TopicPartitions<PartitionAcknowledgements>] = []
        for item in acknowledgements {
            let kinds: [String: AcknowledgeKind] = [
                "accept": .accept, "release": .release, "reject": .reject, "renew": .renew,
            ]
            guard let kind = kinds[item.type] else {
                throw SluiceError(
                    .invalidArgument,
                    "acknowledgement type must be accept, release, reject or renew, not '\(item.type)'")
            }
            guard let first = item.offset ?? item.firstOffset else {
                throw SluiceError(.invalidArgument, "an acknowledgement needs 'offset' or 'first_offset'")
            }
            if item.delayMs != nil, kind != .release {
                throw SluiceError(.invalidArgument, "only a release takes 'delay_ms'")
            }
            if let delay = item.delayMs, delay < 0 {
                throw SluiceError(.invalidArgument, "delay_ms \(delay) is negative")
            }
            let batch = AcknowledgementBatch(
                firstOffset: first, lastOffset: item.lastOffset ?? first, kind: kind, delayMs: item.delayMs ?? 0)
            let t =
                topics.firstIndex { $0.name == item.topic }
                ?? {
                    topics.append(TopicPartitions(name: item.topic, partitions: []))
                    return topics.count - 1
                }()
            if let p = topics[t].partitions.firstIndex(where: { $0.partition == item.partition }) {
                topics[t].partitions[p].batches.append(batch)
            } else {
                topics[t].partitions.append(PartitionAcknowledgements(partition: item.partition, batches: [batch]))
            }
        }
        guard !topics.isEmpty else { throw SluiceError(.invalidArgument, "the body has no acknowledgements") }
        return topics
    }
}

extension HTTPAPI {
    /// Acquires records for a member: a heartbeat first (the member stays alive while it keeps acquiring, and the
    /// answer names every partition of its topics), then one share fetch over them.
    func acquire(_ acquire: HTTPShareAcquire, peer: PeerIdentity?) async throws(SluiceError) -> HTTPJSON.Body {
        let beat = HTTPShareAcquire.heartbeat(group: acquire.group, member: acquire.member)
        guard case .shareGroupHeartbeat(let member) = try await run(.shareGroupHeartbeat(beat), peer: peer).get()
        else { throw SluiceError(.unknown, "the server answered a share-group heartbeat with another answer") }
        let fetch = ShareFetchRequest(
            group: acquire.group, memberID: acquire.member, maxWaitMs: acquire.waitMs, maxRecords: acquire.maxRecords,
            maxBytes: acquire.maxBytes, topics: member.assignment, acknowledgements: acquire.acknowledgements)
        guard case .shareFetch(let fetched) = try await run(.shareFetch(fetch), peer: peer).get() else {
            throw SluiceError(.unknown, "the server answered a share fetch with another answer")
        }
        return HTTPJSON.encode(HTTPJSON.AcquiredOut(fetched, member: acquire.member, base64: acquire.base64))
    }

    /// Acknowledges records: 200 when every partition's acknowledgements were applied; otherwise the status of the
    /// first partition's error, the body listing every partition's result either way.
    func acknowledge(_ request: ShareAcknowledgeRequest, peer: PeerIdentity?) async throws(SluiceError) -> HTTPReply {
        guard case .shareAcknowledge(let response) = try await run(.shareAcknowledge(request), peer: peer).get() else {
            throw SluiceError(.unknown, "the server answered share_acknowledge with another answer")
        }
        let results = HTTPJSON.acknowledgementResults(response.topics)
        let failed = response.topics.lazy.flatMap(\.partitions).compactMap(\.error).first
        return .json(failed.map { HTTPJSON.status(of: $0) } ?? .ok, HTTPJSON.encode(["results": results]))
    }
}

extension HTTPJSON {
    struct PartitionResult: Encodable {
        var topic: String
        var partition: Int32
        var error: ErrorOut?
    }

    struct ErrorOut: Encodable {
        var code: String
        var message: String

        init(_ error: SluiceError) {
            code = error.code.name
            message = error.message
        }
    }

    static func acknowledgementResults(_ topics: [TopicPartitions<AcknowledgementResult>]) -> [PartitionResult] {
        topics.flatMap { topic in
            topic.partitions.map {
                PartitionResult(topic: topic.name, partition: $0.partition, error: $0.error.map(ErrorOut.init))
            }
        }
    }

    /// A share fetch's answer: the acquired records, each with its topic, partition and delivery count; the
    /// partitions that could not be read; the piggybacked acknowledgements' results.
    struct AcquiredOut: Encodable {
        struct Acquired: Encodable {
            var topic: String
            var partition: Int32
            var deliveryCount: Int16
            var record: RecordOut

            enum CodingKeys: String, CodingKey { case topic, partition, deliveryCount }

            func encode(to encoder: any Encoder) throws {
                try record.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(topic, forKey: .topic)
                try container.encode(partition, forKey: .partition)
                try container.encode(deliveryCount, forKey: .deliveryCount)
            }
        }

        var memberId: String
        var records: [Acquired]
        var errors: [PartitionResult]
        var acknowledgements: [PartitionResult]

        init(_ response: ShareFetchResponse, member: String, base64: Bool) {
            memberId = member
            var records: [Acquired] = []
            var errors: [PartitionResult] = []
            for topic in response.topics {
                for partition in topic.partitions {
                    if let error = partition.error {
                        errors.append(
                            PartitionResult(topic: topic.name, partition: partition.partition, error: ErrorOut(error)))
                    }
                    for record in partition.records {
                        records.append(
                            Acquired(
                                topic: topic.name, partition: partition.partition,
                                deliveryCount: partition.deliveryCount(of: record.offset) ?? 1,
                                record: RecordOut(record, base64: base64)))
                    }
                }
            }
            self.records = records
            self.errors = errors
            acknowledgements = HTTPJSON.acknowledgementResults(response.acknowledgements)
        }
    }

    static func shareMember(_ response: Response) throws(SluiceError) -> Body {
        guard case .shareGroupHeartbeat(let member) = response else { throw unexpected(response) }
        struct Assigned: Encodable {
            var topic: String
            var partitions: [Int32]
        }
        struct Member: Encodable {
            var memberId: String
            var memberEpoch: Int32
            var heartbeatIntervalMs: Int32
            var assignment: [Assigned]
        }
        return encode(
            Member(
                memberId: member.memberID, memberEpoch: member.memberEpoch,
                heartbeatIntervalMs: member.heartbeatIntervalMs,
                assignment: member.assignment.map { Assigned(topic: $0.name, partitions: $0.partitions) }))
    }

    static func shareGroup(_ response: Response) throws(SluiceError) -> Body {
        guard case .describeShareGroup(let group) = response else { throw unexpected(response) }
        struct Member: Encodable {
            var memberId: String
            var clientId: String
            var memberEpoch: Int32
            var topics: [String]
            var acquiredRecords: Int32
        }
        struct Partition: Encodable {
            var partition: Int32
            var startOffset: Int64
            var endOffset: Int64
            var inFlight: Int32
            var acquired: Int32
            var available: Int64
            var delayed: Int32
            var deadLettered: Int64
            var archived: Int64
        }
        struct Topic: Encodable {
            var name: String
            var partitions: [Partition]
        }
        struct Group: Encodable {
            var group: String
            var state: String
            var members: [Member]
            var topics: [Topic]
            var config: [String: String?]
        }
        var config: [String: String?] = [:]
        for entry in group.configs { config[entry.key] = .some(entry.value) }
        return encode(
            Group(
                group: group.group, state: group.state.rawValue,
                members: group.members.map {
                    Member(
                        memberId: $0.memberID, clientId: $0.clientID, memberEpoch: $0.memberEpoch, topics: $0.topics,
                        acquiredRecords: $0.acquiredRecords)
                },
                topics: group.topics.map { topic in
                    Topic(
                        name: topic.name,
                        partitions: topic.partitions.map {
                            Partition(
                                partition: $0.partition, startOffset: $0.startOffset, endOffset: $0.endOffset,
                                inFlight: $0.inFlight, acquired: $0.acquired, available: $0.available,
                                delayed: $0.delayed, deadLettered: $0.deadLettered, archived: $0.archived)
                        })
                },
                config: config))
    }
}
