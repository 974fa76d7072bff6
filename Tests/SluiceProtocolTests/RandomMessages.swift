import SluiceCore
import SluiceProtocol

/// Draws random, valid requests and responses of every API from a seeded generator.
///
/// "Valid" means every value has exactly one wire form, so decoding its encoding must give it back: strings stay
/// under the wire limit, errors never carry code 0, and fields whose -1 means "none" (`AlterTopicRequest.partitions`,
/// a produced record's timestamp, ...) are `nil` rather than -1. Sizes are small so that thousands of cases run in
/// a second, with an occasional long string or value to cross the one-byte and two-byte length boundaries.
struct RandomMessages {
    var rng: SplitMix64

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    // MARK: - Requests and responses

    mutating func request() -> Request {
        request(APIKey.allCases.randomElement(using: &rng)!)
    }

    mutating func request(_ key: APIKey) -> Request {
        switch key {
        case .apiVersions: .apiVersions(APIVersionsRequest(clientSoftware: string()))
        case .metadata: .metadata(MetadataRequest(topics: chance(4) ? nil : array { $0.string() }))
        case .createTopic:
            .createTopic(CreateTopicRequest(name: string(), partitions: int32(), configs: array { $0.configEntry() }))
        case .deleteTopic: .deleteTopic(DeleteTopicRequest(name: string()))
        case .describeTopic: .describeTopic(DescribeTopicRequest(name: string()))
        case .alterTopic:
            .alterTopic(
                AlterTopicRequest(
                    name: string(), partitions: optional { $0.int32(except: -1) },
                    configs: array { $0.configEntry() }))
        case .produce:
            .produce(
                ProduceRequest(
                    acks: chance(2) ? .afterCommit : .noResponse, timeoutMs: int32(),
                    topics: array {
                        $0.topic {
                            .init(
                                partition: $0.int32(), records: $0.array { $0.producerRecord() },
                                sequence: $0.optional { $0.batchSequence() })
                        }
                    }))
        case .fetch:
            .fetch(
                FetchRequest(
                    maxWaitMs: int32(), minBytes: int32(), maxBytes: int32(),
                    topics: array {
                        $0.topic { .init(partition: $0.int32(), offset: $0.int64(), partitionMaxBytes: $0.int32()) }
                    }))
        case .listOffsets:
            .listOffsets(
                ListOffsetsRequest(topics: array { $0.topic { .init(partition: $0.int32(), spec: $0.offsetSpec()) } }))
        case .commitOffsets:
            .commitOffsets(
                CommitOffsetsRequest(
                    group: string(), generation: optional { $0.int32(except: -1) }, memberID: string(),
                    topics: array {
                        $0.topic {
                            .init(partition: $0.int32(), offset: $0.int64(), metadata: $0.optional { $0.string() })
                        }
                    }))
        case .fetchOffsets:
            .fetchOffsets(
                FetchOffsetsRequest(group: string(), topics: optional { $0.array { $0.topic { $0.int32() } } }))
        case .joinGroup:
            .joinGroup(
                JoinGroupRequest(
                    group: string(), memberID: string(), clientID: string(), sessionTimeoutMs: int32(),
                    topics: array { $0.string() }))
        case .heartbeat:
            .heartbeat(
                HeartbeatRequest(
                    group: string(), memberID: string(), generation: int32(), owned: array { $0.topic { $0.int32() } }))
        case .leaveGroup: .leaveGroup(LeaveGroupRequest(group: string(), memberID: string()))
        case .describeGroup: .describeGroup(DescribeGroupRequest(group: string()))
        case .listGroups: .listGroups(ListGroupsRequest())
        case .deleteGroup: .deleteGroup(DeleteGroupRequest(group: string()))
        case .resetOffsets:
            .resetOffsets(ResetOffsetsRequest(group: string(), topic: string(), mode: resetMode()))
        case .stats: .stats(StatsRequest())
        case .initProducerID: .initProducerID(InitProducerIDRequest())
        case .backup: .backup(BackupRequest(directory: string()))
        case .deleteRecords:
            .deleteRecords(
                DeleteRecordsRequest(
                    topic: string(), partition: int32(), beforeOffset: chance(4) ? -1 : int64() & Int64.max))
        }
    }

    mutating func response() -> Response {
        response(APIKey.allCases.randomElement(using: &rng)!)
    }

