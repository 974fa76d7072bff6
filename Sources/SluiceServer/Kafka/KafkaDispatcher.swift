import CoreMetrics
import Logging
import NIOCore
import SluiceBroker
import SluiceCore
import SluiceKafka
import Synchronization

/// Turns Kafka requests into broker calls and broker results into Kafka responses: the adapter between Kafka's
/// protocol and Sluice's broker. No I/O: `KafkaConnectionHandler` feeds it frames and writes what it answers.
///
/// Kafka's model maps onto Sluice's one to one: this server is the single broker (node 1) and leader of every
/// partition; a topic's partitions, offsets, records and committed offsets are the same ones the native protocol
/// serves. Records arrive as RecordBatch v2 and are stored one row each; fetches write one batch per partition
/// straight from the stored rows (`KafkaRecordBatchWriter`), starting exactly at the fetch offset.
struct KafkaDispatcher: Sendable {
    static let nodeID: Int32 = 1
    static let clusterID = "sluice"

    let broker: Broker
    let settings: KafkaListenerSettings
    let advertised: KafkaAdvertisedAddress
    let logger: Logger
    /// Who may do what; nil allows everything (`KafkaAccess.swift`).
    var access: AccessPolicy? = nil
    /// `sluice_access_denied_total`, shared with the Unix socket.
    var denied = Counter(label: "sluice_access_denied_total")
    /// Requests for an API or version not spoken: logged (rate-limited) and counted.
    var unsupported = KafkaUnsupportedRequests()
    /// Share groups' members' share sessions (`KafkaShareSessions.swift`).
    var shareSessions = KafkaShareSessions()

    /// Who sent a request: what JoinGroup records as the member's host and client id, and who the access policy
    /// sees (nil until the connection's user is known).
    struct Peer: Sendable {
        var host: String
        /// `host:port`, for logs.
        var address: String = ""
        var identity: PeerIdentity? = nil
        /// The connection's number, unique for the server's life: a member remembers the connection it joined
        /// over, so that its metadata can be dropped when that connection closes.
        var connection: UInt64 = 0
        /// The user the connection authenticated as with SASL; nil before (or without) authentication. Once set,
        /// `identity` is that user's.
        var saslUser: String? = nil
    }

    /// What one request may ask for (entries, group ids, group metadata).
    var limits: KafkaRequestLimits { KafkaRequestLimits() }

    /// Whether a request may run beside the produce requests before it (see `KafkaRequestQueue`).
    func mayOverlap(_ request: KafkaRequest?) -> Bool {
        if case .produce = request { return true }
        return false
    }

