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
    /// The access policy, applied to connections that authenticated with SASL (`KafkaDispatcher+SASL.swift`).
    var access: AccessPolicy? = nil
    let logger: Logger

    /// Who sent a request: what JoinGroup records as the member's host and client id.
    struct Peer: Sendable {
        var host: String
        /// The user the connection authenticated as with SASL; nil before (or without) authentication.
        var saslUser: String? = nil
    }

    /// Whether a request may run beside the produce requests before it (see `KafkaRequestQueue`).
    func mayOverlap(_ request: KafkaRequest?) -> Bool {
        if case .produce = request { return true }
        return false
    }

    /// Answers one request; `completion` runs once, on any thread.
    func handle(
        header: KafkaRequestHeader, request: KafkaRequest?, peer: Peer, allocator: ByteBufferAllocator,
        completion: @escaping @Sendable (KafkaAnswer) -> Void
    ) {
        let version = header.apiVersion
        let correlationID = header.correlationId
        let respond: @Sendable (any KafkaResponse) -> Void = { response in
            var buffer = allocator.buffer(capacity: 256)
            KafkaResponseFrame.write(response, version: version, correlationId: correlationID, into: &buffer)
            completion(.response(buffer))
        }
        guard let request else {
            // KIP-511: an ApiVersions the server cannot read is answered at version 0 with the versions it can.
            if header.apiKey == KafkaAPIKey.apiVersions.rawValue {
                var buffer = allocator.buffer(capacity: 256)
                KafkaResponseFrame.write(
                    KafkaApiVersionsResponse.unsupportedVersion, version: 0,
                    correlationId: correlationID, into: &buffer)
                return completion(.response(buffer))
            }
            logger.debug(
                "kafka request not supported",
                metadata: [
                    "api_key": "\(header.apiKey)", "api_version": "\(header.apiVersion)",
                    "client_id": "\(header.clientId ?? "")",
                ])
            return completion(.close("API \(header.apiKey) version \(header.apiVersion) is not supported"))
        }
        switch request {
        case .apiVersions:
            respond(KafkaApiVersionsResponse())
        case .produce(let produce):
            self.produce(produce, version: version, peer: peer) { response in
                if let response { respond(response) } else { completion(.none) }
            }
        case .fetch(let fetch):
            self.fetch(fetch, completion: respond)
        case .metadata(let metadata):
            Task { respond(await self.metadata(metadata)) }
        case .listOffsets(let list):
            Task { respond(await self.listOffsets(list)) }
        case .findCoordinator(let find):
            respond(findCoordinator(find))
        case .createTopics(let create):
            Task { respond(await self.createTopics(create)) }
        case .deleteTopics(let delete):
            Task { respond(await self.deleteTopics(delete)) }
        case .initProducerId(let initialize):
            Task { respond(await self.initProducerID(initialize)) }
        case .joinGroup(let join):
            Task { respond(await self.joinGroup(join, version: version, clientID: header.clientId ?? "", peer: peer)) }
        case .syncGroup(let sync):
            Task { respond(await self.syncGroup(sync)) }
        case .heartbeat(let heartbeat):
            respond(self.heartbeat(heartbeat))
        case .leaveGroup(let leave):
            respond(self.leaveGroup(leave))
        case .offsetCommit(let commit):
            Task { respond(await self.offsetCommit(commit)) }
        case .offsetFetch(let fetch):
            Task { respond(await self.offsetFetch(fetch)) }
        case .saslHandshake, .saslAuthenticate:
            // The connection's SASL session answers these before they reach the dispatcher.
            completion(.close("SASL request outside the connection's SASL session"))
        }
    }

    // MARK: - Produce

    /// Decodes and appends each partition's batches. `completion` gets the response, or `nil` for acks=0.
    private func produce(
        _ request: KafkaProduceRequest, version: Int16, peer: Peer,
        completion: @escaping @Sendable (KafkaProduceResponse?) -> Void
    ) {
        let acks = request.acks
        var answers: [KafkaProduceResponse.Topic] = request.topics.map { .init(name: $0.name, partitions: []) }
        // Where each partition's answer goes, and the batches appended for it.
        var slots: [(topic: Int, partition: Int32, batches: Range<Int>)] = []
        var batches: [ProduceBatch] = []
        let decoder = KafkaRecordBatchDecoder(maxBatchBytes: settings.maxFrameBytes)
        for (topicIndex, topic) in request.topics.enumerated() {
            for partition in topic.partitions {
                let refused: KafkaErrorCode?
                if request.transactionalId != nil {
                    refused = .transactionalIdAuthorizationFailed
                } else if ![0, 1, -1].contains(acks) {
                    refused = .invalidRequiredAcks
                } else if refuses(peer, .produce, topic: topic.name) {
                    refused = .topicAuthorizationFailed
                } else {
                    refused = nil
                }
                if let refused {
                    answers[topicIndex].partitions.append(
                        .init(index: partition.index, errorCode: refused, baseOffset: -1, logStartOffset: -1))
                    continue
                }
                do throws(KafkaRecordError) {
                    let decoded = try decoder.decodePayload(partition.records ?? ByteBuffer())
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

    /// Reads each partition into a RecordBatch v2 as storage hands the rows over: no `Record` is built.
    private func fetch(_ request: KafkaFetchRequest, completion: @escaping @Sendable (KafkaFetchResponse) -> Void) {
        var targets: [FetchTarget] = []
        for topic in request.topics {
            for partition in topic.partitions {
                targets.append(
                    FetchTarget(
                        topic: topic.name, partition: partition.partition,
                        offset: partition.fetchOffset,
                        maxBytes: max(1, Int(partition.partitionMaxBytes))))
            }
        }
        let spec = FetchSpec(
            targets: targets, maxWaitMs: max(0, Int(request.maxWaitMs)),
            minBytes: max(0, Int(request.minBytes)), maxBytes: max(1, Int(request.maxBytes)))
        broker.fetch(spec, into: KafkaRecordBatchWriter.self) { fetched in
            // Every requested partition is answered, in request order, empty ones included: kafka-python drops a
            // whole sessionless response that does not hold exactly the partitions it asked for.
            var topics: [KafkaFetchResponse.Topic] = []
            for result in fetched {
                let partition = KafkaFetchResponse.Partition(
                    partitionIndex: result.partition, errorCode: result.error.map(KafkaErrorCode.init) ?? .none,
                    highWatermark: result.highWatermark, lastStableOffset: result.highWatermark,
                    logStartOffset: result.logStartOffset, records: result.records.bytes)
                topics.append(partition, topic: result.topic)
            }
            completion(KafkaFetchResponse(topics: topics))
        }
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
