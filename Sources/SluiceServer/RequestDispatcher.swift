import CoreMetrics
import Logging
import SluiceBroker
import SluiceCore
import SluiceProtocol

/// Turns decoded requests into broker calls and broker results into responses. No I/O, no NIO.
struct RequestDispatcher: Sendable {
    let broker: Broker
    /// Who may do what; nil allows everything.
    var access: AccessPolicy? = nil
    /// Durability of a topic created without one.
    var defaultDurability: Durability = .full
    /// Largest fetch response the server builds: a fetch asking for more is cut to this.
    var maxResponseBytes: Int = FrameDecoder.defaultMaxFrameSize
    /// What one request may ask for.
    var limits = RequestLimits()
    /// The Prometheus text for `stats`; nil when metrics are off.
    var metricsText: (@Sendable () -> String)? = nil
    var metrics = ServerMetrics()
    var logger = Logger(label: "sluice.server")
    static let serverSoftware = "sluice \(SluiceVersion.current)"

    /// Handles `request` from `peer`; `completion` runs once, on any thread, with the response or a request-level
    /// error. Under an access policy a request the peer may not make is refused with `.notAuthorized` and logged.
    func handle(
        _ request: Request, peer: PeerIdentity? = nil,
        completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void
    ) {
        metrics.request(request.apiKey)
        if let denied = check(request, peer: peer) {
            metrics.denied.increment()
            metrics.error(request.apiKey)
            return completion(.failure(denied))
        }
        if let refused = limits.check(request) ?? RequestRanges.check(request) {
            metrics.error(request.apiKey)
            return completion(.failure(refused))
        }
        switch request {
        case .produce(let produce):
            self.produce(produce, completion: completion)
        case .fetch(let fetch):
            self.fetch(fetch, completion: completion)
        case .shareFetch(let fetch):
            shareFetch(fetch, completion: completion)
        case .shareAcknowledge(let acknowledge):
            shareAcknowledge(acknowledge, completion: completion)
        case .apiVersions:
            completion(.success(.apiVersions(APIVersionsResponse(serverSoftware: Self.serverSoftware))))
        case .metadata(let metadata):
            // Refused before it is built: each name answered costs at least its length plus an entry (or an error
            // message), so a request of many names could otherwise build an answer many times its size.
            let estimate = metadata.topics?.reduce(0) { $0 + 2 * $1.utf8.count + 40 } ?? 0
            if estimate > maxResponseBytes {
                metrics.error(.metadata)
                return completion(
                    .failure(
                        SluiceError(
                            .frameTooLarge,
                            "a metadata answer for \(metadata.topics?.count ?? 0) topics would exceed the server's response "
                                + "limit of \(maxResponseBytes) bytes; ask for fewer topics")))
            }
            // A topic not used since start-up has its bounds read from its database, off the event loop.
            Task { completion(.success(.metadata(await self.metadata(metadata)))) }
        case .stats:
            // The per-group series read committed offsets and record timestamps, off the event loop.
            let broker = self.broker
            let metricsText = self.metricsText
            Task {
                let text = await GroupMetricsText.scrape(broker: broker, registryText: metricsText)
                completion(.success(.stats(StatsResponse(text: text))))
            }
        default:
            let broker = self.broker
            let defaults = self.defaultDurability
            let metrics = self.metrics
            let maxResponseBytes = self.maxResponseBytes
            // Answers about groups leave out what the peer may not see.
            let visible: @Sendable (Response) -> Response =
                if let access { { [peer] in access.visible($0, to: peer ?? .unknown) } } else { { $0 } }
            Task {
                do throws(SluiceError) {
                    completion(
                        .success(
                            visible(
                                try await Self.control(
                                    request, broker: broker, defaultDurability: defaults,
                                    maxResponseBytes: maxResponseBytes))))
                } catch {
                    metrics.error(request.apiKey)
                    completion(.failure(error))
                }
            }
        }
    }

    /// The refusal for a request the access policy does not allow `peer` to make, or nil when it may.
    func check(_ request: Request, peer: PeerIdentity?) -> SluiceError? {
        check(request.requiredAccess, api: request.apiKey.name, peer: peer)
    }