    /// Answers one request; `completion` runs once, on any thread. `frameBytes` is the size of the request's frame.
    ///
    /// Returns the bytes the request made the server hold besides its frame (a produce's expanded batches) until
    /// `completion` runs, for the connection's share of the memory budget.
    @discardableResult
    func handle(
        header: KafkaRequestHeader, request: KafkaRequest?, peer: Peer, allocator: ByteBufferAllocator,
        frameBytes: Int = 0, completion: @escaping @Sendable (KafkaAnswer) -> Void
    ) -> Int {
        let version = header.apiVersion
        let correlationID = header.correlationId
        let headerV1 = KafkaResponseFrame.usesHeaderV1(apiKey: header.apiKey, apiVersion: version)
        let respond: @Sendable (any KafkaResponse) -> Void = { response in
            var buffer = allocator.buffer(capacity: 256)
            KafkaResponseFrame.write(
                response, version: version, correlationId: correlationID, headerV1: headerV1, into: &buffer)
            completion(.response(buffer))
        }
        guard let request else {
            // KIP-511: an ApiVersions the server cannot read is answered at version 0 with the versions it can.
            // Any other API or version is closed on, as Apache Kafka does (it cannot parse the request).
            let apiVersions = header.apiKey == KafkaAPIKey.apiVersions.rawValue
            unsupported.record(
                apiKey: header.apiKey, apiVersion: header.apiVersion, clientID: header.clientId,
                peer: peer.address.isEmpty ? peer.host : peer.address,
                answer: apiVersions ? "UNSUPPORTED_VERSION" : "connection closed", logger: logger)
            if apiVersions {
                var buffer = allocator.buffer(capacity: 256)
                KafkaResponseFrame.write(
                    KafkaApiVersionsResponse.unsupportedVersion, version: 0,
                    correlationId: correlationID, into: &buffer)
                completion(.response(buffer))
                return 0
            }
            completion(.close("API \(header.apiKey) version \(header.apiVersion) is not supported"))
            return 0
        }
        // What the request may name, checked before anything else (access included): past a limit it is not read.
        if let refusal = limits.refusal(request) {
            logger.debug(
                "kafka request refused", metadata: ["reason": "\(refusal)", "client_id": "\(header.clientId ?? "")"])
            completion(.close(refusal))
            return 0
        }
        let access = self.access(KafkaAPIKey(rawValue: header.apiKey) ?? .apiVersions, peer: peer)
        if let refused = refusal(request, version: version, access: access) {
            if case .produce(let produce) = request, produce.acks == 0 {
                completion(.none)
            } else {
                respond(refused)
            }
            return 0
        }
        switch request {
        case .apiVersions:
            respond(KafkaApiVersionsResponse())
        case .produce(let produce):
            return self.produce(produce, version: version, access: access, frameBytes: frameBytes) { response in
                if let response { respond(response) } else { completion(.none) }
            }
        case .fetch(let fetch):
            fetchIncludingConsumerOffsets(fetch, version: version, access: access, completion: respond)
        case .metadata(let metadata):
            Task { respond(await self.metadataIncludingConsumerOffsets(metadata, access: access)) }
        case .listOffsets(let list):
            Task { respond(await self.listOffsetsIncludingConsumerOffsets(list, access: access)) }
        case .findCoordinator(let find):
            respond(findCoordinator(find, access: access))
        case .createTopics(let create):
            Task { respond(await self.createTopicsIncludingConsumerOffsets(create, access: access)) }
        case .deleteTopics(let delete):
            Task { respond(await self.deleteTopics(delete, access: access)) }
        case .initProducerId(let initialize):
            Task { respond(await self.initProducerID(initialize)) }
        case .joinGroup(let join):
            Task { respond(await self.joinGroup(join, version: version, clientID: header.clientId ?? "", peer: peer)) }
        case .syncGroup(let sync):
            Task { respond(await self.syncGroup(sync)) }
        case .heartbeat(let heartbeat):
            respond(self.heartbeat(heartbeat))
        case .leaveGroup(let leave):
            respond(self.leaveGroup(leave, version: version))
        case .offsetCommit(let commit):
            Task { respond(await self.offsetCommit(commit, access: access)) }
        case .offsetFetch(let fetch):
            Task { respond(await self.offsetFetch(fetch, access: access)) }
        case .shareGroupHeartbeat(let heartbeat):
            Task { respond(await self.shareGroupHeartbeat(heartbeat, clientID: header.clientId ?? "")) }
        case .shareGroupDescribe(let describe):
            Task { respond(await self.shareGroupDescribe(describe, access: access)) }
        case .shareFetch(let fetch):
            self.shareFetch(fetch, access: access, completion: respond)
        case .shareAcknowledge(let acknowledge):
            self.shareAcknowledge(acknowledge, access: access, completion: respond)
        case .listGroups, .describeGroups, .deleteGroups, .offsetDelete, .describeConfigs, .alterConfigs,
            .incrementalAlterConfigs, .createPartitions, .deleteRecords, .describeCluster, .describeLogDirs,
            .offsetForLeaderEpoch:
            Task { respond(await self.adminTool(request, version: version, access: access)) }
        case .consumerGroupHeartbeat(let heartbeat):
            respond(
                consumerGroupHeartbeat(
                    heartbeat, version: version, clientID: header.clientId ?? "", peer: peer, access: access))
        case .consumerGroupDescribe(let describe):
            Task { respond(await self.consumerGroupDescribe(describe, access: access)) }
        case .saslHandshake, .saslAuthenticate:
            // The connection's SASL session answers these before they reach the dispatcher.
            completion(.close("SASL request outside the connection's SASL session"))
        }
        return 0
    }

    // MARK: - Produce

