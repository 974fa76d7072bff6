import NIOCore
import SluiceBroker
import SluiceCore
import SluiceKafka

/// ShareFetch and ShareAcknowledge (KIP-932) onto `Broker.shareFetch` and `Broker.shareAcknowledge`.
///
/// Each request first passes its member's share session (`KafkaShareSessions`): a wrong epoch or a missing session
/// is answered at the top level and changes nothing. A topic id the broker does not know is answered
/// UNKNOWN_TOPIC_ID, a topic the peer may not consume TOPIC_AUTHORIZATION_FAILED, in their own entries; neither
/// joins the session. Acknowledgements that cannot be read (a range backwards, a type per offset that does not
/// match the range, a type unknown at v1) are refused for their partition, INVALID_REQUEST, and not applied; those
/// the broker refuses (records not acquired by this member, offsets outside what was delivered) are
/// INVALID_RECORD_STATE.
extension KafkaDispatcher {
    /// One partition a share request names, resolved.
    struct SharePartitionEntry {
        var topicID: TopicID
        var partition: Int32
        /// `nil` when the id names no topic.
        var topic: String?
        var batches: [KafkaAcknowledgementBatch]
        /// Why the partition is answered without reaching the broker.
        var refused: KafkaErrorCode = .none
        var refusedMessage: String? = nil
        /// Why its acknowledgements are not applied.
        var acknowledgeRefused: KafkaErrorCode = .none
        var acknowledgeRefusedMessage: String? = nil
        var acknowledgements: [ShareAcknowledgement] = []

        var topicPartition: TopicPartition? { topic.map { TopicPartition(topic: $0, partition: partition) } }
    }

    /// The request's partitions in order, a partition named twice merged into its first entry.
    func resolveShare(_ topics: [KafkaTopicByID<KafkaShareFetchRequest.Partition>], access: KafkaRequestAccess)
        -> [SharePartitionEntry]
    {
        var entries: [SharePartitionEntry] = []
        var index: [TopicIDPartition: Int] = [:]
        var names: [TopicID: String?] = [:]
        for topic in topics {
            let name: String?
            if let known = names[topic.topicId] {
                name = known
            } else {
                name = broker.topicName(id: topic.topicId)
                names[topic.topicId] = name
            }
            let permitted = name.map { access.permits(.consume, topic: $0) } ?? true
            for partition in topic.partitions {
                let key = TopicIDPartition(id: topic.topicId, partition: partition.partitionIndex)
                if let at = index[key] {
                    entries[at].batches += partition.acknowledgementBatches
                    continue
                }
                var entry = SharePartitionEntry(
                    topicID: topic.topicId, partition: partition.partitionIndex, topic: name,
                    batches: partition.acknowledgementBatches)
                if name == nil {
                    entry.refused = .unknownTopicId
                    entry.refusedMessage = "no topic has id \(topic.topicId)"
                } else if !permitted {
                    entry.refused = .topicAuthorizationFailed
                    entry.refusedMessage = "not authorized to consume topic '\(name ?? "")'"
                }
                index[key] = entries.count
                entries.append(entry)
            }
        }
        for at in entries.indices where entries[at].refused == .none && !entries[at].batches.isEmpty {
            switch Self.acknowledgements(
                entries[at].batches, topic: entries[at].topic ?? "", partition: entries[at].partition)
            {
            case .success(let acknowledgements): entries[at].acknowledgements = acknowledgements
            case .failure(let refusal):
                entries[at].acknowledgeRefused = .invalidRequest
                entries[at].acknowledgeRefusedMessage = refusal.message
            }
        }
        return entries
    }

    struct TopicIDPartition: Hashable {
        var id: TopicID
        var partition: Int32
    }

    struct AcknowledgementRefusal: Error {
        var message: String
    }

