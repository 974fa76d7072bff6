import NIOCore
import NIOPosix
import SluiceCore
import SluiceProtocol

/// A client of one Sluice server: topic administration, offsets, and raw produce and fetch.
///
/// Holds one connection, which may carry any number of concurrent calls. If the connection drops, calls in flight
/// fail with `.connectionClosed` and the next call reconnects. For batching, retries and partitioning use a
/// `Producer`; for reading, a `Consumer` (each opens a connection of its own, so long polls never share a socket with
/// a producer's traffic).
public struct SluiceClient: Sendable {
    let handle: ConnectionHandle

    public var socketPath: String { handle.socketPath }

    init(handle: ConnectionHandle) {
        self.handle = handle
    }

    /// Connects to the server listening on `socketPath`; throws `.connectionClosed` if none does.
    public static func connect(
        socketPath: String, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(SluiceError) -> SluiceClient {
        SluiceClient(handle: try await ConnectionHandle.connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup))
    }

    /// Closes the connection; calls in flight fail with `.connectionClosed`, later calls too.
    public func close() async {
        await handle.close()
    }

    /// A producer on a connection of its own to the same server.
    public func makeProducer(_ configuration: ProducerConfiguration = ProducerConfiguration()) async throws(SluiceError)
        -> Producer
    {
        try await Producer.connect(
            socketPath: socketPath, configuration: configuration, eventLoopGroup: handle.eventLoopGroup)
    }

    /// A consumer on a connection of its own to the same server.
    public func makeConsumer(_ configuration: ConsumerConfiguration = ConsumerConfiguration()) async throws(SluiceError)
        -> Consumer
    {
        try await Consumer.connect(
            socketPath: socketPath, configuration: configuration, eventLoopGroup: handle.eventLoopGroup)
    }

    /// Sends any request; throws its top-level error.
    package func send(_ request: Request) async throws(SluiceError) -> Response {
        try await handle.send(request)
    }

    // MARK: - Topics

    /// Creates a topic; settings not named in `config` take their defaults.
    ///
    /// Throws `.topicAlreadyExists`, `.invalidTopicName` or `.invalidArgument`.
    public func createTopic(_ name: String, partitions: Int32 = 1, config: [ConfigEntry] = []) async throws(SluiceError)
    {
        _ = try await send(.createTopic(CreateTopicRequest(name: name, partitions: partitions, configs: config)))
    }

    /// Deletes a topic and its records; throws `.unknownTopic`.
    public func deleteTopic(_ name: String) async throws(SluiceError) {
        _ = try await send(.deleteTopic(DeleteTopicRequest(name: name)))
    }

    /// A topic's settings and its partitions' offsets and sizes; throws `.unknownTopic`.
    public func describeTopic(_ name: String) async throws(SluiceError) -> TopicDescription {
        guard case .describeTopic(let response) = try await send(.describeTopic(DescribeTopicRequest(name: name)))
        else {
            throw Self.unexpected(.describeTopic)
        }
        return TopicDescription(response)
    }

    /// Grows a topic's partition count (`nil`: unchanged) and changes the settings named in `configs`.
    ///
    /// Throws `.unknownTopic` or `.invalidArgument`.
    public func alterTopic(_ name: String, partitions: Int32? = nil, configs: [ConfigEntry] = [])
        async throws(SluiceError)
    {
        _ = try await send(.alterTopic(AlterTopicRequest(name: name, partitions: partitions, configs: configs)))
    }

    /// The named topics (every topic when `nil`) with their partitions' offsets. An unknown topic is listed with
    /// an `.unknownTopic` error rather than thrown.
    public func metadata(_ topics: [String]? = nil) async throws(SluiceError) -> [TopicMetadata] {
        guard case .metadata(let response) = try await send(.metadata(MetadataRequest(topics: topics))) else {
            throw Self.unexpected(.metadata)
        }
        return response.topics.map(TopicMetadata.init)
    }

    // MARK: - Offsets

    /// Looks up an offset in one partition: the earliest, the latest (next to be written), or the first at or
    /// after a time. `timestamp` is the found record's, or -1. Throws the partition's error.
    public func listOffsets(topic: String, partition: Int32, spec: OffsetSpec) async throws(SluiceError)
        -> (offset: Int64, timestamp: Int64)
    {
        let tp = TopicPartition(topic: topic, partition: partition)
        guard let found = try await listOffsets([(tp, spec)])[tp] else {
            throw SluiceError(.unknown, "the server did not answer for \(tp)")
        }
        return found
    }