    /// Decodes and appends each partition's batches. `completion` gets the response, or `nil` for acks=0.
    ///
    /// Each partition is checked before its records are touched, in the order Apache Kafka checks them: the
    /// request's own settings (transactional id), access to the topic (TOPIC_AUTHORIZATION_FAILED), acks, a
    /// partition named twice (INVALID_REQUEST), then the topic and partition (UNKNOWN_TOPIC_OR_PARTITION). Only then
    /// are its batches decoded, and decompressed within what is left of the request's expansion allowance
    /// (`expansionAllowance`), so that a request for a topic that does not exist or may not be written costs
    /// nothing and no request expands to more than its allowance. Returns the bytes expanded, held until the broker
    /// answers.
    private func produce(
        _ request: KafkaProduceRequest, version: Int16, access: KafkaRequestAccess, frameBytes: Int,
        completion: @escaping @Sendable (KafkaProduceResponse?) -> Void
    ) -> Int {
        let acks = request.acks
        var answers: [KafkaProduceResponse.Topic] = request.topics.map { .init(name: $0.name, partitions: []) }
        // Where each partition's answer goes, and the batches appended for it.
        var slots: [(topic: Int, partition: Int32, batches: Range<Int>)] = []
        var batches: [ProduceBatch] = []
        var decoder = KafkaRecordBatchDecoder(maxBatchBytes: settings.maxFrameBytes)
        decoder.acceptsLegacyMessages = version < 3
        let allowance = Self.expansionAllowance(frameBytes: frameBytes)
        var left = allowance
        var repeated = RepeatedEntries<TopicPartition>()
        for (topicIndex, topic) in request.topics.enumerated() {
            let authorized = access.permits(.produce, topic: topic.name)
            // The topic's partitions, looked up once per topic entry (nil: unknown topic).
            let partitionCount = authorized ? try? broker.partitionCount(topic.name) : nil
            for partition in topic.partitions {
                let refused: KafkaErrorCode?
                if request.transactionalId != nil {
                    refused = .transactionalIdAuthorizationFailed
                } else if !authorized {
                    refused = .topicAuthorizationFailed
                } else if ![0, 1, -1].contains(acks) {
                    refused = .invalidRequiredAcks
                } else if !repeated.isFirst(TopicPartition(topic: topic.name, partition: partition.index)) {
                    refused = .invalidRequest
                } else if let partitionCount, partition.index >= 0, partition.index < partitionCount {
                    refused = nil
                } else {
                    refused = .unknownTopicOrPartition
                }
                if let refused {
                    answers[topicIndex].partitions.append(
                        .init(index: partition.index, errorCode: refused, baseOffset: -1, logStartOffset: -1))
                    continue
                }
                do throws(KafkaRecordError) {
                    let decoded = try decoder.decodePayload(partition.records ?? ByteBuffer(), allowance: &left)
                    if decoded.contains(where: { $0.isTransactional || $0.isControl }) {
                        throw KafkaRecordError(.invalidRecord, "transactional and control batches are not supported")
                    }
                    let first = batches.count
                    batches += Self.produceBatches(decoded, topic: topic.name, partition: partition.index)
                    slots.append((topicIndex, partition.index, first..<batches.count))
                } catch {
                    logger.debug(
                        "kafka produce refused",
                        metadata: [
                            "topic": "\(topic.name)", "partition": "\(partition.index)", "error": "\(error)",
                        ])
                    answers[topicIndex].partitions.append(
                        .init(index: partition.index, errorCode: error.code, baseOffset: -1, logStartOffset: -1))
                }
            }
        }
        let prepared = answers
        let placed = slots
        broker.produce(batches) { outcomes in
            guard acks != 0 else { return }
            var answers = prepared
            for slot in placed {
                let results = outcomes[slot.batches]
                var partition = KafkaProduceResponse.Partition(
                    index: slot.partition, baseOffset: -1, logStartOffset: -1)
                if let failure = results.lazy.compactMap({ $0.result.failure }).first {
                    partition.errorCode = KafkaErrorCode(failure)
                } else if case .success(let appended)? = results.first?.result {
                    partition.baseOffset = appended.baseOffset
                }
                answers[slot.topic].partitions.append(partition)
            }
            completion(KafkaProduceResponse(topics: answers))
        }
        // With acks=0 nothing is sent back, so nothing waits for the commit: the next request may start.
        if acks == 0 { completion(nil) }
        return allowance - left
    }

    /// What one produce request's batches may expand to in memory, all partitions together: decompressed bytes
    /// and each decoded record's own cost (`KafkaRecordBatchDecoder.decodedRecordBytes`). Eight times the frame,
    /// and at least 32 MiB: room for any real producer's batches, and a bound on what a small request can cost.
    static func expansionAllowance(frameBytes: Int) -> Int {
        max(frameBytes * 8, 32 << 20)
    }

    /// The broker batches for one partition's record batches: one per batch that carries producer sequence numbers
    /// (each is checked on its own), all other records together.
    static func produceBatches(_ decoded: [KafkaRecordBatch], topic: String, partition: Int32) -> [ProduceBatch] {
        var batches: [ProduceBatch] = []
        var plain: [ProducerRecord] = []
        for batch in decoded {
            if batch.producerId >= 0 {
                if !plain.isEmpty {
                    batches.append(ProduceBatch(topic: topic, partition: partition, records: plain))
                    plain = []
                }
                let sequence = BatchSequence(
                    producerID: batch.producerId, epoch: batch.producerEpoch,
                    baseSequence: batch.baseSequence)
                batches.append(
                    ProduceBatch(
                        topic: topic, partition: partition, records: batch.records,
                        sequence: sequence))
            } else {
                plain += batch.records
            }
        }
        if !plain.isEmpty { batches.append(ProduceBatch(topic: topic, partition: partition, records: plain)) }
        return batches
    }