    /// Kafka's acknowledgement batches as the broker's acknowledgements: one per run of offsets with one type
    /// (gaps left out: nothing to do for an offset with no record).
    static func acknowledgements(_ batches: [KafkaAcknowledgementBatch], topic: String, partition: Int32)
        -> Result<[ShareAcknowledgement], AcknowledgementRefusal>
    {
        var result: [ShareAcknowledgement] = []
        for batch in batches {
            guard batch.firstOffset >= 0, batch.firstOffset <= batch.lastOffset else {
                return .failure(.init(message: "acknowledgement of offsets \(batch.firstOffset)...\(batch.lastOffset)"))
            }
            let span = batch.lastOffset - batch.firstOffset + 1
            guard batch.acknowledgeTypes.count == 1 || Int64(batch.acknowledgeTypes.count) == span else {
                return .failure(
                    .init(
                        message: "\(batch.acknowledgeTypes.count) acknowledge types for \(span) offsets from "
                            + "\(batch.firstOffset)"))
            }
            var types: [ShareAcknowledgeType] = []
            for raw in batch.acknowledgeTypes {
                // Renew (4) arrived with v2 of the APIs, which is not advertised.
                guard let type = ShareAcknowledgeType(rawValue: raw), type != .renew else {
                    return .failure(.init(message: "acknowledge type \(raw) is not known at version 1"))
                }
                types.append(type)
            }
            func add(_ first: Int64, _ last: Int64, _ type: ShareAcknowledgeType) {
                guard type != .gap else { return }
                if let previous = result.last, previous.type == type, previous.lastOffset + 1 == first {
                    result[result.count - 1].lastOffset = last
                } else {
                    result.append(
                        ShareAcknowledgement(
                            topic: topic, partition: partition, firstOffset: first, lastOffset: last, type: type))
                }
            }
            if types.count == 1 {
                add(batch.firstOffset, batch.lastOffset, types[0])
            } else {
                for (step, type) in types.enumerated() {
                    let offset = batch.firstOffset + Int64(step)
                    add(offset, offset, type)
                }
            }
        }
        return .success(result)
    }

    /// The Kafka error for one partition's acknowledgements the broker refused.
    static func acknowledgeError(_ error: SluiceError?) -> KafkaErrorCode {
        guard let error else { return .none }
        switch error.code {
        case .invalidArgument, .unknownMember, .staleGeneration: return .invalidRecordState
        default: return KafkaErrorCode(error)
        }
    }

    // MARK: - ShareFetch

    func shareFetch(
        _ request: KafkaShareFetchRequest, access: KafkaRequestAccess,
        completion: @escaping @Sendable (KafkaShareFetchResponse) -> Void
    ) {
        guard let group = request.groupId, !group.isEmpty, let member = request.memberId, !member.isEmpty else {
            return completion(
                KafkaShareFetchResponse(
                    errorCode: .invalidRequest, errorMessage: "a share fetch names its group and member"))
        }
        let entries = resolveShare(request.topics, access: access)
        var forgotten: [TopicPartition] = []
        for topic in request.forgottenTopicsData {
            guard let name = broker.topicName(id: topic.topicId) else { continue }
            forgotten += topic.partitions.map { TopicPartition(topic: name, partition: $0) }
        }
        let added = entries.filter { $0.refused == .none }.compactMap(\.topicPartition)
        let key = ShareSessionTable.Key(group: group, member: member)
        let outcome = shareSessions.fetch(
            key, epoch: request.shareSessionEpoch, added: added, forgotten: forgotten)
        guard case .proceed(let sessionPartitions, let closed) = outcome else {
            if case .refused(let code) = outcome {
                completion(
                    KafkaShareFetchResponse(
                        errorCode: code, errorMessage: Self.sessionMessage(code, request.shareSessionEpoch)))
            }
            return
        }
        let acknowledgements = entries.flatMap(\.acknowledgements)
        let named = Set(entries.compactMap(\.topicPartition))
        if closed {
            // Epoch -1 closes the session: acknowledgements only, nothing acquired.
            acknowledge(group: group, member: member, acknowledgements) { results in
                completion(self.shareFetchResponse(entries: entries, acknowledged: results, fetched: nil, named: named))
            }
            return
        }
        let partitions = sessionPartitions.filter { partition in
            access.mayConsume(topic: partition.topic)
        }
        let maxRecords = max(0, Int(request.maxRecords))
        let fetch = ShareFetchRequest(
            group: group, memberID: member, partitions: maxRecords > 0 ? partitions : [], maxRecords: maxRecords,
            maxBytes: max(1, min(Int(request.maxBytes), settings.maxResponseBytes / 5 * 3)),
            maxWaitMs: maxRecords > 0 ? max(0, Int(request.maxWaitMs)) : 0, acknowledgements: acknowledgements)
        broker.shareFetch(fetch) { result in
            switch result {
            case .failure(let error):
                completion(
                    KafkaShareFetchResponse(errorCode: Self.shareGroupError(error), errorMessage: error.message))
            case .success(let fetched):
                completion(self.shareFetchResponse(entries: entries, acknowledged: nil, fetched: fetched, named: named))
            }
        }
    }

