import SluiceCore

/// A data directory opened for use: the catalog plus the topic databases beside it.
///
/// `Store` performs the admin operations that span the catalog and topic files (create, alter, delete) so that a
/// crash at any point leaves no half-visible topic: a topic row is `creating` until its file is complete, a deleted
/// topic has a tombstone file before its files go, and `open` finishes whatever a crash interrupted. Owned by one
/// thread or serial queue at a time; writers and readers opened from it may live on other threads.
package final class Store {
    package let directory: DataDirectory
    package let catalog: Catalog
    private let lock: DirectoryLock
    /// Topics whose deletion is decided (their tombstone exists, their files may be gone) but whose catalog row could
    /// not be removed yet: the catalog refused the write, say on a disk that filled up again. They are hidden from
    /// every lookup here, and the next `createTopic`, `deleteTopic` or open finishes them.
    package private(set) var unfinishedDeletes: Set<String> = []

    /// Opens (creating when missing) the data directory at `path`, taking its lock and finishing interrupted work.
    package init(path: String) throws(SluiceError) {
        directory = DataDirectory(path: path)
        try directory.create()
        lock = try DirectoryLock(path: directory.lockPath)
        try FileSystem.createEmpty(directory.catalogPath)
        catalog = try Catalog(path: directory.catalogPath)
        try recover()
    }

    private func recover() throws(SluiceError) {
        // `deleting` rows come from older versions, which marked a topic in the catalog before removing its files.
        for topic in try catalog.topics(state: .creating) + catalog.topics(state: .deleting) {
            try removeFiles(topic.name)
            try catalog.removeTopic(topic.name)
        }
        var tombstones = Set(
            FileSystem.contents(of: directory.topicsPath).filter {
                $0.hasSuffix(DataDirectory.tombstoneSuffix)
            }.map { "\(directory.topicsPath)/\($0)" })
        guard !tombstones.isEmpty else { return }
        for topic in try catalog.topics() where tombstones.remove(directory.tombstonePath(topic.name)) != nil {
            finishDelete(topic.name)
        }
        // A crash after the catalog row went and before its tombstone did: nothing is left to finish.
        for orphan in tombstones { try? FileSystem.remove(orphan) }
        FileSystem.syncDirectory(directory.topicsPath)
    }

    /// Tries again the deletions the catalog refused to complete earlier.
    private func retryUnfinishedDeletes() {
        for name in unfinishedDeletes { finishDelete(name) }
    }

    /// Creates a topic: validates its name and settings, creates its database and partitions, then makes it visible.
    @discardableResult
    package func createTopic(_ name: String, config: TopicConfig, now: Int64) throws(SluiceError) -> TopicDefinition {
        try TopicName.validate(name)
        try config.validate()
        retryUnfinishedDeletes()
        if unfinishedDeletes.contains(name) {
            throw SluiceError(.topicBeingDeleted, "topic '\(name)' is being deleted; try again shortly")
        }
        let path = directory.topicPath(name)
        if FileSystem.exists(path), try catalog.topic(name) == nil {
            throw SluiceError(
                .storageError, "cannot create topic '\(name)': \(path) exists but the catalog does not know it")
        }
        let topicID = TopicID.random()
        try catalog.insertTopic(name, config: config, now: now, topicID: topicID)
        do {
            try FileSystem.createEmpty(path)
            _ = try TopicWriter(
                topic: name, path: path, durability: config.durability, create: true,
                partitionCount: config.partitions)
            FileSystem.syncDirectory(directory.topicsPath)
            try catalog.setState(name, .live)
        } catch {
            try? removeFiles(name)
            try? catalog.removeTopic(name)
            throw error
        }
        return TopicDefinition(name: name, config: config, createdAt: now, topicID: topicID)
    }

    /// Deletes a topic, its files and its committed offsets. Close its writers and readers first.
    ///
    /// Works on a full disk, where deleting a topic is how space is won back: the decision is recorded as an empty
    /// tombstone file (`DataDirectory.tombstonePath`, an inode and a directory entry, no data blocks), then the
    /// topic's files are removed, which frees their space, and only then does the catalog, which needs free pages
    /// to commit, forget the topic; the tombstone goes last. A crash anywhere in between is finished at the next
    /// open. Throws only while nothing has changed (`.unknownTopic`, or the tombstone cannot be created); once the
    /// tombstone exists the topic is deleted as far as callers can tell, even if the catalog refuses its part for
    /// now (see `unfinishedDeletes`).
    package func deleteTopic(_ name: String) throws(SluiceError) {
        retryUnfinishedDeletes()
        guard !unfinishedDeletes.contains(name), try catalog.topic(name) != nil else {
            throw SluiceError.unknownTopic(name)
        }
        try FileSystem.createEmpty(directory.tombstonePath(name))
        FileSystem.syncDirectory(directory.topicsPath)
        finishDelete(name)
    }

    /// Removes the files of a topic whose tombstone exists, then its catalog row, then the tombstone. What fails is
    /// left for later (`unfinishedDeletes`), in an order that a later attempt or the next open can always finish.
    private func finishDelete(_ name: String) {
        do throws(SluiceError) {
            // A connection not yet let go of (the broker's handle may outlive its close by a moment) would keep an
            // unlinked file's blocks until it closes, and the catalog needs them now: cutting the database and its
            // WAL to nothing frees them at once. Not the -shm file: open connections have it mapped, and touching a
            // truncated mapping is SIGBUS. That connection's checkpoint at close then finds its frames gone and
            // fails, harmlessly: the files are being deleted anyway.
            let database = directory.topicPath(name)
            try FileSystem.truncate(database + "-wal")
            try FileSystem.truncate(database)
            try removeFiles(name)
            try catalog.removeTopic(name)
            try FileSystem.remove(directory.tombstonePath(name))
            FileSystem.syncDirectory(directory.topicsPath)
            unfinishedDeletes.remove(name)
        } catch {
            unfinishedDeletes.insert(name)
        }
    }

    /// Changes a topic's settings; a larger partition count adds partitions (a smaller one is refused).
    ///
    /// Durability changes take effect for writers opened afterwards (or through `TopicWriter.setDurability`).
    @discardableResult
    package func alterTopic(_ name: String, _ change: (inout TopicConfig) -> Void) throws(SluiceError)
        -> TopicDefinition
    {
        guard !unfinishedDeletes.contains(name), var topic = try catalog.topic(name) else {
            throw SluiceError.unknownTopic(name)
        }
        var config = topic.config
        change(&config)
        try config.validate()
        if config.partitions < topic.config.partitions {
            throw SluiceError(
                .invalidArgument,
                "topic '\(name)' has \(topic.config.partitions) partitions; partitions can be added but not removed"
            )
        }
        if config.partitions > topic.config.partitions {
            let writer = try TopicWriter(topic: name, path: directory.topicPath(name), durability: config.durability)
            try writer.ensurePartitions(config.partitions)
        }
        try catalog.updateTopic(name, config: config)
        topic.config = config
        return topic
    }

    /// A live topic's description. Throws `.unknownTopic`.
    package func topic(_ name: String) throws(SluiceError) -> TopicDefinition {
        guard !unfinishedDeletes.contains(name), let topic = try catalog.topic(name) else {
            throw SluiceError.unknownTopic(name)
        }
        return topic
    }

    package func topics() throws(SluiceError) -> [TopicDefinition] {
        let topics = try catalog.topics()
        return unfinishedDeletes.isEmpty ? topics : topics.filter { !unfinishedDeletes.contains($0.name) }
    }

    /// Opens the single writer of a topic's database. Keep one per topic.
    package func openWriter(_ name: String) throws(SluiceError) -> TopicWriter {
        let topic = try topic(name)
        return try TopicWriter(topic: name, path: directory.topicPath(name), durability: topic.config.durability)
    }

    /// Opens a reader of a topic's database; any number may be open.
    package func openReader(_ name: String) throws(SluiceError) -> TopicReader {
        _ = try topic(name)
        return try TopicReader(topic: name, path: directory.topicPath(name))
    }

    /// Bytes the topic's files take on disk (database, WAL and shared memory).
    package func diskSize(_ name: String) -> Int64 {
        directory.topicFiles(name).reduce(0) { $0 + FileSystem.size($1) }
    }

    private func removeFiles(_ name: String) throws(SluiceError) {
        for file in directory.topicFiles(name) {
            try FileSystem.remove(file)
        }
        FileSystem.syncDirectory(directory.topicsPath)
    }
}