    // MARK: - Fetch

    /// Reads each partition into a RecordBatch v2 as storage hands the rows over: no `Record` is built. A topic
    /// the peer may not consume is answered TOPIC_AUTHORIZATION_FAILED in its place and not read.
    ///
    /// The response is capped while it is read: the request's `max_bytes`, and never more than the server's
    /// response limit (`KafkaListenerSettings.maxResponseBytes`), each record counting at least
    /// `Broker.recordOverheadBytes`; the first record is returned whatever its size (KIP-74). A partition named
    /// twice is answered INVALID_REQUEST the second time, with no records.
    func fetch(
        _ request: KafkaFetchRequest, version: Int16, access: KafkaRequestAccess,
        completion: @escaping @Sendable (KafkaFetchResponse) -> Void
    ) {
        var targets: [FetchTarget] = []
        // Per requested entry, in request order: its target's index, or nil with the error it is answered.
        var entries: [FetchEntry] = []
        var repeated = RepeatedEntries<TopicPartition>()
        let byID = KafkaFetchRequest.usesTopicIDs(version)
        for topic in request.topics {
            // From v13 topics are named by id: one no topic has is answered UNKNOWN_TOPIC_ID.
            let name = byID ? broker.topicName(id: topic.topicID.topicID) : topic.name
            let permitted = name.map { access.permits(.consume, topic: $0) } ?? false
            for partition in topic.partitions {
                var entry = FetchEntry(
                    topic: name ?? "", topicID: topic.topicID, partition: partition.partition, target: nil,
                    error: .none, maxBytes: max(1, Int(partition.partitionMaxBytes)))
                guard let name else {
                    entry.error = .unknownTopicId
                    entries.append(entry)
                    continue
                }
                guard permitted else {
                    entry.error = .topicAuthorizationFailed
                    entries.append(entry)
                    continue
                }
                guard repeated.isFirst(TopicPartition(topic: name, partition: partition.partition)) else {
                    entry.error = .invalidRequest
                    entries.append(entry)
                    continue
                }
                entry.target = targets.count
                entries.append(entry)
                targets.append(
                    FetchTarget(
                        topic: name, partition: partition.partition, offset: partition.fetchOffset,
                        maxBytes: entry.maxBytes))
            }
        }
        // Nothing to read: answered at once, not held for data that could never be sent.
        if targets.isEmpty && !entries.isEmpty {
            return completion(Self.fetchResponse(entries, [FetchResult<KafkaRecordBatchWriter>]()) { _, _ in .init() })
        }
        let limit = Self.fetchResponseLimit(
            request, framingBytes: Self.fetchFramingBytes(entries.map(\.topic)),
            maxResponseBytes: settings.maxResponseBytes)
        let spec = FetchSpec(
            targets: targets, maxWaitMs: max(0, Int(request.maxWaitMs)),
            minBytes: max(0, Int(request.minBytes)), maxBytes: limit.maxBytes, maxWireBytes: limit.maxWireBytes)
        let answered = entries
        // Before v4 the records are a message set of the old formats, cut to each partition's limit as those
        // versions need (hard below v3; v3 keeps the first message whole, KIP-74).
        switch version {
        case 0...1:
            broker.fetch(spec, into: MessageSetSink<MagicZero>.self) { fetched in
                completion(
                    Self.fetchResponse(answered, fetched) { sink, entry in
                        sink.writer.truncated(maxBytes: entry.maxBytes, keepFirst: false)
                    })
            }
        case 2...3:
            broker.fetch(spec, into: MessageSetSink<MagicOne>.self) { fetched in
                completion(
                    Self.fetchResponse(answered, fetched) { sink, entry in
                        sink.writer.truncated(maxBytes: entry.maxBytes, keepFirst: version == 3)
                    })
            }
        default:
            broker.fetch(spec, into: KafkaRecordBatchWriter.self) { fetched in
                completion(Self.fetchResponse(answered, fetched) { writer, _ in writer.bytes })
            }
        }
    }

    /// One partition a fetch asked for: where its answer comes from (`target`, an index into what the broker
    /// returns) or the error it is answered with.
    struct FetchEntry: Sendable {
        var topic: String
        var topicID: KafkaUUID
        var partition: Int32
        var target: Int?
        var error: KafkaErrorCode
        var maxBytes: Int
    }