    mutating func response(_ key: APIKey) -> Response {
        switch key {
        case .apiVersions:
            .apiVersions(
                APIVersionsResponse(
                    apis: array { .init(apiKey: $0.int16(), minVersion: $0.int16(), maxVersion: $0.int16()) },
                    serverSoftware: string()))
        case .metadata:
            .metadata(
                MetadataResponse(
                    topics: array {
                        .init(
                            name: $0.string(), error: $0.error(),
                            partitions: $0.array {
                                PartitionOffsets(
                                    partition: $0.int32(), logStartOffset: $0.int64(), nextOffset: $0.int64())
                            })
                    }))
        case .createTopic: .createTopic(CreateTopicResponse())
        case .deleteTopic: .deleteTopic(DeleteTopicResponse())
        case .describeTopic:
            .describeTopic(
                DescribeTopicResponse(
                    name: string(), partitionCount: int32(), configs: array { $0.configEntry() },
                    partitions: array {
                        .init(
                            partition: $0.int32(), logStartOffset: $0.int64(), nextOffset: $0.int64(),
                            sizeBytes: $0.optional { $0.int64(except: -1) })
                    }))
        case .alterTopic: .alterTopic(AlterTopicResponse())
        case .produce:
            .produce(
                ProduceResponse(
                    topics: array {
                        $0.topic {
                            .init(
                                partition: $0.int32(), error: $0.error(), baseOffset: $0.int64(),
                                logAppendTime: $0.int64())
                        }
                    }))
        case .fetch:
            .fetch(
                FetchResponse(
                    topics: array {
                        $0.topic {
                            .init(
                                partition: $0.int32(), error: $0.error(), logStartOffset: $0.int64(),
                                highWatermark: $0.int64(), records: $0.array { $0.record() })
                        }
                    }))
        case .listOffsets:
            .listOffsets(
                ListOffsetsResponse(
                    topics: array {
                        $0.topic {
                            .init(partition: $0.int32(), error: $0.error(), offset: $0.int64(), timestamp: $0.int64())
                        }
                    }))
        case .commitOffsets:
            .commitOffsets(
                CommitOffsetsResponse(topics: array { $0.topic { .init(partition: $0.int32(), error: $0.error()) } }))
        case .fetchOffsets:
            .fetchOffsets(
                FetchOffsetsResponse(
                    topics: array {
                        $0.topic {
                            .init(
                                partition: $0.int32(), offset: $0.optional { $0.int64(except: -1) },
                                metadata: $0.optional { $0.string() }, error: $0.error())
                        }
                    }))
        case .joinGroup: .joinGroup(memberAssignment())
        case .heartbeat: .heartbeat(memberAssignment())
        case .leaveGroup: .leaveGroup(LeaveGroupResponse())
        case .describeGroup:
            .describeGroup(
                DescribeGroupResponse(
                    group: string(), state: GroupState.allCases.randomElement(using: &rng)!, generation: int32(),
                    members: array {
                        .init(
                            memberID: $0.string(), clientID: $0.string(), topics: $0.array { $0.string() },
                            owned: $0.array { $0.topic { $0.int32() } }, pending: $0.array { $0.topic { $0.int32() } })
                    },
                    topics: array {
                        $0.topic {
                            .init(
                                partition: $0.int32(), owner: $0.optional { $0.string() },
                                committedOffset: $0.optional { $0.int64(except: -1) }, endOffset: $0.int64(),
                                lag: $0.optional { $0.int64(except: -1) })
                        }
                    }))
        case .listGroups:
            .listGroups(
                ListGroupsResponse(
                    groups: array {
                        .init(
                            name: $0.string(), state: GroupState.allCases.randomElement(using: &$0.rng)!,
                            memberCount: $0.int32())
                    }))
        case .deleteGroup: .deleteGroup(DeleteGroupResponse())
        case .resetOffsets:
            .resetOffsets(ResetOffsetsResponse(partitions: array { .init(partition: $0.int32(), offset: $0.int64()) }))
        case .stats: .stats(StatsResponse(text: string()))
        case .initProducerID: .initProducerID(InitProducerIDResponse(producerID: int64(), epoch: int16()))
        case .backup:
            .backup(
                BackupResponse(
                    createdMs: int64(), catalogBytes: int64(),
                    topics: array {
                        .init(name: $0.string(), partitions: $0.int32(), records: $0.int64(), bytes: $0.int64())
                    }))
        case .deleteRecords: .deleteRecords(DeleteRecordsResponse(logStartOffset: int64()))
        }
    }

    // MARK: - Shared structures

    mutating func producerRecord() -> ProducerRecord {
        ProducerRecord(
            key: optional { $0.bytes() }, value: optional { $0.bytes() }, headers: array { $0.header() },
            timestamp: optional { $0.int64(except: -1) })
    }

