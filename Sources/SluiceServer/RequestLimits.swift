import SluiceCore
import SluiceProtocol

/// What one native request may ask for, checked before any work is done, so that no request costs much more than
/// its size: entries per request, no partition named twice, the length of group ids and of offset metadata
/// (`docs/PROTOCOL.md` §6).
struct RequestLimits: Sendable {
    /// Topics, partitions or owned partitions a request may name.
    var maxEntries = 10_000
    /// Bytes of a group id that a join, commit or reset may create (Kafka's practical limit).
    var maxGroupIDBytes = 255
    /// Bytes of free text committed with one offset (Kafka's `offset.metadata.max.bytes`).
    var maxOffsetMetadataBytes = 4096

    /// The refusal (`invalid_argument`) for a request past a limit, or nil.
    func check(_ request: Request) -> SluiceError? {
        if let error = entries(request) ?? repeated(request) { return error }
        switch request {
        case .commitOffsets(let commit):
            if let error = groupID(commit.group) { return error }
            for topic in commit.topics {
                for partition in topic.partitions
                where (partition.metadata?.utf8.count ?? 0) > maxOffsetMetadataBytes {
                    return SluiceError(
                        .invalidArgument,
                        "the metadata committed for \(topic.name)[\(partition.partition)] is "
                            + "\(partition.metadata!.utf8.count) bytes; at most \(maxOffsetMetadataBytes) are kept")
                }
            }
            return nil
        case .joinGroup(let join):
            return groupID(join.group)
        case .resetOffsets(let reset):
            return groupID(reset.group)
        case .shareGroupHeartbeat(let heartbeat):
            return groupID(heartbeat.group)
        case .alterGroupConfig(let alter):
            return groupID(alter.group)
        case .shareFetch(let fetch):
            return batches(fetch.acknowledgements, in: request)
        case .shareAcknowledge(let acknowledge):
            return batches(acknowledge.acknowledgements, in: request)
        default:
            return nil
        }
    }

    /// Acknowledgement runs a request may carry: as many as partitions.
    private func batches(_ topics: [TopicPartitions<PartitionAcknowledgements>], in request: Request) -> SluiceError? {
        let count = topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.batches.count } }
        return entries(count, of: "acknowledgement batches", in: request)
    }

    private func entries(_ request: Request) -> SluiceError? {
        switch request {
        case .metadata(let metadata):
            return entries(metadata.topics?.count ?? 0, of: "topics", in: request)
        case .fetch(let fetch):
            return entries(fetch.topics.reduce(0) { $0 + $1.partitions.count }, of: "partitions", in: request)
        case .listOffsets(let list):
            return entries(list.topics.reduce(0) { $0 + $1.partitions.count }, of: "partitions", in: request)
        case .fetchOffsets(let fetch):
            return entries(fetch.topics?.reduce(0) { $0 + $1.partitions.count } ?? 0, of: "partitions", in: request)
        case .produce(let produce):
            return entries(produce.topics.reduce(0) { $0 + $1.partitions.count }, of: "partitions", in: request)
        case .commitOffsets(let commit):
            return entries(commit.topics.reduce(0) { $0 + $1.partitions.count }, of: "partitions", in: request)
        case .joinGroup(let join):
            return entries(join.topics.count, of: "topics", in: request)
        case .heartbeat(let heartbeat):
            return entries(heartbeat.owned.reduce(0) { $0 + $1.partitions.count }, of: "partitions", in: request)
        case .shareGroupHeartbeat(let heartbeat):
            return entries(heartbeat.topics?.count ?? 0, of: "topics", in: request)
        case .shareFetch(let fetch):
            let partitions =
                fetch.topics.reduce(0) { $0 + $1.partitions.count }
                + fetch.acknowledgements.reduce(0) { $0 + $1.partitions.count }
            return entries(partitions, of: "partitions", in: request)
        case .shareAcknowledge(let acknowledge):
            return entries(
                acknowledge.acknowledgements.reduce(0) { $0 + $1.partitions.count }, of: "partitions", in: request)
        case .alterGroupConfig(let alter):
            return entries(alter.configs.count, of: "settings", in: request)
        default:
            return nil
        }
    }

    /// A partition named twice in a produce, fetch, listOffsets, commitOffsets or fetchOffsets is refused, as Kafka
    /// refuses it: the answer would hold it twice, and a fetch would read it twice into one answer. So is a partition
    /// read twice by a share fetch, or acknowledged in two entries of one share fetch or acknowledge.
    private func repeated(_ request: Request) -> SluiceError? {
        let named: [(topic: String, partitions: [Int32])]
        switch request {
        case .produce(let produce): named = produce.topics.map { ($0.name, $0.partitions.map(\.partition)) }
        case .fetch(let fetch): named = fetch.topics.map { ($0.name, $0.partitions.map(\.partition)) }
        case .listOffsets(let list): named = list.topics.map { ($0.name, $0.partitions.map(\.partition)) }
        case .commitOffsets(let commit): named = commit.topics.map { ($0.name, $0.partitions.map(\.partition)) }
        case .fetchOffsets(let fetch): named = (fetch.topics ?? []).map { ($0.name, $0.partitions) }
        case .shareFetch(let fetch):
            // The partitions to read, and apart from them the partitions acknowledged: each at most once.
            if let error = Self.repeated(fetch.topics.map { ($0.name, $0.partitions) }, in: request) { return error }
            named = fetch.acknowledgements.map { ($0.name, $0.partitions.map(\.partition)) }
        case .shareAcknowledge(let acknowledge):
            named = acknowledge.acknowledgements.map { ($0.name, $0.partitions.map(\.partition)) }
        default: return nil
        }
        return Self.repeated(named, in: request)
    }

    private static func repeated(_ named: [(topic: String, partitions: [Int32])], in request: Request) -> SluiceError? {
        var seen = Set<TopicPartition>()
        for (topic, partitions) in named {
            for partition in partitions where !seen.insert(TopicPartition(topic: topic, partition: partition)).inserted
            {
                return SluiceError(
                    .invalidArgument, "\(request.apiKey.name) names \(topic)[\(partition)] more than once")
            }
        }
        return nil
    }

    private func entries(_ count: Int, of what: String, in request: Request) -> SluiceError? {
        guard count > maxEntries else { return nil }
        return SluiceError(
            .invalidArgument,
            "\(request.apiKey.name) names \(count) \(what); at most \(maxEntries) per request")
    }

    private func groupID(_ group: String) -> SluiceError? {
        let length = group.utf8.count
        guard length > maxGroupIDBytes else { return nil }
        return SluiceError(.invalidArgument, "a group id of \(length) bytes is too long; at most \(maxGroupIDBytes)")
    }

    /// The first of `groups` that fit a `listGroups` answer of at most `maxBytes` (a server may hold groups made
    /// before the id limit): the answer is cut rather than refused.
    static func fitting(_ groups: [ListGroupsResponse.Group], maxBytes: Int, withTypes: Bool = false)
        -> [ListGroupsResponse.Group]
    {
        var size = Response.headerBytes + 4
        var count = 0
        for group in groups {
            // The encoder cuts strings past 32,767 bytes.
            size += 2 + min(group.name.utf8.count, Int(Int16.max)) + 2 + group.state.rawValue.utf8.count + 4
            if withTypes { size += 2 + group.type.utf8.count }
            if size > maxBytes { break }
            count += 1
        }
        return Array(groups.prefix(count))
    }
}