    /// The refusal when `peer` lacks one of `required` for the operation named `api` (logged and counted as the
    /// socket's requests are); nil when it has them all or no policy is set.
    func check(_ required: [RequiredAccess], api: String, peer: PeerIdentity?) -> SluiceError? {
        guard let access, !required.isEmpty else { return nil }
        guard let peer else {
            return SluiceError(.notAuthorized, "\(api) refused: the peer's identity is unknown")
        }
        for need in required where !access.permits(peer, need, api: api, logger: logger) {
            return SluiceError(.notAuthorized, AccessPolicy.refusal(peer, need, api: api))
        }
        return nil
    }

    private func produce(
        _ request: ProduceRequest,
        completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void
    ) {
        var batches: [ProduceBatch] = []
        for topic in request.topics {
            for partition in topic.partitions {
                batches.append(
                    ProduceBatch(
                        topic: topic.name, partition: partition.partition, records: partition.records,
                        sequence: partition.sequence))
            }
        }
        broker.produce(batches) { outcomes in
            var topics: [ProduceResponse.Topic] = []
            for outcome in outcomes {
                let partition: ProduceResponse.Partition
                switch outcome.result {
                case .success(let appended):
                    partition = .init(
                        partition: outcome.partition, baseOffset: appended.baseOffset,
                        logAppendTime: appended.logAppendTime)
                case .failure(let error):
                    partition = .init(partition: outcome.partition, error: error, baseOffset: -1, logAppendTime: -1)
                }
                topics.appendPartition(partition, topic: outcome.topic)
            }
            completion(.success(.produce(ProduceResponse(topics: topics))))
        }
    }

    /// Bytes of a fetch response besides its records, at the most: the header, each topic's name and each
    /// partition's fields with room for an error message naming the topic.
    static func fetchEntriesSize(_ request: FetchRequest) -> Int {
        request.topics.reduce(Response.headerBytes + 4) { size, topic in
            let name = topic.name.utf8.count
            return size + 6 + name + topic.partitions.count * (28 + maxErrorMessageBytes + name)
        }
    }

    /// Room allowed for one error message besides the names it quotes.
    static let maxErrorMessageBytes = 256

    private func fetch(_ request: FetchRequest, completion: @escaping @Sendable (Result<Response, SluiceError>) -> Void)
    {
        // `RequestLimits` refused a partition named twice: it would be read twice into one answer.
        var targets: [FetchTarget] = []
        for topic in request.topics {
            for partition in topic.partitions {
                targets.append(
                    FetchTarget(
                        topic: topic.name, partition: partition.partition, offset: partition.offset,
                        maxBytes: Int(max(partition.partitionMaxBytes, 1))))
            }
        }
        // The answer's entries are sized before anything is read; the records get what is left of the limit.
        let entries = Self.fetchEntriesSize(request)
        if entries > maxResponseBytes {
            metrics.error(.fetch)
            return completion(
                .failure(
                    SluiceError(
                        .frameTooLarge,
                        "a fetch answer for \(targets.count) partitions would exceed the server's response limit of "
                            + "\(maxResponseBytes) bytes; ask for fewer partitions")))
        }
        let spec = FetchSpec(
            targets: targets, maxWaitMs: Int(max(request.maxWaitMs, 0)),
            minBytes: Int(max(request.minBytes, 0)),
            maxBytes: min(Int(max(request.maxBytes, 1)), maxResponseBytes),
            maxWireBytes: maxResponseBytes - entries)
        broker.fetch(spec, into: EncodedRecords.self) { fetched in
            var topics: [FetchResponse.Topic] = []
            for result in fetched {
                let partition = FetchResponse.Partition(
                    partition: result.partition, error: result.error, logStartOffset: result.logStartOffset,
                    highWatermark: result.highWatermark, encodedRecords: result.records)
                topics.appendPartition(partition, topic: result.topic)
            }
            completion(.success(.fetch(FetchResponse(topics: topics))))
        }
    }

