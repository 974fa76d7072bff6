import CSQLite
import SluiceCore

/// The one writer of a topic database: appends records and hands out offsets.
///
/// Owned by one thread or serial queue. Offsets come from each partition's `partition_state` row, updated in the
/// same transaction as the records, and are cached here (this is the only writer) to keep appends cheap.
package final class TopicWriter {
    package let topic: String
    let connection: Connection
    var partitions: [Int32: PartitionCursor] = [:]
    /// Idempotent producers' state per partition, as committed (`nil`: no row), loaded on first use like the
    /// cursors; see `TopicWriter+Producers.swift`.
    var producers: [ProducerKey: ProducerState?] = [:]
    /// The durability commits of appended records get; maintenance transactions (retention, compaction) commit
    /// without an fsync of their own and become durable with the next append or checkpoint.
    private(set) var durability: Durability
    /// When the last append committed (a sweep lets appends go first while they keep coming).
    package private(set) var lastAppendEnded: ContinuousClock.Instant?
    /// The WAL's page count, kept by SQLite's WAL hook; see `TopicWriter+Checkpoint.swift`.
    let walHook = WALHook()

    /// Records between two entries of the sparse time index.
    static let timeIndexInterval: Int64 = 4096

    /// The size the WAL file is cut back to each time it restarts from the beginning, so that one large
    /// transaction (a vacuum, a burst of appends while a reader pinned the WAL) does not leave a large file behind.
    package static let journalSizeLimit: Int64 = 8 << 20

    /// The in-memory copy of one partition's `partition_state` row.
    struct PartitionCursor {
        var nextOffset: Int64
        var logStartOffset: Int64
        var maxTimestamp: Int64
        var sizeBytes: Int64
        var lastIndexedOffset: Int64
        /// Compaction has examined every record below this offset (see `compact(partition:maxRecords:)`).
        var compactedOffset: Int64
        let insertSQL: String
    }

    /// Opens the topic database at `path`, creating it (with `partitionCount` partitions) when `create` is set.
    package init(topic: String, path: String, durability: Durability, create: Bool = false, partitionCount: Int32 = 0)
        throws(SluiceError)
    {
        self.topic = topic
        self.durability = durability
        do {
            connection = try Connection(path: path, flags: create ? [.readWrite, .create] : [.readWrite])
            if create {
                // auto_vacuum must be chosen before the first table exists.
                try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
            }
        } catch {
            throw error.sluiceError
        }
        // SQLite takes an empty file for a new database; an existing topic's file that is empty was damaged (a crash
        // on some file systems, a stray `touch`), and migrating it would overwrite the evidence.
        if !create, (try? connection.scalarInt("PRAGMA page_count")) == 0 {
            throw SluiceError(.corruptDatabase, "topic database \(path) is an empty file")
        }
        // Migrate first: a database from a newer Sluice must be refused before anything (the journal mode) changes.
        try Migrations.apply(Migrations.topic, to: connection)
        do {
            try connection.execute("PRAGMA journal_mode = WAL")
            try connection.execute("PRAGMA journal_size_limit = \(Self.journalSizeLimit)")
            installWALHook()
            // Debian and others build SQLite with secure_delete on, which writes every page retention frees (zeroed)
            // to the WAL and then the database: FAST zeroes deleted content only where that costs no extra I/O.
            try connection.execute("PRAGMA secure_delete = FAST")
            try setDurability(durability)
        } catch {
            throw error.sluiceError
        }
        if partitionCount > 0 {
            try ensurePartitions(partitionCount)
        }
    }

    package func setDurability(_ durability: Durability) throws(SluiceError) {
        do {
            try connection.execute(durability == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            self.durability = durability
        } catch {
            throw error.sluiceError
        }
    }

    /// Creates the tables of partitions `0..<count` that do not exist yet. Partitions are never removed.
    package func ensurePartitions(_ count: Int32) throws(SluiceError) {
        do {
            try connection.transaction {
                for partition in 0..<count {
                    try connection.execute(Self.createPartitionSQL(partition))
                    let insert = try connection.statement(
                        "INSERT OR IGNORE INTO partition_state (partition) VALUES (?)"
                    )
                    insert.bind(1, Int64(partition))
                    try insert.run()
                }
            }
        } catch {
            throw storageError(error)
        }
    }

    static func tableName(_ partition: Int32) -> String { "partition_\(partition)" }

    static func createPartitionSQL(_ partition: Int32) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(tableName(partition)) (
            offset INTEGER PRIMARY KEY,
            timestamp INTEGER NOT NULL,
            key BLOB,
            value BLOB,
            headers BLOB
        ) STRICT
        """
    }

    // MARK: - Appending

    /// One partition's share of an append: its records and, for an idempotent producer, their sequence numbers.
    package struct PartitionAppend {
        package var partition: Int32
        package var records: [ProducerRecord]
        package var sequence: BatchSequence?

        package init(partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil) {
            self.partition = partition
            self.records = records
            self.sequence = sequence
        }
    }

    /// What an append gave one batch: its first offset and the timestamp used for records the broker stamped.
    package struct AppendResult: Sendable, Hashable {
        package var baseOffset: Int64
        package var count: Int
        package var logAppendTime: Int64
        /// The batch had been appended before (same producer and sequences): nothing was appended now, and
        /// `baseOffset` and `logAppendTime` are the original ones.
        package var duplicate: Bool

        package init(baseOffset: Int64, count: Int, logAppendTime: Int64, duplicate: Bool = false) {
            self.baseOffset = baseOffset
            self.count = count
            self.logAppendTime = logAppendTime
            self.duplicate = duplicate
        }
    }

    /// Appends a single batch to one partition in its own transaction; returns its base offset.
    @discardableResult
    package func append(partition: Int32, records: [ProducerRecord], sequence: BatchSequence? = nil, now: Int64)
        throws(SluiceError) -> Int64
    {
        try append([PartitionAppend(partition: partition, records: records, sequence: sequence)], now: now)[0]
            .get().baseOffset
    }

    /// Appends every batch in one transaction (group commit) and returns each batch's outcome, in order.
    ///
    /// A batch with a sequence is checked against its producer's state first, in the same transaction: a batch
    /// sent before is answered with its original offsets (`duplicate`), one out of order
    /// (`.outOfOrderSequence`) or from a fenced epoch (`.invalidProducerEpoch`) is refused alone, and the others
    /// go on. Anything else that fails throws, and then no batch is committed. `now` stamps records without a
    /// timestamp.
    ///
    /// `then`, when given, runs inside the same transaction after the appends (share-group state changes pending
    /// with them): if it throws, nothing is committed.
    ///
    /// `withoutSync` commits without an fsync of its own (`synchronous=NORMAL` for this transaction, when the topic's
    /// durability is `full`): the commit survives a crash of the process but not a power loss, until the next
    /// fsync'd commit (or a checkpoint) makes it durable with the WAL before it. For work that may be lost on power
    /// loss (share-group acquisitions alone), never for records.
    package func append(
        _ batches: [PartitionAppend], now: Int64, withoutSync: Bool = false,
        then: ((TopicWriter) throws(SluiceError) -> Void)? = nil
    ) throws(SluiceError)
        -> [Result<AppendResult, SluiceError>]
    {
        precondition(!withoutSync || batches.isEmpty, "records are committed at the topic's durability")
        var results: [Result<AppendResult, SluiceError>] = []
        results.reserveCapacity(batches.count)
        let relax = withoutSync && durability == .full
        do {
            if relax { try connection.execute("PRAGMA synchronous = NORMAL") }
            try connection.begin(immediate: true)
            var touched: Set<Int32> = []
            var touchedProducers: Set<ProducerKey> = []
            var newProducer = false
            for batch in batches {
                var key: ProducerKey?
                var state: ProducerState?
                if let sequence = batch.sequence, !batch.records.isEmpty {
                    let producer = ProducerKey(partition: batch.partition, producerID: sequence.producerID)
                    state = try producerState(producer)
                    switch ProducerState.check(
                        state, sequence, count: batch.records.count, topic: topic,
                        partition: batch.partition)
                    {
                    case .append:
                        key = producer
                    case .duplicate(let retained):
                        results.append(
                            .success(
                                AppendResult(
                                    baseOffset: retained.baseOffset, count: batch.records.count,
                                    logAppendTime: retained.logAppendTime, duplicate: true)))
                        continue
                    case .refuse(let error):
                        results.append(.failure(error))
                        continue
                    }
                }
                let base = try appendInTransaction(batch, now: now)
                touched.insert(batch.partition)
                if let key, let sequence = batch.sequence {
                    if state == nil { newProducer = true }
                    producers[key] = ProducerState.appended(
                        to: state, sequence, count: batch.records.count, baseOffset: base, now: now)
                    touchedProducers.insert(key)
                }
                results.append(.success(AppendResult(baseOffset: base, count: batch.records.count, logAppendTime: now)))
            }
            for partition in touched {
                try saveCursor(partition)
            }
            for key in touchedProducers {
                try saveProducerState(key)
            }
            if newProducer {
                try pruneProducerStates(now: now)
            }
            try then?(self)
            try connection.commit()
            lastAppendEnded = .now
            if relax { try connection.execute("PRAGMA synchronous = FULL") }
        } catch {
            connection.rollback()
            if relax { try? connection.execute("PRAGMA synchronous = FULL") }
            // The cached cursors and producer states may be ahead of what was committed: reload them.
            partitions.removeAll()
            producers.removeAll()
            throw storageError(error)
        }
        return results
    }

    private func appendInTransaction(_ batch: PartitionAppend, now: Int64) throws -> Int64 {
        var cursor = try cursor(batch.partition)
        let base = cursor.nextOffset
        let insert = try connection.statement(cursor.insertSQL)
        for record in batch.records {
            let timestamp = record.timestamp ?? now
            let headers = HeaderCodec.encode(record.headers)
            insert.bind(1, cursor.nextOffset)
            insert.bind(2, timestamp)
            // Key, value and headers are read in place by the step, not copied; every parameter is bound again
            // for the next record, so the reset keeps the bindings.
            try insert.withBlob(3, record.key) {
                try insert.withBlob(4, record.value) {
                    try insert.withBlob(5, headers) { try insert.run() }
                }
            }
            insert.reset(keepingBindings: true)
            cursor.nextOffset += 1
            cursor.sizeBytes += Int64((record.key?.count ?? 0) + (record.value?.count ?? 0) + (headers?.count ?? 0))
            if timestamp > cursor.maxTimestamp { cursor.maxTimestamp = timestamp }
        }
        insert.reset()  // Drops the in-place bindings, which point into `batch`.
        if cursor.nextOffset - 1 - cursor.lastIndexedOffset >= Self.timeIndexInterval {
            let index = try connection.statement(
                "INSERT OR REPLACE INTO time_index (partition, end_offset, max_timestamp) VALUES (?, ?, ?)"
            )
            index.bind(1, Int64(batch.partition))
            index.bind(2, cursor.nextOffset - 1)
            index.bind(3, cursor.maxTimestamp)
            try index.run()
            cursor.lastIndexedOffset = cursor.nextOffset - 1
        }
        partitions[batch.partition] = cursor
        return base
    }

    func saveCursor(_ partition: Int32) throws {
        guard let cursor = partitions[partition] else { return }
        let update = try connection.statement(
            "UPDATE partition_state SET next_offset = ?, max_timestamp = ?, size_bytes = ? WHERE partition = ?"
        )
        update.bind(1, cursor.nextOffset)
        update.bind(2, cursor.maxTimestamp)
        update.bind(3, cursor.sizeBytes)
        update.bind(4, Int64(partition))
        try update.run()
    }

    func cursor(_ partition: Int32) throws -> PartitionCursor {
        if let cursor = partitions[partition] { return cursor }
        let state = try connection.statement(
            "SELECT next_offset, log_start_offset, max_timestamp, size_bytes, compacted_offset FROM partition_state "
                + "WHERE partition = ?"
        )
        state.bind(1, Int64(partition))
        guard try state.step() else {
            throw SluiceError(.unknownPartition, "topic '\(topic)' has no partition \(partition)")
        }
        var cursor = PartitionCursor(
            nextOffset: state.int64(0),
            logStartOffset: state.int64(1),
            maxTimestamp: state.int64(2),
            sizeBytes: state.int64(3),
            lastIndexedOffset: -1,
            compactedOffset: state.int64(4),
            insertSQL: "INSERT INTO \(Self.tableName(partition)) (offset, timestamp, key, value, headers) "
                + "VALUES (?, ?, ?, ?, ?)"
        )
        state.reset()
        let lastIndexed = try connection.statement("SELECT max(end_offset) FROM time_index WHERE partition = ?")
        lastIndexed.bind(1, Int64(partition))
        if try lastIndexed.step(), let offset = lastIndexed.optionalInt64(0) {
            cursor.lastIndexedOffset = offset
        } else {
            cursor.lastIndexedOffset = cursor.logStartOffset - 1
        }
        lastIndexed.reset()
        partitions[partition] = cursor
        return cursor
    }

    /// The partition's log-start and next offsets as this writer knows them (committed state).
    package func offsets(partition: Int32) throws(SluiceError) -> PartitionOffsets {
        do {
            let cursor = try cursor(partition)
            return PartitionOffsets(
                partition: partition, logStartOffset: cursor.logStartOffset, nextOffset: cursor.nextOffset)
        } catch {
            throw storageError(error)
        }
    }

    func storageError(_ error: any Error) -> SluiceError {
        switch error {
        case let error as SluiceError: error
        case let error as SQLiteError: error.sluiceError
        default: SluiceError(.storageError, "topic '\(topic)': \(error)")
        }
    }
}

extension Error {
    /// Any error thrown by the SQLite layer, as the `SluiceError` callers see.
    var sluiceError: SluiceError {
        switch self {
        case let error as SluiceError: error
        case let error as SQLiteError: error.sluiceError
        default: SluiceError(.storageError, "\(self)")
        }
    }
}
