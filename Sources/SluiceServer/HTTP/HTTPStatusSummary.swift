import SluiceBroker
import SluiceCore
import SluiceProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the status page shows and `/v1/status` answers: the server, its topics with their activity over the last
/// hour, the consumer groups with their lag per partition and the age of the oldest record each has not consumed,
/// the share groups with their records in flight and dead letters, and the dead-letter topics. Every part the
/// peer could be refused is a native request, so the access policy leaves out what it would refuse on the socket.
struct HTTPStatusSummary: Encodable, Sendable {
    struct Server: Encodable, Sendable {
        var version: String
        var uptimeSeconds: Int64
        var dataDirectory: String
        var dataDirectoryBytes: Int64
        var freeDiskBytes: Int64?
        /// Connections served now, by listener: `native`, `kafka`, `http`.
        var connections: [String: Int]
    }
    struct Topic: Encodable, Sendable {
        var name: String
        var partitions: Int
        var records: Int64
        var nextOffset: Int64
        /// The database's and its WAL's size.
        var bytes: Int64
        /// Records produced and fetched in each of the last sixty minutes, oldest first (since the server started).
        var producedPerMinute: [Int64]
        var fetchedPerMinute: [Int64]
    }
    struct GroupPartition: Encodable, Sendable {
        var topic: String
        var partition: Int32
        var committedOffset: Int64?
        var endOffset: Int64
        var lag: Int64?
        /// How long ago the oldest record the group has not consumed was produced (its timestamp); absent when the
        /// group has consumed everything.
        var oldestUnconsumedAgeMs: Int64?
    }
    struct Group: Encodable, Sendable {
        var name: String
        /// `consumer` (native members), `classic` (Kafka's classic protocol).
        var type: String
        var state: String
        var members: Int32
        var lag: Int64?
        var oldestUnconsumedAgeMs: Int64?
        var partitions: [GroupPartition]
    }
    struct SharePartition: Encodable, Sendable {
        var topic: String
        var partition: Int32
        var startOffset: Int64
        var endOffset: Int64
        var acquired: Int32
        var available: Int64
        var delayed: Int32
        var deadLettered: Int64
        var archived: Int64
    }
    struct ShareGroup: Encodable, Sendable {
        var name: String
        var state: String
        var members: Int32
        var acquired: Int64
        var available: Int64
        var delayed: Int64
        var deadLettered: Int64
        var archived: Int64
        var deadLetterTopic: String?
        var partitions: [SharePartition]
    }
    struct DeadLetterTopic: Encodable, Sendable {
        var name: String
        var records: Int64
        var groups: [String]
    }

    var server: Server
    var topics: [Topic]
    var groups: [Group]
    var shareGroups: [ShareGroup]
    var deadLetterTopics: [DeadLetterTopic]

    /// Groups described one by one; past this many the rest are listed without their partitions.
    static let describedGroups = 50
    /// Partitions whose oldest unconsumed record is looked up (one read each); past this many the age is left out.
    static let agedPartitions = 200