    private func metadata(_ request: MetadataRequest) async -> MetadataResponse {
        MetadataResponse(
            topics: await broker.metadata(request.topics).map { entry in
                switch entry.result {
                case .success(let partitions):
                    return .init(
                        name: entry.name,
                        partitions: partitions.map {
                            PartitionOffsets(
                                partition: $0.partition, logStartOffset: $0.logStartOffset, nextOffset: $0.nextOffset)
                        })
                case .failure(let error):
                    return .init(name: entry.name, error: error, partitions: [])
                }
            })
    }

    /// The control plane: admin and offset requests, in async/await.
    private static func control(
        _ request: Request, broker: Broker, defaultDurability: Durability,
        maxResponseBytes: Int
    ) async throws(SluiceError) -> Response {
        switch request {
        case .createTopic(let create):
            var config = TopicConfig(partitions: create.partitions)
            config.durability = defaultDurability
            try config.apply(create.configs)
            try await broker.createTopic(create.name, config: config)
            return .createTopic(CreateTopicResponse())
        case .deleteTopic(let delete):
            try await broker.deleteTopic(delete.name)
            return .deleteTopic(DeleteTopicResponse())
        case .describeTopic(let describe):
            let details = try await broker.describeTopic(describe.name)
            return .describeTopic(
                DescribeTopicResponse(
                    name: details.description.name, partitionCount: details.description.config.partitions,
                    configs: details.description.config.configEntries,
                    partitions: details.partitions.map {
                        .init(
                            partition: $0.partition, logStartOffset: $0.logStartOffset, nextOffset: $0.nextOffset,
                            sizeBytes: $0.sizeBytes)
                    }))
        case .alterTopic(let alter):
            // Apply the entries to the current settings first, so a bad entry is refused before anything changes.
            var config = try await broker.describeTopic(alter.name).description.config
            try config.apply(alter.configs)
            if let partitions = alter.partitions { config.partitions = partitions }
            let altered = config
            try await broker.alterTopic(alter.name) { $0 = altered }
            return .alterTopic(AlterTopicResponse())
        case .listOffsets(let list):
            var queries: [(topic: String, partition: Int32, spec: SluiceCore.OffsetSpec)] = []
            for topic in list.topics {
                for partition in topic.partitions {
                    queries.append((topic.name, partition.partition, partition.spec))
                }
            }
            let answers = await broker.listOffsets(queries)
            var topics: [ListOffsetsResponse.Topic] = []
            for answer in answers {
                let partition: ListOffsetsResponse.Partition
                switch answer.result {
                case .success(let found):
                    partition = .init(partition: answer.partition, offset: found.offset, timestamp: found.timestamp)
                case .failure(let error):
                    partition = .init(partition: answer.partition, error: error, offset: -1, timestamp: -1)
                }
                topics.appendPartition(partition, topic: answer.topic)
            }
            return .listOffsets(ListOffsetsResponse(topics: topics))
        case .commitOffsets(let commit):
            var offsets: [CommittedOffset] = []
            for topic in commit.topics {
                for partition in topic.partitions {
                    offsets.append(
                        CommittedOffset(
                            topic: topic.name, partition: partition.partition,
                            offset: partition.offset, metadata: partition.metadata))
                }
            }
            let results = try await broker.commitOffsets(
                group: commit.group, memberID: commit.memberID,
                generation: commit.generation ?? -1, offsets, refusingPastLogEnd: true)
            var topics: [CommitOffsetsResponse.Topic] = []
            for (offset, error) in results {
                let partition = CommitOffsetsResponse.Partition(partition: offset.partition, error: error)
                topics.appendPartition(partition, topic: offset.topic)
            }
            return .commitOffsets(CommitOffsetsResponse(topics: topics))
        case .fetchOffsets(let fetch):
            let committed = try await broker.committedOffsets(group: fetch.group, topics: fetch.topics?.map(\.name))
            var topics: [FetchOffsetsResponse.Topic] = []
            if let wanted = fetch.topics {
                var byPartition: [TopicPartition: CommittedOffset] = [:]
                for offset in committed {
                    byPartition[TopicPartition(topic: offset.topic, partition: offset.partition)] = offset
                }
                let counts = broker.partitionCounts(wanted.map(\.name))
                for (topic, known) in zip(wanted, counts) {
                    let partitionCount = try? known.result.get()
                    topics.append(
                        .init(
                            name: topic.name,
                            partitions: topic.partitions.map { partition in
                                guard let partitionCount else {
                                    return .init(
                                        partition: partition, offset: nil, metadata: nil,
                                        error: .unknownTopic(topic.name))
                                }
                                guard partition >= 0, partition < partitionCount else {
                                    return .init(
                                        partition: partition, offset: nil, metadata: nil,
                                        error: .unknownPartition(topic.name, partition, count: partitionCount))
                                }
                                let found = byPartition[TopicPartition(topic: topic.name, partition: partition)]
                                return .init(partition: partition, offset: found?.offset, metadata: found?.metadata)
                            }))
                }
            } else {
                for offset in committed {
                    let partition = FetchOffsetsResponse.Partition(
                        partition: offset.partition, offset: offset.offset,
                        metadata: offset.metadata)
                    topics.appendPartition(partition, topic: offset.topic)
                }
            }
            return .fetchOffsets(FetchOffsetsResponse(topics: topics))
        case .initProducerID:
            let identity = try await broker.initProducerID()
            return .initProducerID(InitProducerIDResponse(producerID: identity.producerID, epoch: identity.epoch))
        case .backup(let backup):
            let report = try await broker.backup(to: backup.directory)
            return .backup(
                BackupResponse(
                    createdMs: report.createdMs, catalogBytes: report.catalogBytes,
                    topics: report.topics.map {
                        .init(name: $0.name, partitions: $0.partitions, records: $0.records, bytes: $0.bytes)
                    }))
        case .deleteRecords(let delete):
            let answer = try await broker.deleteRecords(delete.topic, [(delete.partition, delete.beforeOffset)])
            guard let result = answer.first?.result else {
                throw SluiceError(.storageError, "delete_records answered no partition")
            }
            return .deleteRecords(DeleteRecordsResponse(logStartOffset: try result.get()))
        case .joinGroup, .heartbeat, .leaveGroup, .describeGroup, .listGroups, .deleteGroup, .resetOffsets:
            return try await group(request, broker: broker, maxResponseBytes: maxResponseBytes)
        case .shareGroupHeartbeat, .describeShareGroup, .alterGroupConfig, .describeGroupConfig:
            return try await share(request, broker: broker)
        case .apiVersions, .metadata, .produce, .fetch, .stats, .shareFetch, .shareAcknowledge:
            preconditionFailure("\(request.apiKey.name) is handled on the hot path")
        }
    }
}