    mutating func batchSequence() -> BatchSequence {
        BatchSequence(
            producerID: Int64.random(in: 0...Int64.max, using: &rng),
            epoch: Int16.random(in: 0...Int16.max, using: &rng),
            baseSequence: Int32.random(in: 0...Int32.max, using: &rng))
    }

    mutating func record() -> Record {
        Record(
            offset: int64(), timestamp: int64(), key: optional { $0.bytes() }, value: optional { $0.bytes() },
            headers: array { $0.header() })
    }

    mutating func header() -> Header {
        Header(name: string(), value: optional { $0.bytes() })
    }

    mutating func configEntry() -> ConfigEntry {
        ConfigEntry(
            key: chance(2) ? TopicConfigKey.allCases.randomElement(using: &rng)!.rawValue : string(),
            value: optional { $0.string() })
    }

    mutating func memberAssignment() -> MemberAssignment {
        MemberAssignment(
            memberID: string(), generation: int32(), heartbeatIntervalMs: int32(),
            granted: array { $0.topic { $0.int32() } }, pending: array { $0.topic { $0.int32() } })
    }

    mutating func offsetSpec() -> OffsetSpec {
        switch rng.next() % 3 {
        case 0: .earliest
        case 1: .latest
        default: .timestamp(Int64.random(in: 0...Int64.max, using: &rng))
        }
    }

    mutating func resetMode() -> ResetOffsetsRequest.Mode {
        switch rng.next() % 4 {
        case 0: .earliest
        case 1: .latest
        case 2: .offset(Int64.random(in: 0...Int64.max, using: &rng))
        default: .timestamp(Int64.random(in: 0...Int64.max, using: &rng))
        }
    }

    /// An error with any code but 0 (which means "no error" on the wire) and a short message.
    mutating func error() -> SluiceError? {
        guard chance(3) else { return nil }
        let codes = ErrorCode.allCases.filter { $0 != .none }
        return SluiceError(codes.randomElement(using: &rng)!, string())
    }

    // MARK: - Primitives

    /// True once in `n` draws.
    mutating func chance(_ n: UInt64) -> Bool { rng.next() % n == 0 }

    mutating func optional<T>(_ make: (inout RandomMessages) -> T) -> T? {
        chance(3) ? nil : make(&self)
    }

    /// Mostly 0 to 3 elements, sometimes up to 20.
    mutating func array<T>(_ make: (inout RandomMessages) -> T) -> [T] {
        let count = chance(8) ? Int(rng.next() % 21) : Int(rng.next() % 4)
        var elements: [T] = []
        for _ in 0..<count { elements.append(make(&self)) }
        return elements
    }

    mutating func topic<P>(_ partition: (inout RandomMessages) -> P) -> TopicPartitions<P> {
        TopicPartitions(name: string(), partitions: array(partition))
    }

    /// Edge values a third of the time, otherwise anything.
    mutating func int64() -> Int64 {
        chance(3) ? [0, 1, -1, -2, Int64.max, Int64.min].randomElement(using: &rng)! : Int64(bitPattern: rng.next())
    }

    mutating func int64(except excluded: Int64) -> Int64 {
        while true {
            let value = int64()
            if value != excluded { return value }
        }
    }

    mutating func int32() -> Int32 {
        chance(3)
            ? [0, 1, -1, Int32.max, Int32.min].randomElement(using: &rng)! : Int32(truncatingIfNeeded: rng.next())
    }

    mutating func int32(except excluded: Int32) -> Int32 {
        while true {
            let value = int32()
            if value != excluded { return value }
        }
    }

    mutating func int16() -> Int16 { Int16(truncatingIfNeeded: rng.next()) }

    /// Raw bytes, zeros included: mostly short, now and then a few hundred.
    mutating func bytes() -> [UInt8] {
        let count = chance(16) ? Int(rng.next() % 600) : Int(rng.next() % 12)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// A string of ASCII and multi-byte characters (up to four UTF-8 bytes each), sometimes empty, now and then
    /// a few hundred characters.
    mutating func string() -> String {
        let count = chance(20) ? Int(rng.next() % 300) : Int(rng.next() % 10)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<count {
            switch rng.next() % 8 {
            case 0: scalars.append(Unicode.Scalar(UInt8(0xA0 + rng.next() % 0x60)))  // two UTF-8 bytes
            case 1: scalars.append(Unicode.Scalar(UInt32(0x4E00 + rng.next() % 0x5000))!)  // three
            case 2: scalars.append(Unicode.Scalar(UInt32(0x1F600 + rng.next() % 0x50))!)  // four
            default: scalars.append(Unicode.Scalar(UInt8(0x20 + rng.next() % 0x5F)))  // printable ASCII
            }
        }
        return String(scalars)
    }
}
