import CRdKafka
import SluiceCore
import Synchronization

/// An idempotent librdkafka producer: produces records to explicit partitions and reports each delivery to a
/// `DeliveryLedger`.
///
/// `@unchecked Sendable` because it holds the `rd_kafka_t` pointer, which Swift cannot check: librdkafka documents
/// its producer handle as thread-safe (`rd_kafka_producev`, `rd_kafka_poll`, `rd_kafka_flush` and
/// `rd_kafka_metadata` may be called from any thread at the same time), the pointer itself never changes after
/// `init`, and it is destroyed only in `close()`, after the poll thread has stopped (callers must not produce
/// after `close()`; a precondition checks). Everything else it holds is `Sendable`.
package final class KafkaProducer: @unchecked Sendable {
    private let handle: OpaquePointer
    let ledger: DeliveryLedger
    private let polling = Mutex(true)
    private let closed = Mutex(false)
    private var pollThread: Task<Void, Never>?

    /// Creates the producer from `settings` (applied in order, so later ones win) and starts its poll thread.
    ///
    /// Throws `.usage` naming the setting librdkafka refused (unknown key, invalid value), `.runtime` if the
    /// handle cannot be created.
    init(settings: [KafkaSetting], ledger: DeliveryLedger) throws(MirrorError) {
        let conf = try Self.configuration(settings)
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReport)
        rd_kafka_conf_set_error_cb(conf, errorReport)
        // Borrowed: the producer keeps the ledger alive for as long as the handle exists.
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(ledger).toOpaque())
        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .runtime("cannot create the Kafka producer: \(errorText(errstr))")
        }
        // rd_kafka_new owns `conf` from here.
        self.handle = handle
        self.ledger = ledger
        pollThread = Task { [self] in
            await BlockingThread.run {
                // Serves delivery reports and error callbacks; returns every 100 ms to look at the flag.
                while self.polling.withLock({ $0 }) { rd_kafka_poll(self.handle, 100) }
            }
        }
    }

    /// Checks `settings` with librdkafka without connecting anywhere; throws what `init` would.
    static func validate(_ settings: [KafkaSetting]) throws(MirrorError) {
        rd_kafka_conf_destroy(try configuration(settings))
    }

    private static func configuration(_ settings: [KafkaSetting]) throws(MirrorError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for setting in settings
        where rd_kafka_conf_set(conf, setting.key, setting.value, &errstr, errstr.count)
            != RD_KAFKA_CONF_OK
        {
            rd_kafka_conf_destroy(conf)
            throw .usage("librdkafka setting \(setting.key)=\(setting.printableValue): \(errorText(errstr))")
        }
        return conf
    }

    /// What `produce` did with a record.
    enum Outcome: Equatable {
        /// Queued; its delivery will be reported to the ledger.
        case queued
        /// librdkafka's queue is full: poll is draining it, produce the same record again shortly.
        case queueFull
    }

    /// Queues `record` for `topic`'s `partition` with its key, value (nil is a tombstone), headers and timestamp;
    /// the delivery report of `source`'s `offset` goes to the ledger. Throws `.runtime` on any other refusal.
    func produce(_ record: Record, topic: String, partition: Int32, source: TopicPartition)
        throws(MirrorError) -> Outcome
    {
        precondition(!closed.withLock { $0 }, "produce after close()")
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                withNullableBytes(header.value) { value, count in
                    _ = rd_kafka_header_add(headers, header.name, header.name.utf8.count, value, count)
                }
            }
        }
        let ticket = Unmanaged.passRetained(DeliveryTicket(source: source, offset: record.offset, ledger: ledger))
        let error = withNullableBytes(record.key) { key, keyCount in
            withNullableBytes(record.value) { value, valueCount in
                sluice_rd_kafka_produce(
                    handle, topic, partition, key, keyCount, value, valueCount, headers,
                    record.timestamp, ticket.toOpaque())
            }
        }
        if error == RD_KAFKA_RESP_ERR_NO_ERROR { return .queued }
        ticket.release()
        if let headers { rd_kafka_headers_destroy(headers) }
        if error == RD_KAFKA_RESP_ERR__QUEUE_FULL { return .queueFull }
        throw .runtime("cannot produce to \(topic)[\(partition)]: \(String(cString: rd_kafka_err2str(error)))")
    }

    /// The partition count of every topic the cluster has, from a metadata request (up to `timeoutMs`).
    func partitionCounts(timeoutMs: Int32 = 10_000) async throws(MirrorError) -> [String: Int32] {
        let result: Result<[String: Int32], MirrorError> = await BlockingThread.run {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(self.handle, 1, nil, &metadata, timeoutMs)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                return .failure(
                    .runtime(
                        "cannot read the cluster's metadata: \(String(cString: rd_kafka_err2str(error)))"))
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var counts: [String: Int32] = [:]
            for index in 0..<Int(metadata.pointee.topic_cnt) {
                let topic = metadata.pointee.topics[index]
                guard topic.err == RD_KAFKA_RESP_ERR_NO_ERROR, let name = topic.topic else { continue }
                counts[String(cString: name)] = Int32(topic.partition_cnt)
            }
            return .success(counts)
        }
        return try result.get()
    }

    /// Creates `topics` (name and partition count) in the cluster with its default replication; a topic that
    /// already exists is not an error. Throws `.runtime` with the cluster's reason otherwise.
    func createTopics(_ topics: [(name: String, partitions: Int32)], timeoutMs: Int32 = 30_000)
        async throws(MirrorError)
    {
        guard !topics.isEmpty else { return }
        let wanted = topics.map { ($0.name, $0.partitions) }
        let failure: String? = await BlockingThread.run { [self] in
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
            for (name, partitions) in wanted {
                guard let topic = rd_kafka_NewTopic_new(name, partitions, -1, &errstr, errstr.count) else {
                    return "\(name): \(errorText(errstr))"
                }
                newTopics.append(topic)
            }
            let queue = rd_kafka_queue_new(self.handle)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(self.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errstr, errstr.count)
            let handle = self.handle
            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
            }
            guard let event = rd_kafka_queue_poll(queue, timeoutMs + 5_000) else { return "no answer in time" }
            defer { rd_kafka_event_destroy(event) }
            if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
                return String(cString: rd_kafka_event_error_string(event))
            }
            guard let result = rd_kafka_event_CreateTopics_result(event) else { return "unexpected answer" }
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return nil }
            for index in 0..<count {
                let error = rd_kafka_topic_result_error(results[index])
                guard error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
                    continue
                }
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                let reason = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) }
                return "\(name): \(reason ?? String(cString: rd_kafka_err2str(error)))"
            }
            return nil
        }
        if let failure { throw .runtime("cannot create topics in the cluster: \(failure)") }
    }

    /// Stops the poll thread, waits up to `timeoutMs` for every queued record's delivery report, and destroys the
    /// handle. Returns false if records were still undelivered at the timeout (they were not acknowledged, so
    /// their offsets were not committed).
    func close(timeoutMs: Int32 = 30_000) async -> Bool {
        guard
            closed.withLock({
                let was = $0
                $0 = true
                return !was
            })
        else { return true }
        polling.withLock { $0 = false }
        await pollThread?.value
        return await BlockingThread.run { [self] in
            // rd_kafka_flush serves the delivery callbacks itself.
            let flushed = rd_kafka_flush(self.handle, timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR
            rd_kafka_destroy(self.handle)
            return flushed
        }
    }
}