// MARK: - Consumer groups

extension RequestDispatcher {
    static func partitions(_ topics: [TopicPartitions<Int32>]) -> [TopicPartition] {
        topics.flatMap { topic in topic.partitions.map { TopicPartition(topic: topic.name, partition: $0) } }
    }

    static func topics(_ partitions: [TopicPartition]) -> [TopicPartitions<Int32>] {
        var topics: [TopicPartitions<Int32>] = []
        for partition in partitions.sorted() {
            topics.appendPartition(partition.partition, topic: partition.topic)
        }
        return topics
    }

    static func assignment(_ answer: GroupAssignment) -> MemberAssignment {
        MemberAssignment(
            memberID: answer.memberID, generation: answer.generation,
            heartbeatIntervalMs: answer.heartbeatIntervalMs, granted: topics(answer.granted),
            pending: topics(answer.pending))
    }

    static func group(_ request: Request, broker: Broker, maxResponseBytes: Int = FrameDecoder.defaultMaxFrameSize)
        async throws(SluiceError) -> Response
    {
        switch request {
        case .joinGroup(let join):
            return .joinGroup(
                assignment(
                    try broker.joinGroup(
                        join.group, memberID: join.memberID, clientID: join.clientID, topics: join.topics,
                        sessionTimeoutMs: join.sessionTimeoutMs)))
        case .heartbeat(let heartbeat):
            // Version 0 carries no wait: never held.
            return .heartbeat(
                assignment(
                    try await broker.heartbeat(
                        heartbeat.group, memberID: heartbeat.memberID, generation: heartbeat.generation,
                        owned: partitions(heartbeat.owned), maxWaitMs: heartbeat.maxWaitMs ?? 0)))
        case .leaveGroup(let leave):
            broker.leaveGroup(leave.group, memberID: leave.memberID)
            return .leaveGroup(LeaveGroupResponse())
        case .describeGroup(let describe):
            let description = try await broker.describeGroup(describe.group)
            var topics: [DescribeGroupResponse.Topic] = []
            for partition in description.partitions {
                let entry = DescribeGroupResponse.Partition(
                    partition: partition.partition, owner: partition.owner,
                    committedOffset: partition.committedOffset < 0 ? nil : partition.committedOffset,
                    endOffset: partition.endOffset, lag: partition.lag)
                topics.appendPartition(entry, topic: partition.topic)
            }
            return .describeGroup(
                DescribeGroupResponse(
                    group: description.group, state: GroupState(rawValue: description.state.rawValue) ?? .dead,
                    generation: description.generation,
                    members: description.members.map {
                        .init(
                            memberID: $0.memberID, clientID: $0.clientID, topics: $0.topics,
                            owned: Self.topics($0.owned), pending: Self.topics($0.pending))
                    },
                    topics: topics))
        case .listGroups(let list):
            // Share groups are listed too; version 0 has no type to tell them by.
            let groups = try await broker.listGroupsWithType().map {
                ListGroupsResponse.Group(
                    name: $0.group, state: GroupState(rawValue: $0.state.rawValue) ?? .dead,
                    memberCount: Int32($0.members), type: $0.type.rawValue)
            }
            // Never refused for its size: cut to what the response limit holds.
            return .listGroups(
                ListGroupsResponse(
                    groups: RequestLimits.fitting(groups, maxBytes: maxResponseBytes, withTypes: list.withTypes),
                    withTypes: list.withTypes))
        case .deleteGroup(let delete):
            if try await broker.isShareGroup(delete.group) {
                try await broker.deleteShareGroup(delete.group)
            } else {
                try await broker.deleteGroup(delete.group)
            }
            return .deleteGroup(DeleteGroupResponse())
        case .resetOffsets(let reset):
            let to: OffsetReset =
                switch reset.mode {
                case .earliest: .earliest
                case .latest: .latest
                case .offset(let offset): .offset(offset)
                case .timestamp(let time): .timestamp(time)
                }
            if try await broker.isShareGroup(reset.group) {
                // A share group's start offsets: the next record each partition delivers.
                let offsets = try await broker.resetShareGroupOffsets(group: reset.group, topic: reset.topic, to: to)
                return .resetOffsets(
                    ResetOffsetsResponse(
                        partitions: offsets.map { .init(partition: $0.partition, offset: $0.startOffset) }))
            }
            let offsets = try await broker.resetOffsets(group: reset.group, topic: reset.topic, to: to)
            return .resetOffsets(
                ResetOffsetsResponse(partitions: offsets.map { .init(partition: $0.partition, offset: $0.offset) }))
        default:
            preconditionFailure("\(request.apiKey.name) is not a group request")
        }
    }
}

extension Array {
    /// Adds a partition's entry to a response's topic list, which is built in request order: to the last topic when
    /// it is the same one, else as a new topic.
    mutating func appendPartition<Partition>(_ partition: Partition, topic: String)
    where Element == TopicPartitions<Partition> {
        if last?.name == topic {
            self[count - 1].partitions.append(partition)
        } else {
            append(TopicPartitions(name: topic, partitions: [partition]))
        }
    }
}

/// The native protocol's fetches encode records straight from storage into their wire form.
extension EncodedRecords: FetchRecordSink {
    package init(expectedBytes: Int) {
        // Room for the data and its framing (28 bytes a record: about a quarter more for 100-byte records).
        self.init(capacity: expectedBytes + expectedBytes / 4 + 64)
    }
}
