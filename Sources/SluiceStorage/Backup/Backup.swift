import SluiceCore

/// A consistent copy of a data directory taken while it is served: the catalog and every live topic, with a
/// manifest.
///
/// Two steps. `Store.pinBackup` pins the snapshots: a read transaction on the catalog, then one on each topic the
/// catalog lists, all opened before any is copied. A topic's snapshot is therefore at least as new as the
/// catalog's, so a committed offset in the backup never points past the records in it, and a producer id in a
/// topic was handed out by the backed-up catalog. Pinning opens connections and reads a row or two per topic
/// (milliseconds) and must run where no topic is created, altered or deleted meanwhile: the broker's admin queue.
///
/// `write(to:pacing:isCancelled:)` then copies each snapshot with SQLite's online backup, a few pages per step
/// with a pause between steps, on the calling thread (never an event loop). Writers keep committing meanwhile
/// (WAL: a reader never blocks the writer); what a snapshot pins is that its topic's WAL cannot start again from
/// its beginning until its copy is done, so the WAL grows by what is written meanwhile. Each snapshot is let go as
/// soon as it is copied. Not `Sendable`: it holds connections, and moves between threads only by handing over.
package final class Backup {
    static let catalogFile = "catalog.db"
    static let topicsFolder = "topics"

    /// A topic's file in a backup, relative to its folder: the same name as in a data directory.
    static func topicFile(_ topic: String) -> String { "\(topicsFolder)/\(DataDirectory.fileStem(topic)).db" }

    /// When the snapshots were pinned, in milliseconds since the Unix epoch.
    package let createdMs: Int64
    private var catalog: Connection?
    private var topics: [PinnedTopic]

    struct PinnedTopic {
        var name: String
        var connection: Connection?
        /// As the snapshot holds them; `records` is counted in the copy.
        var partitions: [BackupManifest.Partition]
    }

    /// How hard a backup may press on the machine: pages copied per step, then a rest as long as the step took
    /// (`restPerWork`, at least `pause`), so the copy takes at most about half a core and half the disk's time; the
    /// writeback of each step's pages is started at once and waited for every `stepsPerSync` steps (0: only at the
    /// end). Checksums and record counts rest the same way.
    package struct Pacing: Sendable, Equatable {
        package var pagesPerStep: Int32
        package var pause: Duration
        package var restPerWork: Double
        package var stepsPerSync: Int

        /// 1 MiB per step (at SQLite's default 4 KiB pages), rest as long as the step took and at least 1 ms, and
        /// no wait for the disk before the end: an `fdatasync` every 16 MiB made the disk flush its cache while the
        /// producers' commits waited, which raised their p99 (docs/HARDENING.md has the figures).
        package init(
            pagesPerStep: Int32 = 256, pause: Duration = .milliseconds(1), restPerWork: Double = 1,
            stepsPerSync: Int = 0
        ) {
            precondition(pagesPerStep > 0 && stepsPerSync >= 0 && restPerWork >= 0, "a step copies at least one page")
            self.pagesPerStep = pagesPerStep
            self.pause = pause
            self.restPerWork = restPerWork
            self.stepsPerSync = stepsPerSync
        }

        /// The default, or the one `text` describes ("PAGES,REST_PER_WORK,STEPS_PER_SYNC", as `sluice serve` takes it
        /// from `SLUICE_BACKUP_PACING` for measurements); nil when `text` does not parse.
        package static func parse(_ text: String?) -> Pacing? {
            guard let text else { return Pacing() }
            let fields = text.split(separator: ",")
            guard fields.count == 3, let pages = Int32(fields[0]), pages > 0, let rest = Double(fields[1]), rest >= 0,
                let sync = Int(fields[2]), sync >= 0
            else { return nil }
            return Pacing(pagesPerStep: pages, restPerWork: rest, stepsPerSync: sync)
        }

        /// Sleeps after work that began at `started`: `restPerWork` times as long, and at least `pause`.
        func rest(after started: ContinuousClock.Instant) {
            let rest = max(pause, started.duration(to: .now) * restPerWork)
            if rest > .zero { BackupFolder.sleep(rest) }
        }
    }

    /// Pins the catalog's snapshot, then each live topic's but those in `excluding` (topics being deleted).
    init(directory: DataDirectory, excluding: Set<String>, now: Int64) throws(SluiceError) {
        createdMs = now
        topics = []
        do {
            let catalog = try Self.openSnapshot(directory.catalogPath)
            self.catalog = catalog
            var listed: [(String, Int32)] = []
            let select = try catalog.statement(Self.selectLiveTopics)
            while try select.step() {
                if let name = select.text(0), !excluding.contains(name) {
                    listed.append((name, Int32(select.int64(1))))
                }
            }
            select.reset()
            for (name, partitionCount) in listed {
                topics.append(try Self.pinTopic(name, partitionCount: partitionCount, path: directory.topicPath(name)))
            }
        } catch {
            throw SluiceError(error.sluiceError.code, "cannot start a backup: \(error.sluiceError.message)")
        }
    }

    static let selectLiveTopics = "SELECT name, partitions FROM topics WHERE state = 'live' ORDER BY name"
    static let selectPartitionState =
        "SELECT partition, log_start_offset, next_offset FROM partition_state WHERE partition < ? ORDER BY partition"

    /// A connection that reads nothing but the snapshot of its first read, for as long as it lives.
    private static func openSnapshot(_ path: String) throws(SQLiteError) -> Connection {
        let connection = try Connection(path: path, flags: [.readWrite])
        try connection.execute("PRAGMA query_only = 1")
        try connection.begin()  // Deferred: the snapshot is the one the first read sees.
        return connection
    }

    private static func pinTopic(_ name: String, partitionCount: Int32, path: String) throws -> PinnedTopic {
        let connection = try openSnapshot(path)
        let select = try connection.statement(selectPartitionState)
        select.bind(1, Int64(partitionCount))
        var partitions: [BackupManifest.Partition] = []
        while try select.step() {
            partitions.append(
                BackupManifest.Partition(
                    partition: Int32(select.int64(0)), logStartOffset: select.int64(1),
                    nextOffset: select.int64(2), records: 0))
        }
        select.reset()
        guard partitions.map(\.partition) == Array(0..<partitionCount) else {
            throw SluiceError(
                .corruptDatabase, "topic '\(name)' (\(path)) does not hold its \(partitionCount) partitions")
        }
        return PinnedTopic(name: name, connection: connection, partitions: partitions)
    }

    /// Offsets counted per statement when the records of a partition are counted.
    static let countRange: Int64 = 65_536

    /// The topics pinned, by name.
    package var topicNames: [String] { topics.map(\.name) }

    /// Copies the snapshots into `target` (created, mode 0700; an existing folder must be empty) and writes the
    /// manifest last, so a folder without `manifest.json` is a backup that did not finish. Files get mode 0600 and
    /// are synced before the manifest is written. Checks `isCancelled` between steps. On any failure, or when
    /// cancelled (`.shuttingDown`), removes what it wrote and throws.
    package func write(
        to target: String, pacing: Pacing = Pacing(), software: String,
        isCancelled: () -> Bool = { false }
    ) throws(SluiceError) -> BackupManifest {
        let folder = try BackupFolder(creating: target)
        do throws(SluiceError) {
            let catalogFile = try copyCatalog(into: folder, pacing: pacing, isCancelled: isCancelled)
            var entries: [BackupManifest.Topic] = []
            for index in topics.indices {
                entries.append(try copyTopic(at: index, into: folder, pacing: pacing, isCancelled: isCancelled))
            }
            let manifest = BackupManifest(
                format: BackupManifest.formatName, version: BackupManifest.currentVersion,
                createdMs: createdMs, software: software, catalog: catalogFile,
                topics: entries)
            try folder.writeAtomically(BackupManifest.fileName, manifest.json())
            return manifest
        } catch {
            release()
            folder.removeEverything()
            throw error
        }
    }

    /// Lets go of every snapshot still pinned.
    package func release() {
        catalog?.rollback()
        catalog = nil
        for index in topics.indices {
            topics[index].connection?.rollback()
            topics[index].connection = nil
        }
    }

    deinit { release() }

    private func copyCatalog(into folder: BackupFolder, pacing: Pacing, isCancelled: () -> Bool)
        throws(SluiceError) -> BackupManifest.File
    {
        guard let source = catalog else { preconditionFailure("a backup is written once") }
        let path = try folder.copy(source, to: Self.catalogFile, pacing: pacing, isCancelled: isCancelled)
        catalog?.rollback()
        catalog = nil
        do {
            // The copy keeps only what the topics of the backup need: no rows of topics not copied (being created
            // or deleted), no offsets of such topics.
            let copy = try Connection(path: path, flags: [.readWrite])
            try copy.execute("PRAGMA journal_mode = DELETE")
            try copy.transaction {
                try copy.execute("CREATE TEMP TABLE backed_up (name TEXT PRIMARY KEY) STRICT")
                for topic in topics {
                    let insert = try copy.statement("INSERT INTO backed_up (name) VALUES (?)")
                    insert.bind(1, topic.name)
                    try insert.run()
                }
                try copy.execute(
                    """
                    DELETE FROM topics WHERE state != 'live' OR name NOT IN (SELECT name FROM backed_up);
                    DELETE FROM group_offsets WHERE topic NOT IN (SELECT name FROM topics);
                    DROP TABLE backed_up;
                    """)
            }
        } catch {
            throw SluiceError(error.sluiceError.code, "backup of the catalog: \(error.sluiceError.message)")
        }
        return try folder.describe(Self.catalogFile, pacing: pacing)
    }

    private func copyTopic(at index: Int, into folder: BackupFolder, pacing: Pacing, isCancelled: () -> Bool)
        throws(SluiceError) -> BackupManifest.Topic
    {
        let name = topics[index].name
        guard let source = topics[index].connection else { preconditionFailure("a backup is written once") }
        let path = try folder.copy(source, to: Self.topicFile(name), pacing: pacing, isCancelled: isCancelled)
        topics[index].connection?.rollback()
        topics[index].connection = nil
        var partitions = topics[index].partitions
        do {
            let copy = try Connection(path: path, flags: [.readWrite])
            try copy.execute("PRAGMA journal_mode = DELETE")
            for slot in partitions.indices {
                // In ranges of offsets, resting between them: a whole-table count would scan a large topic at once.
                let count = try copy.statement(
                    "SELECT count(*) FROM \(TopicWriter.tableName(partitions[slot].partition)) WHERE offset >= ? AND offset < ?"
                )
                var from = partitions[slot].logStartOffset
                while from < partitions[slot].nextOffset {
                    let started = ContinuousClock.now
                    count.bind(1, from)
                    count.bind(2, from + Self.countRange)
                    guard try count.step() else { throw SluiceError(.corruptDatabase, "no count") }
                    partitions[slot].records += count.int64(0)
                    count.reset()
                    from += Self.countRange
                    pacing.rest(after: started)
                }
            }
        } catch {
            throw SluiceError(error.sluiceError.code, "backup of topic '\(name)': \(error.sluiceError.message)")
        }
        return BackupManifest.Topic(
            name: name, file: try folder.describe(Self.topicFile(name), pacing: pacing),
            partitions: partitions)
    }
}

extension Store {
    /// Pins a backup of this data directory (see `Backup`): every live topic but those whose deletion is unfinished.
    package func pinBackup(now: Int64) throws(SluiceError) -> Backup {
        try Backup(directory: directory, excluding: unfinishedDeletes, now: now)
    }
}