    /// Looks up offsets in several partitions in one request; throws the first partition error.
    func listOffsets(_ queries: [(TopicPartition, OffsetSpec)]) async throws(SluiceError)
        -> [TopicPartition: (offset: Int64, timestamp: Int64)]
    {
        let request = ListOffsetsRequest(
            topics: grouped(queries) { ListOffsetsRequest.Partition(partition: $0, spec: $1) })
        guard case .listOffsets(let response) = try await send(.listOffsets(request)) else {
            throw Self.unexpected(.listOffsets)
        }
        var found: [TopicPartition: (offset: Int64, timestamp: Int64)] = [:]
        for topic in response.topics {
            for partition in topic.partitions {
                if let error = partition.error { throw error }
                found[TopicPartition(topic: topic.name, partition: partition.partition)] =
                    (partition.offset, partition.timestamp)
            }
        }
        return found
    }

    /// Stores a group's committed offsets (standalone, outside any group membership); throws the first partition
    /// error (`.unknownTopic`, `.unknownPartition`, `.invalidArgument`).
    /// With `memberID` and `generation`, commits as a member of the group: refused with `.staleGeneration` or
    /// `.unknownMember` when the member is not at the group's generation or does not own the partition.
    public func commitOffsets(
        group: String, memberID: String = "", generation: Int32? = nil,
        _ offsets: [CommittedOffset]
    ) async throws(SluiceError) {
        let entries = offsets.map {
            (TopicPartition(topic: $0.topic, partition: $0.partition), ($0.offset, $0.metadata))
        }
        let request = CommitOffsetsRequest(
            group: group, generation: generation, memberID: memberID,
            topics: grouped(entries) {
                CommitOffsetsRequest.Partition(partition: $0, offset: $1.0, metadata: $1.1)
            })
        guard case .commitOffsets(let response) = try await send(.commitOffsets(request)) else {
            throw Self.unexpected(.commitOffsets)
        }
        for topic in response.topics {
            for partition in topic.partitions {
                if let error = partition.error { throw error }
            }
        }
    }

    /// The offsets a group has committed, in the named topics (all when `nil`). Partitions with no committed
    /// offset are left out.
    public func committedOffsets(group: String, topics: [String]? = nil) async throws(SluiceError) -> [CommittedOffset]
    {
        let request = FetchOffsetsRequest(group: group, topics: nil)
        guard case .fetchOffsets(let response) = try await send(.fetchOffsets(request)) else {
            throw Self.unexpected(.fetchOffsets)
        }
        let wanted = topics.map(Set.init)
        var offsets: [CommittedOffset] = []
        for topic in response.topics where wanted?.contains(topic.name) ?? true {
            for partition in topic.partitions {
                if let error = partition.error { throw error }
                guard let offset = partition.offset else { continue }
                offsets.append(
                    CommittedOffset(
                        topic: topic.name, partition: partition.partition, offset: offset, metadata: partition.metadata)
                )
            }
        }
        return offsets
    }

    // MARK: - Raw produce and fetch

    /// Sends a produce request as is: no batching, no retries. Per-partition errors are in the response.
    package func produce(_ request: ProduceRequest) async throws(SluiceError) -> ProduceResponse {
        guard case .produce(let response) = try await send(.produce(request)) else { throw Self.unexpected(.produce) }
        return response
    }

    /// Sends a fetch request as is; it may wait up to its `maxWaitMs`. Per-partition errors are in the response.
    package func fetch(_ request: FetchRequest) async throws(SluiceError) -> FetchResponse {
        guard case .fetch(let response) = try await send(.fetch(request)) else { throw Self.unexpected(.fetch) }
        return response
    }

    static func unexpected(_ key: APIKey) -> SluiceError {
        SluiceError(.unknown, "the server answered a \(key.name) request with a different response")
    }
}

/// Groups per-partition entries by topic, keeping the order in which topics and partitions first appear.
func grouped<Value, Partition>(
    _ entries: [(TopicPartition, Value)], _ makePartition: (Int32, Value) -> Partition
) -> [TopicPartitions<Partition>] {
    var topics: [TopicPartitions<Partition>] = []
    var index: [String: Int] = [:]
    for (tp, value) in entries {
        let partition = makePartition(tp.partition, value)
        if let i = index[tp.topic] {
            topics[i].partitions.append(partition)
        } else {
            index[tp.topic] = topics.count
            topics.append(TopicPartitions(name: tp.topic, partitions: [partition]))
        }
    }
    return topics
}