    static func sessionMessage(_ code: KafkaErrorCode, _ epoch: Int32) -> String {
        switch code {
        case .shareSessionNotFound: "no share session for this member (epoch \(epoch)); open one with epoch 0"
        case .invalidShareSessionEpoch: "share session epoch \(epoch) is not the one expected"
        case .shareSessionLimitReached: "the server holds as many share sessions as it may"
        default: "share session refused"
        }
    }

    /// Applies acknowledgements alone; the results are per partition (empty when there were none).
    private func acknowledge(
        group: String, member: String, _ acknowledgements: [ShareAcknowledgement],
        completion: @escaping @Sendable (Result<[ShareAcknowledgeResult], SluiceError>) -> Void
    ) {
        guard !acknowledgements.isEmpty else { return completion(.success([])) }
        broker.shareAcknowledge(
            group: group, memberID: member, acknowledgements: acknowledgements, completion: completion)
    }

    /// The response: every partition the request named, in its order, then every other partition of the session
    /// that has records or an error.
    private func shareFetchResponse(
        entries: [SharePartitionEntry], acknowledged: Result<[ShareAcknowledgeResult], SluiceError>?,
        fetched: ShareFetchResponse?, named: Set<TopicPartition>
    ) -> KafkaShareFetchResponse {
        var byPartition: [TopicPartition: ShareFetchedPartition] = [:]
        for partition in fetched?.partitions ?? [] { byPartition[partition.topicPartition] = partition }
        var acknowledgeErrors: [TopicPartition: SluiceError] = [:]
        var wholeFailure: SluiceError? = nil
        switch acknowledged {
        case .success(let results)?:
            for result in results {
                acknowledgeErrors[TopicPartition(topic: result.topic, partition: result.partition)] = result.error
            }
        case .failure(let error)?: wholeFailure = error
        case nil: break
        }
        var topics: [KafkaShareFetchResponse.Topic] = []
        for entry in entries {
            var answer = KafkaShareFetchResponse.Partition(
                partitionIndex: entry.partition, errorCode: entry.refused, errorMessage: entry.refusedMessage,
                acknowledgeErrorCode: entry.acknowledgeRefused, acknowledgeErrorMessage: entry.acknowledgeRefusedMessage
            )
            if let topicPartition = entry.topicPartition, entry.refused == .none {
                if let fetched = byPartition.removeValue(forKey: topicPartition) {
                    fill(&answer, from: fetched)
                }
                if entry.acknowledgeRefused == .none, !entry.acknowledgements.isEmpty {
                    let error = wholeFailure ?? acknowledgeErrors[topicPartition]
                    if let error, answer.acknowledgeErrorCode == .none {
                        answer.acknowledgeErrorCode = Self.acknowledgeError(error)
                        answer.acknowledgeErrorMessage = error.message
                    }
                }
            }
            topics.append(answer, topicId: entry.topicID)
        }
        let rest = (fetched?.partitions ?? []).filter { partition in
            byPartition[partition.topicPartition] != nil && !named.contains(partition.topicPartition)
                && (!partition.records.isEmpty || partition.error != nil || partition.acknowledgeError != nil)
        }
        let ids = broker.topicIDs(named: rest.map(\.topic))
        for partition in rest {
            guard let id = ids[partition.topic] else { continue }
            var answer = KafkaShareFetchResponse.Partition(partitionIndex: partition.partition)
            fill(&answer, from: partition)
            topics.append(answer, topicId: id)
        }
        return KafkaShareFetchResponse(
            acquisitionLockTimeoutMs: Int32(clamping: fetched?.lockDurationMs ?? 30_000), responses: topics)
    }