    static func make(api: HTTPAPI, peer: PeerIdentity?) async -> HTTPStatusSummary {
        let broker = api.dispatcher.broker
        let now = Int64(wallMs())
        var topics: [Topic] = []
        if case .success(.metadata(let metadata)) = await api.run(.metadata(MetadataRequest(topics: nil)), peer: peer) {
            let named = metadata.topics.filter { $0.error == nil }
            let activity = broker.topicActivity(named.map(\.name))
            topics = named.map { topic in
                let seen = activity[topic.name]
                return Topic(
                    name: topic.name, partitions: topic.partitions.count,
                    records: topic.partitions.reduce(0) { $0 + $1.nextOffset - $1.logStartOffset },
                    nextOffset: topic.partitions.reduce(0) { $0 + $1.nextOffset },
                    bytes: seen?.diskBytes ?? 0,
                    producedPerMinute: seen?.hour.produced ?? [], fetchedPerMinute: seen?.hour.fetched ?? [])
            }
        }
        var groups: [Group] = []
        var shareGroups: [ShareGroup] = []
        var aged = 0
        if case .success(.listGroups(let list)) = await api.run(
            .listGroups(ListGroupsRequest(withTypes: true)), peer: peer)
        {
            for (index, listed) in list.groups.enumerated() {
                let described = index < describedGroups
                if listed.type == "share" {
                    var group = ShareGroup(
                        name: listed.name, state: listed.state.rawValue, members: listed.memberCount, acquired: 0,
                        available: 0, delayed: 0, deadLettered: 0, archived: 0, partitions: [])
                    if described,
                        case .success(.describeShareGroup(let share)) = await api.run(
                            .describeShareGroup(DescribeShareGroupRequest(group: listed.name)), peer: peer)
                    {
                        group.fill(share)
                    }
                    shareGroups.append(group)
                    continue
                }
                var group = Group(
                    name: listed.name, type: listed.type, state: listed.state.rawValue, members: listed.memberCount,
                    partitions: [])
                if described,
                    case .success(.describeGroup(let description)) = await api.run(
                        .describeGroup(DescribeGroupRequest(group: listed.name)), peer: peer)
                {
                    for topic in description.topics {
                        for partition in topic.partitions {
                            var row = GroupPartition(
                                topic: topic.name, partition: partition.partition,
                                committedOffset: partition.committedOffset, endOffset: partition.endOffset,
                                lag: partition.lag)
                            if let lag = partition.lag, lag > 0, aged < agedPartitions {
                                aged += 1
                                row.oldestUnconsumedAgeMs = await oldestAge(
                                    api: api, peer: peer, topic: topic.name, partition: partition.partition,
                                    from: partition.committedOffset ?? 0, now: now)
                            }
                            group.partitions.append(row)
                        }
                    }
                    group.lag = group.partitions.reduce(0) { $0 + ($1.lag ?? 0) }
                    group.oldestUnconsumedAgeMs = group.partitions.compactMap(\.oldestUnconsumedAgeMs).max()
                }
                groups.append(group)
            }
        }
        var letters: [String: [String]] = [:]
        for group in shareGroups {
            if let topic = group.deadLetterTopic { letters[topic, default: []].append(group.name) }
        }
        let deadLetterTopics = topics.filter { letters[$0.name] != nil }.map {
            DeadLetterTopic(name: $0.name, records: $0.records, groups: letters[$0.name] ?? [])
        }
        return HTTPStatusSummary(
            server: Server(
                version: SluiceVersion.current, uptimeSeconds: api.uptimeSeconds,
                dataDirectory: broker.dataDirectory, dataDirectoryBytes: directoryBytes(broker.dataDirectory),
                freeDiskBytes: freeBytes(broker.dataDirectory), connections: api.connections()),
            topics: topics, groups: groups, shareGroups: shareGroups, deadLetterTopics: deadLetterTopics)
    }

    /// The age of the record at `from` (or the first after it) in a partition, by its timestamp; nil when it cannot
    /// be read.
    static func oldestAge(
        api: HTTPAPI, peer: PeerIdentity?, topic: String, partition: Int32, from offset: Int64, now: Int64
    ) async -> Int64? {
        // A limit of one byte still returns the first record whole.
        let fetch = FetchRequest(
            maxWaitMs: 0, minBytes: 0, maxBytes: 1,
            topics: [
                TopicPartitions(
                    name: topic, partitions: [.init(partition: partition, offset: offset, partitionMaxBytes: 1)])
            ])
        var start = offset
        for _ in 0..<2 {
            guard case .success(.fetch(let response)) = await api.run(.fetch(fetch.starting(at: start)), peer: peer),
                let answer = response.topics.first?.partitions.first
            else { return nil }
            if answer.error?.code == .offsetOutOfRange, start < answer.logStartOffset {
                // Retention removed what the group had not read: its oldest unconsumed record is the log start's.
                start = answer.logStartOffset
                continue
            }
            guard answer.error == nil,
                let record = (try? answer.encodedRecords?.decoded()).flatMap(\.first) ?? answer.records.first
            else { return nil }
            return max(0, now - record.timestamp)
        }
        return nil
    }

    static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// The size of the regular files in `path` and in its folders, two levels deep (the data directory's layout).
    static func directoryBytes(_ path: String, depth: Int = 2) -> Int64 {
        guard let directory = opendir(path) else { return 0 }
        defer { closedir(directory) }
        var total: Int64 = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG: total += Int64(info.st_size)
            case S_IFDIR where depth > 1: total += directoryBytes(child, depth: depth - 1)
            default: break
            }
        }
        return total
    }

    /// Milliseconds since the epoch, as records are stamped.
    private static func wallMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

extension HTTPStatusSummary.ShareGroup {
    mutating func fill(_ share: DescribeShareGroupResponse) {
        deadLetterTopic = share.configs.first { $0.key == "errors.deadletterqueue.topic.name" }?.value
            .flatMap { $0.isEmpty ? nil : $0 }
        for topic in share.topics {
            for partition in topic.partitions {
                partitions.append(
                    .init(
                        topic: topic.name, partition: partition.partition, startOffset: partition.startOffset,
                        endOffset: partition.endOffset, acquired: partition.acquired, available: partition.available,
                        delayed: partition.delayed, deadLettered: partition.deadLettered, archived: partition.archived))
                acquired += Int64(partition.acquired)
                available += partition.available
                delayed += Int64(partition.delayed)
                deadLettered += partition.deadLettered
                archived += partition.archived
            }
        }
    }
}

extension FetchRequest {
    /// The request with its one partition read from `offset`.
    fileprivate func starting(at offset: Int64) -> FetchRequest {
        var copy = self
        copy.topics[0].partitions[0].offset = offset
        return copy
    }
}
