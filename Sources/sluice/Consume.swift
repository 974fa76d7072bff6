import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print messages of a topic, one per line.",
        discussion: """
            Starts at the end (new messages only) unless told otherwise; with --group, where the group's committed \
            offsets are (at the end of partitions the group has committed nothing on, or at the start with \
            --from-beginning). Runs until interrupted, --max-messages are printed, or --timeout-ms pass with no \
            new message.

            --format placeholders: %t topic, %p partition, %o offset, %k key, %v value, %T timestamp (ms), \
            %h headers (name=value,...), %% percent; escapes \\n \\t \\r \\\\. Each message ends with a newline \
            unless the format ends with one.

            With --group and no --partition the consumer joins the group: the server shares the topic's \
            partitions among its members and moves them as members come and go.

            With --exec, COMMAND runs once per message (through /bin/sh -c) with the value on its standard input \
            and SLUICE_TOPIC, SLUICE_PARTITION, SLUICE_OFFSET, SLUICE_KEY and SLUICE_TIMESTAMP in its environment. \
            A non-zero exit is a failure: the message is retried --retries times with back-off, then written to \
            the dead-letter topic (created with one partition if missing) with headers sluice.dlq.topic, \
            sluice.dlq.partition, sluice.dlq.offset, sluice.dlq.attempts and sluice.dlq.error, and consumption \
            moves on.

            With --share-group the consumer is a member of a share group (a queue): every member may read every \
            partition, and the server hands each message to one member at a time, under a lock. Each message is \
            accepted once printed. With --exec as well, one message is taken at a time and its command gets \
            SLUICE_DELIVERY_COUNT (1 on the first delivery) besides the variables above; exit 0 accepts the \
            message, another status releases it for redelivery after a back-off (--backoff-ms doubled per \
            delivery, at most --max-backoff-ms), and the server archives it once it reaches the group's \
            share.delivery.count.limit (copying it to the group's errors.deadletterqueue.topic.name, if set; see \
            'sluice groups alter'). Each message's acknowledgement is sent as soon as its command ends, before \
            the next one starts. The group's share.auto.offset.reset decides where a new group starts.
            """)

    @OptionGroup var location: Location

    @Argument(help: "The topic.")
    var topic: String

    @Option(help: ArgumentHelp("Read only this partition (default: all).", valueName: "p"))
    var partition: Int32?

    @Flag(help: "Start at the first message still stored.")
    var fromBeginning = false

    @Option(help: ArgumentHelp("Start at this offset (in every partition read).", valueName: "n"))
    var offset: Int64?

    @Option(
        help: ArgumentHelp(
            "Start at the first message at or after this time, e.g. 2026-11-25T10:00:00Z.",
            valueName: "iso8601"))
    var fromTime: String?

    @Option(help: ArgumentHelp("Exit after printing this many messages.", valueName: "n"))
    var maxMessages: Int?

    @Option(help: ArgumentHelp("Exit when no new message arrived for this long.", valueName: "ms"))
    var timeoutMs: Int?

    @Option(help: ArgumentHelp("How to print each message.", valueName: "fmt"))
    var format: String = "%v"

    @Option(
        help: ArgumentHelp(
            "Consume as a member of this group: resume from its committed offsets; commit every second and on exit.",
            valueName: "group"))
    var group: String?

    @Option(help: ArgumentHelp("Run this shell command once per message instead of printing it.", valueName: "command"))
    var exec: String?

    @Option(help: ArgumentHelp("With --exec: retries of a failing message before it is dead-lettered.", valueName: "n"))
    var retries: Int = 3

    @Option(help: ArgumentHelp("With --exec: where failing messages go (default: TOPIC.dlq).", valueName: "topic"))
    var deadLetterTopic: String?

    @Option(help: ArgumentHelp("With --group: the session timeout the server applies to this member.", valueName: "ms"))
    var sessionTimeoutMs: Int32 = 10_000

    @Option(
        help: ArgumentHelp(
            "Consume as a member of this share group: messages are shared among its members and acknowledged one by one.",
            valueName: "group"))
    var shareGroup: String?

    @Option(
        help: ArgumentHelp(
            "With --share-group --exec: how long a failed message waits before its second delivery; doubled for each "
                + "delivery after.", valueName: "ms"))
    var backoffMs: Int32 = 1_000

    @Option(help: ArgumentHelp("With --share-group --exec: the longest back-off.", valueName: "ms"))
    var maxBackoffMs: Int32 = 60_000

    /// Whether this consumer joins its group (rather than reading chosen partitions and committing for it).
    private var joinsGroup: Bool { group != nil && partition == nil }

    func validate() throws {
        let starts = (fromBeginning ? 1 : 0) + (offset == nil ? 0 : 1) + (fromTime == nil ? 0 : 1)
        if starts > 1 { throw ValidationError("give at most one of --from-beginning, --offset and --from-time") }
        if let offset, offset < 0 { throw ValidationError("--offset cannot be negative") }
        if let fromTime, ISO8601.milliseconds(fromTime) == nil {
            throw ValidationError(
                "--from-time must be an ISO 8601 time such as 2026-11-25T10:00:00Z, not '\(fromTime)'")
        }
        if let partition, partition < 0 { throw ValidationError("--partition cannot be negative") }
        if let maxMessages, maxMessages < 1 { throw ValidationError("--max-messages must be at least 1") }
        if let timeoutMs, timeoutMs < 0 { throw ValidationError("--timeout-ms cannot be negative") }
        if group == "" { throw ValidationError("--group cannot be empty") }
        if group != nil && partition == nil && (offset != nil || fromTime != nil) {
            throw ValidationError(
                "a group member starts at the group's committed offsets: move them with 'sluice groups reset-offsets', "
                    + "or read one --partition")
        }
        if retries < 0 { throw ValidationError("--retries cannot be negative") }
        if exec == nil && (deadLetterTopic != nil) { throw ValidationError("--dead-letter-topic goes with --exec") }
        if let deadLetterTopic, !TopicName.isValid(deadLetterTopic) {
            throw ValidationError("--dead-letter-topic '\(deadLetterTopic)' is not a valid topic name")
        }
        if let shareGroup {
            if shareGroup.isEmpty { throw ValidationError("--share-group cannot be empty") }
            if group != nil { throw ValidationError("give --group or --share-group, not both") }
            if partition != nil || starts > 0 {
                throw ValidationError(
                    "a share group reads every partition from its own start offsets: set share.auto.offset.reset with "
                        + "'sluice groups alter', or move them with 'sluice groups reset-offsets'")
            }
            if deadLetterTopic != nil || retries != 3 {
                throw ValidationError(
                    "a share group's server retries and dead-letters: set share.delivery.count.limit and "
                        + "errors.deadletterqueue.topic.name with 'sluice groups alter'")
            }
        }
        if backoffMs < 0 || maxBackoffMs < 0 { throw ValidationError("back-offs cannot be negative") }
        if backoffMs > 86_400_000 || maxBackoffMs > 86_400_000 {
            throw ValidationError("back-offs are at most 86400000 ms (a day)")
        }
        do { _ = try MessageFormat(format) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        let format: MessageFormat
        do { format = try MessageFormat(self.format) } catch { throw ValidationError(error.message) }
        let stop = StopSignal()
        if let shareGroup {
            try await reportingErrors("consume") { () async throws(SluiceError) in
                try await consumeShared(group: shareGroup, format: format, stop: stop)
            }
            return
        }
        try await reportingErrors("consume") { () async throws(SluiceError) in
            let consumer = try await prepareConsumer()
            // A stop ends the poll under way, so that a group member leaves (and its partitions move) at once.
            stop.onSignal { Task { await consumer.wakePoll() } }
            do throws(SluiceError) {
                let processor = try await prepareProcessor()
                try await consume(consumer, format: format, processor: processor, stop: stop)
                if group != nil { try await commit(consumer) }
                await consumer.close()
            } catch {
                if group != nil { try? await consumer.commit() }
                await consumer.close()
                throw error
            }
        }
    }

    /// Connects a consumer, assigns the partitions asked for and moves them to the start asked for.
    private func prepareConsumer() async throws(SluiceError) -> Consumer {
        try await withClient(location) { client throws(SluiceError) in
            guard let metadata = try await client.metadata([topic]).first else {
                throw SluiceError.unknownTopic(topic)
            }
            if let error = metadata.error { throw error }
            var partitions = metadata.partitions
            if let partition {
                partitions = partitions.filter { $0.partition == partition }
                guard !partitions.isEmpty else {
                    throw SluiceError.unknownPartition(topic, partition, count: Int32(metadata.partitions.count))
                }
            }
            let explicitStart = fromBeginning || offset != nil || fromTime != nil
            var configuration = ConsumerConfiguration(
                group: group, autoOffsetReset: explicitStart ? .earliest : .latest)
            configuration.sessionTimeoutMs = sessionTimeoutMs
            configuration.clientID = "sluice-consume"
            // The loop below commits every second; the consumer itself commits on revocation.
            configuration.autoCommitIntervalMs = nil
            let consumer = try await client.makeConsumer(configuration)
            if joinsGroup {
                try await consumer.subscribe([topic])
                return consumer
            }
            let assigned = partitions.map { TopicPartition(topic: topic, partition: $0.partition) }
            await consumer.assign(assigned)
            for (tp, bounds) in zip(assigned, partitions) {
                if fromBeginning {
                    try await consumer.seek(tp, to: .beginning)
                } else if let offset {
                    // Clamped to what is stored, rather than reset by the policy.
                    try await consumer.seek(tp, to: .offset(min(max(offset, bounds.logStartOffset), bounds.nextOffset)))
                } else if let fromTime, let millis = ISO8601.milliseconds(fromTime) {
                    try await consumer.seek(tp, to: .timestamp(millis))
                }
            }
            return consumer
        }
    }

    /// With --exec: the retrying runner, its dead-letter topic created when missing.
    private func prepareProcessor() async throws(SluiceError) -> RetryingProcessor? {
        guard exec != nil else { return nil }
        let producer = try await Producer.connect(socketPath: location.socketPath())
        let processor = RetryingProcessor(
            producer: producer, maxAttempts: retries + 1, deadLetterTopic: deadLetterTopic)
        let dlq = processor.deadLetterTopic(for: topic)
        try await withClient(location) { client throws(SluiceError) in
            do throws(SluiceError) {
                try await client.createTopic(dlq, partitions: 1)
            } catch {
                if error.code != .topicAlreadyExists { throw error }
            }
        }
        return processor
    }

    /// Runs --exec's command for one record; a non-zero exit status is a failure.
    private func execute(_ record: ConsumedRecord) throws {
        let status = run(record, extra: [:])
        if status != 0 { throw SluiceError(.unknown, "command exited with status \(status)") }
    }

    /// Runs --exec's command for one record, with `extra` in its environment too; returns its exit status.
    func run(_ record: ConsumedRecord, extra: [String: String]) -> Int32 {
        var environment = [
            "SLUICE_TOPIC": record.topic,
            "SLUICE_PARTITION": String(record.partition),
            "SLUICE_OFFSET": String(record.offset),
            "SLUICE_KEY": record.record.key.map { String(decoding: $0, as: UTF8.self) } ?? "",
            "SLUICE_TIMESTAMP": String(record.record.timestamp),
        ]
        environment.merge(extra) { _, new in new }
        return ChildProcess.run(exec ?? "", input: record.record.value ?? [], environment: environment)
    }

    /// Commits, riding out a rebalance: a refused commit is retried after the next poll applies the new assignment.
    private func commit(_ consumer: Consumer) async throws(SluiceError) {
        do throws(SluiceError) {
            try await consumer.commit()
        } catch {
            if ![.staleGeneration, .unknownMember, .rebalanceInProgress].contains(error.code) { throw error }
        }
    }

    /// Polls and prints (or runs --exec) until a stop condition; with a group, commits every second.
    private func consume(_ consumer: Consumer, format: MessageFormat, processor: RetryingProcessor?, stop: StopSignal)
        async throws(SluiceError)
    {
        let clock = ContinuousClock()
        var lastMessage = clock.now
        var lastCommit = clock.now
        var printed = 0
        var uncommitted = false
        while !stop.isSet {
            var wait = 500
            if let timeoutMs {
                let left = timeoutMs - Int((clock.now - lastMessage) / .milliseconds(1))
                if left <= 0 { return }
                wait = min(wait, left)
            }
            var records = try await consumer.poll(maxWaitMs: wait)
            if !records.isEmpty {
                lastMessage = clock.now
                uncommitted = true
                if let maxMessages, printed + records.count > maxMessages {
                    try await rewind(consumer, past: records[(maxMessages - printed)...])
                    records.removeLast(printed + records.count - maxMessages)
                }
                if let processor {
                    for record in records {
                        let outcome = try await processor.process(record) { try execute($0) }
                        if case .deadLettered(let attempts, let dlq, _, _) = outcome {
                            Output.error(
                                "sluice consume: \(record.topic)[\(record.partition)]@\(record.offset) failed "
                                    + "\(attempts) times; sent to \(dlq)")
                        }
                    }
                    printed += records.count
                    if let maxMessages, printed >= maxMessages { return }
                    continue
                }
                var out: [UInt8] = []
                for record in records { format.write(record, to: &out) }
                do throws(RawOutput.Failure) {
                    try RawOutput.write(out)
                } catch {
                    // This poll's records count as unprinted.
                    try await rewind(consumer, past: records[...])
                    switch error {
                    case .closed: return  // The reader went away (e.g. `| head`): stop as if interrupted.
                    case .failed(let reason): throw SluiceError(.unknown, "cannot write to standard output: \(reason)")
                    }
                }
                printed += records.count
                if let maxMessages, printed >= maxMessages { return }
            }
            if group != nil, uncommitted, clock.now - lastCommit >= .seconds(1) {
                try await commit(consumer)
                lastCommit = clock.now
                uncommitted = false
            }
        }
    }

    /// Moves positions back to the first record not printed in each partition, so a commit covers only what was.
    private func rewind(_ consumer: Consumer, past dropped: ArraySlice<ConsumedRecord>) async throws(SluiceError) {
        var first: [TopicPartition: Int64] = [:]
        for record in dropped where first[record.topicPartition] == nil {
            first[record.topicPartition] = record.offset
        }
        for (tp, offset) in first { try await consumer.seek(tp, to: .offset(offset)) }
    }
}