    private func fill(_ answer: inout KafkaShareFetchResponse.Partition, from fetched: ShareFetchedPartition) {
        if let error = fetched.error {
            answer.errorCode = KafkaErrorCode(error)
            answer.errorMessage = error.message
        }
        if let error = fetched.acknowledgeError, answer.acknowledgeErrorCode == .none {
            answer.acknowledgeErrorCode = Self.acknowledgeError(error)
            answer.acknowledgeErrorMessage = error.message
        }
        answer.acquiredRecords = fetched.acquired.map {
            .init(firstOffset: $0.firstOffset, lastOffset: $0.lastOffset, deliveryCount: $0.deliveryCount)
        }
        answer.records = Self.recordBatch(fetched.records)
    }

    /// Records as one RecordBatch v2 (more when offsets are more than Int32.max apart), gaps kept.
    static func recordBatch(_ records: [Record]) -> ByteBuffer {
        let bytes = records.reduce(0) { $0 + $1.sizeInBytes }
        var writer = KafkaRecordBatchWriter(expectedBytes: bytes)
        for record in records {
            withOptionalBytes(record.key) { key in
                withOptionalBytes(record.value) { value in
                    writer.append(
                        offset: record.offset, timestamp: record.timestamp, key: key, value: value,
                        headers: record.headers)
                }
            }
        }
        writer.finish()
        return writer.bytes
    }

    private static func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }

    // MARK: - ShareAcknowledge

    func shareAcknowledge(
        _ request: KafkaShareAcknowledgeRequest, access: KafkaRequestAccess,
        completion: @escaping @Sendable (KafkaShareAcknowledgeResponse) -> Void
    ) {
        guard let group = request.groupId, !group.isEmpty, let member = request.memberId, !member.isEmpty else {
            return completion(
                KafkaShareAcknowledgeResponse(
                    errorCode: .invalidRequest, errorMessage: "a share acknowledge names its group and member"))
        }
        let key = ShareSessionTable.Key(group: group, member: member)
        let outcome = shareSessions.acknowledge(key, epoch: request.shareSessionEpoch)
        if case .refused(let code) = outcome {
            return completion(
                KafkaShareAcknowledgeResponse(
                    errorCode: code, errorMessage: Self.sessionMessage(code, request.shareSessionEpoch)))
        }
        let entries = resolveShare(request.topics, access: access)
        acknowledge(group: group, member: member, entries.flatMap(\.acknowledgements)) { result in
            var errors: [TopicPartition: SluiceError] = [:]
            var whole: SluiceError? = nil
            switch result {
            case .success(let results):
                for result in results {
                    errors[TopicPartition(topic: result.topic, partition: result.partition)] = result.error
                }
            case .failure(let error):
                whole = error
            }
            var topics: [KafkaShareAcknowledgeResponse.Topic] = []
            for entry in entries {
                var answer = KafkaShareAcknowledgeResponse.Partition(
                    partitionIndex: entry.partition, errorCode: entry.refused, errorMessage: entry.refusedMessage)
                if entry.refused == .none {
                    if entry.acknowledgeRefused != .none {
                        answer.errorCode = entry.acknowledgeRefused
                        answer.errorMessage = entry.acknowledgeRefusedMessage
                    } else if let topicPartition = entry.topicPartition, !entry.acknowledgements.isEmpty,
                        let error = whole ?? errors[topicPartition]
                    {
                        answer.errorCode = Self.acknowledgeError(error)
                        answer.errorMessage = error.message
                    }
                }
                topics.append(answer, topicId: entry.topicID)
            }
            completion(KafkaShareAcknowledgeResponse(responses: topics))
        }
    }
}