    /// Every requested partition is answered, in request order, empty ones included: kafka-python drops a whole
    /// sessionless response that does not hold exactly the partitions it asked for.
    static func fetchResponse<Sink: FetchRecordSink>(
        _ entries: [FetchEntry], _ fetched: [FetchResult<Sink>], records: (Sink, FetchEntry) -> ByteBuffer
    ) -> KafkaFetchResponse {
        var topics: [KafkaFetchResponse.Topic] = []
        for entry in entries {
            guard let index = entry.target else {
                let partition = KafkaFetchResponse.Partition(
                    partitionIndex: entry.partition, errorCode: entry.error, highWatermark: -1,
                    lastStableOffset: -1, logStartOffset: -1)
                topics.append(partition, topic: entry.topic, topicID: entry.topicID)
                continue
            }
            let result = fetched[index]
            let partition = KafkaFetchResponse.Partition(
                partitionIndex: result.partition, errorCode: result.error.map(KafkaErrorCode.init) ?? .none,
                highWatermark: result.highWatermark, lastStableOffset: result.highWatermark,
                logStartOffset: result.logStartOffset, records: records(result.records, entry))
            topics.append(partition, topic: entry.topic, topicID: entry.topicID)
        }
        return KafkaFetchResponse(topics: topics)
    }

    /// Bytes of a fetch response besides its records' own: the header and, per partition, its fields (42 bytes),
    /// its batch header (61) and its topic's name and array counts (counted in full for each, an upper bound).
    static func fetchFramingBytes(_ topics: [String]) -> Int {
        topics.reduce(64) { $0 + 128 + $1.utf8.count }
    }

    /// The fetch's two byte budgets for the broker: `maxBytes`, what the client asked for within the response
    /// limit; `maxWireBytes`, a hard cap such that the encoded response never passes the limit whatever the records.
    ///
    /// The broker measures records in the native form (`Broker.wireSize`: 28 bytes of framing, 6 a header); as a
    /// RecordBatch a record takes at most 8 more bytes of framing and a header 4 more, so at most 5/3 of its native
    /// size, and each partition's batch adds a 61-byte header (counted in the framing). Three fifths of what is
    /// left after the framing therefore always fits.
    static func fetchResponseLimit(
        _ request: KafkaFetchRequest, framingBytes: Int, maxResponseBytes: Int
    ) -> (maxBytes: Int, maxWireBytes: Int) {
        let limit = min(maxResponseBytes, Int(Int32.max))
        let room = max(0, limit - framingBytes)
        let wire = room / 5 * 3
        return (max(1, min(Int(request.maxBytes), room)), wire)
    }
}

/// Kafka fetches write their RecordBatch straight from storage's buffers; the broker's `finish` completes it.
extension KafkaRecordBatchWriter: FetchRecordSink {
    package init(expectedBytes: Int) {
        // Room for the data, its framing (about 10 bytes a record, a tenth of a 100-byte one: a quarter leaves room
        // for smaller records) and a batch header.
        self.init(capacity: expectedBytes > 0 ? expectedBytes + expectedBytes / 4 + 64 : 0)
    }
}

/// Old-format fetches (v0–v3) write magic 0/1 message sets straight from storage's buffers; headers are dropped.
struct MessageSetSink<Format: MessageSetFormat>: FetchRecordSink {
    var writer: KafkaMessageSetWriter

    init(expectedBytes: Int) {
        writer = KafkaMessageSetWriter(magic: Format.magic, capacity: expectedBytes > 0 ? expectedBytes * 2 + 64 : 0)
    }

    mutating func append(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: [Header]
    ) {
        writer.append(offset: offset, timestamp: timestamp, key: key, value: value)
    }
}

protocol MessageSetFormat: Sendable {
    static var magic: Int8 { get }
}

enum MagicZero: MessageSetFormat {
    static var magic: Int8 { 0 }
}

enum MagicOne: MessageSetFormat {
    static var magic: Int8 { 1 }
}

/// The host and port the Kafka listener tells clients to connect to: known once the socket is bound (the port may
/// have been 0).
final class KafkaAdvertisedAddress: Sendable {
    private let address: Mutex<(host: String, port: Int32)>

    init(host: String, port: Int) {
        address = Mutex((host, Int32(port)))
    }

    var host: String { address.withLock { $0.host } }
    var port: Int32 { address.withLock { $0.port } }

    func set(host: String, port: Int) {
        address.withLock { $0 = (host, Int32(port)) }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