/// The text librdkafka wrote into an error buffer.
private func errorText(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Calls `body` with a pointer and count for `bytes`: nil for nil, and a valid pointer with count 0 for an empty
/// array (librdkafka tells a null key or value from an empty one by the pointer).
private func withNullableBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    if bytes.isEmpty {
        var placeholder: UInt8 = 0
        return withUnsafeBytes(of: &placeholder) { body($0.baseAddress, 0) }
    }
    return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
}

/// librdkafka's delivery report callback (on the poll thread): hands the message's ticket to its ledger.
private let deliveryReport:
    @convention(c) (
        OpaquePointer?, UnsafePointer<rd_kafka_message_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let ticket = Unmanaged<DeliveryTicket>.fromOpaque(opaque).takeRetainedValue()
        let error = message.pointee.err
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            ticket.ledger.acknowledged(ticket.source, offset: ticket.offset)
        } else {
            ticket.ledger.failed(ticket.source, offset: ticket.offset, reason: String(cString: rd_kafka_err2str(error)))
        }
    }

/// librdkafka's error callback: a fatal error (e.g. the idempotent producer was fenced) stops the mirror; the
/// others are transient (brokers down, retries) and only logged.
private let errorReport:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?)
        -> Void = { handle, error, reason, opaque in
            let text = reason.map { String(cString: $0) } ?? "error \(error)"
            guard let opaque else { return }
            let ledger = Unmanaged<DeliveryLedger>.fromOpaque(opaque).takeUnretainedValue()
            if error == RD_KAFKA_RESP_ERR__FATAL.rawValue, let handle {
                var errstr = [CChar](repeating: 0, count: 512)
                _ = rd_kafka_fatal_error(handle, &errstr, errstr.count)
                ledger.setFatal("fatal producer error: \(errorText(errstr))")
            } else {
                MirrorLog.line("kafka: \(text)")
            }
        }
