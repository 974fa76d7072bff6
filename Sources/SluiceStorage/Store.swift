import SluiceCore

/// A data directory opened for use: the catalog plus the topic databases beside it.
///
/// `Store` performs the admin operations that span the catalog and topic files (create, alter, delete) so that a
/// crash at any point leaves no half-visible topic: a topic row is `creating` until its file is complete and
/// `deleting` before its files go, and `open` finishes whatever a crash interrupted. Owned by one thread or serial
/// queue at a time; writers and readers opened from it may live on other threads.
public final class Store {
    public let directory: DataDirectory
    public let catalog: Catalog
    private let lock: DirectoryLock

    /// Opens (creating when missing) the data directory at `path`, taking its lock and finishing interrupted work.
    public init(path: String) throws(SluiceError) {
        directory = DataDirectory(path: path)
        try directory.create()
        lock = try DirectoryLock(path: directory.lockPath)
        catalog = try Catalog(path: directory.catalogPath)
        try recover()
    }

    private func recover() throws(SluiceError) {
        for topic in try catalog.topics(state: .creating) + catalog.topics(state: .deleting) {
            try removeFiles(topic.name)
            try catalog.removeTopic(topic.name)
        }
    }

    /// Creates a topic: validates its name and settings, creates its database and partitions, then makes it visible.
    @discardableResult
    public func createTopic(_ name: String, config: TopicConfig, now: Int64) throws(SluiceError) -> TopicDescription {
        try TopicName.validate(name)
        try config.validate()
        let path = directory.topicPath(name)
        if FileSystem.exists(path), try catalog.topic(name) == nil {
            throw SluiceError(.storageError, "cannot create topic '\(name)': \(path) exists but the catalog does not know it")
        }
        try catalog.insertTopic(name, config: config, now: now)
        do {
            _ = try TopicWriter(topic: name, path: path, durability: config.durability, create: true,
                                partitionCount: config.partitions)
            FileSystem.syncDirectory(directory.topicsPath)
            try catalog.setState(name, .live)
        } catch {
            try? removeFiles(name)
            try? catalog.removeTopic(name)
            throw error
        }
        return TopicDescription(name: name, config: config, createdAt: now)
    }

    /// Deletes a topic, its files and its committed offsets. Close its writers and readers first.
    public func deleteTopic(_ name: String) throws(SluiceError) {
        guard try catalog.topic(name) != nil else { throw SluiceError.unknownTopic(name) }
        try catalog.setState(name, .deleting)
        try removeFiles(name)
        try catalog.removeTopic(name)
    }

    /// Changes a topic's settings; a larger partition count adds partitions (a smaller one is refused).
    ///
    /// Durability changes take effect for writers opened afterwards (or through `TopicWriter.setDurability`).
    @discardableResult
    public func alterTopic(_ name: String, _ change: (inout TopicConfig) -> Void) throws(SluiceError) -> TopicDescription {
        guard var topic = try catalog.topic(name) else { throw SluiceError.unknownTopic(name) }
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
    public func topic(_ name: String) throws(SluiceError) -> TopicDescription {
        guard let topic = try catalog.topic(name) else { throw SluiceError.unknownTopic(name) }
        return topic
    }

    public func topics() throws(SluiceError) -> [TopicDescription] {
        try catalog.topics()
    }

    /// Opens the single writer of a topic's database. Keep one per topic.
    public func openWriter(_ name: String) throws(SluiceError) -> TopicWriter {
        let topic = try topic(name)
        return try TopicWriter(topic: name, path: directory.topicPath(name), durability: topic.config.durability)
    }

    /// Opens a reader of a topic's database; any number may be open.
    public func openReader(_ name: String) throws(SluiceError) -> TopicReader {
        _ = try topic(name)
        return try TopicReader(topic: name, path: directory.topicPath(name))
    }

    /// Bytes the topic's files take on disk (database, WAL and shared memory).
    public func diskSize(_ name: String) -> Int64 {
        directory.topicFiles(name).reduce(0) { $0 + FileSystem.size($1) }
    }

    private func removeFiles(_ name: String) throws(SluiceError) {
        for file in directory.topicFiles(name) {
            try FileSystem.remove(file)
        }
        FileSystem.syncDirectory(directory.topicsPath)
    }
}
