import CoreMetrics
import Dispatch
import Logging
import SluiceCore
import SluiceStorage
import Synchronization

/// The broker: topics, produce with group commit, fetch with long polling, offsets and committed offsets.
///
/// It speaks in domain terms so that every protocol adapter stays thin. No method blocks its caller on SQLite:
/// admin work runs on one serial queue that owns the `Store`, appends on each topic's writer queue, and reads on a
/// concurrent read queue. Hot-path methods (`produce`, `fetch`) take completion handlers, which run on broker
/// threads; admin methods are `async`.
package final class Broker: Sendable {
    package let dataDirectory: String
    let logger: Logger
    let adminQueue = DispatchQueue(label: "sluice.admin")
    let readQueue = DispatchQueue(label: "sluice.read", attributes: .concurrent)
    let timerQueue = DispatchQueue(label: "sluice.timers")
    let store: Owned<Store>
    let registry = Locked(Registry())
    let groups: GroupCoordinator
    /// Kafka's classic consumer groups (JoinGroup/SyncGroup/Heartbeat/LeaveGroup), for the Kafka adapter.
    package let classicGroups: ClassicGroupCoordinator
    /// Where the broker reads time: the wall clock for record, topic and commit timestamps and retention, the
    /// monotonic one for group deadlines.
    let clocks: Clocks
    /// Wakes topics for retention and compaction; see `Sweeper`.
    let sweeper: Sweeper
    /// The largest producer id handed out (at start, the catalog's counter: the last id reserved): batches naming a
    /// larger one are refused.
    let lastProducerID: Atomic<Int64>
    /// The producer ids reserved and not yet handed out.
    let producerIDs: Locked<ProducerIDBlock>
    /// Runs backups, one at a time, off the broker's queues; see `Broker+Backup.swift`.
    let backups = BackupRunner()
    /// How backups pace themselves (`Backup.Pacing`).
    let backupPacing: Backup.Pacing
    /// The topics holding descriptors, and how many may stay open at once.
    let openTopics: OpenTopics
    /// Share groups' members (`ShareGroups/`).
    let shareCoordinator: ShareCoordinator
    /// Share groups' settings, as stored in the catalog (loaded on first use).
    let shareSettings = Locked<[String: ShareGroupConfig]>([:])
    /// The topics each share group is known (in the catalog) to have read.
    let shareTopics = Locked<[String: Set<String>]>([:])
    /// Share groups and topics whose partitions have share state in memory, made at a member's first heartbeat.
    let shareInitialized = Locked<Set<ShareGroupTopic>>([])

    struct Registry {
        var topics: [String: TopicHandle] = [:]
        /// Each live topic's id, both ways (see `Broker+Lookup.swift`); kept with `topics` by `add` and `remove`.
        var topicIDs: [String: TopicID] = [:]
        var topicNames: [TopicID: String] = [:]
        /// Names whose deletion is under way: taken out of `topics`, files and catalog row not yet gone. Deleting
        /// or creating such a name is refused meanwhile (see `deleteTopic`).
        var deleting: Set<String> = []
        var shuttingDown = false

        mutating func add(_ handle: TopicHandle, id: TopicID) {
            topics[handle.name] = handle
            if let old = topicIDs.updateValue(id, forKey: handle.name) { topicNames[old] = nil }
            topicNames[id] = handle.name
        }

        mutating func remove(_ name: String) -> TopicHandle? {
            if let id = topicIDs.removeValue(forKey: name) { topicNames[id] = nil }
            return topics.removeValue(forKey: name)
        }
    }

    /// Opens the data directory (creating it when missing) and reads its catalog; opens no topic.
    ///
    /// Topics open on first use and close when idle beyond `maxOpenTopics` (see `OpenTopics`), so start-up opens no
    /// topic file whatever the topic count. Each topic is asked for one sweep at start (whatever expired while the
    /// broker was down goes); the sweeper runs a few at a time (`SweeperSettings.maxConcurrentSweeps`), and each
    /// sweep says when its topic is next due. A topic whose database cannot be opened is answered with an error
    /// naming its file when used; the others are served. `wallClock` (milliseconds since the Unix epoch) stamps
    /// records and commits and judges records' age; `monotonicClock` (milliseconds) times group sessions, joins and
    /// syncs; `sweeper` paces retention and compaction. Tests inject them so that nothing waits for real time.
    package init(
        dataDirectory: String, logger: Logger = Logger(label: "sluice.broker"),
        wallClock: @escaping @Sendable () -> Int64 = Clocks.system.wall,
        monotonicClock: @escaping @Sendable () -> Int64 = Clocks.system.monotonic,
        sweeper sweeperSettings: SweeperSettings = SweeperSettings(),
        classicGroups classicSettings: ClassicGroupSettings = ClassicGroupSettings(),
        maxOpenTopics: Int = Broker.defaultMaxOpenTopics
    ) throws(SluiceError) {
        self.dataDirectory = dataDirectory
        let openTopics = OpenTopics(budget: max(1, maxOpenTopics))
        self.openTopics = openTopics
        self.logger = logger
        self.backupPacing = Self.backupPacing(logger: logger)
        let clocks = Clocks(wall: wallClock, monotonic: monotonicClock)
        self.clocks = clocks
        let shared = self.registry
        let sweeper = Sweeper(
            settings: sweeperSettings, clock: clocks.wall,
            reserve: DiskReserve(path: "\(dataDirectory)/reserve")
        ) { topic in
            guard let handle = shared.withLock({ $0.topics[topic] }) else { return false }
            handle.sweep()
            return true
        }
        self.sweeper = sweeper
        let groups = GroupCoordinator(logger: logger, clock: clocks.monotonic) { topics in
            shared.withLock { registry in
                var counts: [String: Int32] = [:]
                for topic in topics {
                    if let handle = registry.topics[topic] { counts[topic] = handle.partitionCount }
                }
                return counts
            }
        }
        self.groups = groups
        // A group id belongs to one kind of group at a time: a Kafka join is refused while native members exist.
        self.classicGroups = ClassicGroupCoordinator(
            settings: classicSettings, logger: logger,
            clock: clocks.monotonic, isForeign: { groups.hasMembers($0) })
        let released = Locked<(@Sendable (String, [String]) -> Void)?>(nil)
        self.shareCoordinator = ShareCoordinator(
            logger: logger, clock: clocks.monotonic,
            partitionCounts: { topics in
                shared.withLock { registry in
                    var counts: [String: Int32] = [:]
                    for topic in topics {
                        if let handle = registry.topics[topic] { counts[topic] = handle.partitionCount }
                    }
                    return counts
                }
            },
            onRemoved: { group, members in released.withLock { $0 }?(group, members) })
        let store = try Store(path: dataDirectory)
        self.store = Owned(store)
        let reserved = try store.catalog.lastProducerID()
        self.lastProducerID = Atomic(reserved)
        self.producerIDs = Locked(ProducerIDBlock(exhaustedAt: reserved))
        var opened = Registry()
        for topic in try store.topics() {
            opened.add(
                Self.makeHandle(
                    topic.name, config: topic.config, in: store, sweeper: sweeper, openTopics: openTopics,
                    logger: logger),
                id: topic.topicID)
        }
        self.registry.withLock { $0 = opened }
        released.withLock { $0 = { [weak self] group, members in self?.releaseShareMembers(group, members) } }
        // Whatever expired while the broker was down goes now; each sweep then says when its topic is next due.
        sweeper.request(opened.topics.values.map { ($0.name, $0.retention.noteSweepNow()) })
    }

    /// Topics kept open when `sluice serve` is not told (`max_open_topics`) and cannot work it out from the
    /// descriptor limit: what a soft limit of 1,024 leaves room for.
    package static let defaultMaxOpenTopics = 64

    // MARK: - Topic lookup

    /// A topic's handle, which opens nothing until used: the one place a `TopicHandle` is made.
    static func makeHandle(
        _ name: String, config: TopicConfig, in store: Store, sweeper: Sweeper, openTopics: OpenTopics,
        logger: Logger
    ) -> TopicHandle {
        TopicHandle(
            name: name, path: store.directory.topicPath(name), config: config,
            retention: TopicRetention(topic: name, sweeper: sweeper), openTopics: openTopics, logger: logger)
    }

    func handle(_ name: String) throws(SluiceError) -> TopicHandle {
        guard let handle = registry.withLock({ $0.topics[name] }) else { throw SluiceError.unknownTopic(name) }
        return handle
    }

    /// Runs `body` with the store on the admin queue.
    func admin<T: Sendable>(_ body: @escaping @Sendable (Store) throws(SluiceError) -> T) async throws(SluiceError) -> T
    {
        try await adminQueue.run { () throws(SluiceError) -> T in try body(self.store.value) }
    }

    // MARK: - Lifecycle

    var isShuttingDown: Bool { registry.withLock { $0.shuttingDown } }

    func checkRunning() throws(SluiceError) {
        if isShuttingDown { throw SluiceError(.shuttingDown, "the server is shutting down") }
    }

    /// Refuses new work, finishes every commit in flight, answers waiting fetches and closes the databases.
    package func shutdown() async {
        let handles = registry.withLock { registry -> [TopicHandle] in
            registry.shuttingDown = true
            return Array(registry.topics.values)
        }
        sweeper.stop()
        groups.stop()
        classicGroups.stop()
        shareCoordinator.stop()
        await backups.stop()
        for handle in handles {
            await handle.close(shuttingDown: true)
            handle.stopShareTimers()
        }
        logger.info("broker stopped", metadata: ["topics": "\(handles.count)"])
    }

    func onReadQueue<T: Sendable>(_ body: @escaping @Sendable () throws(SluiceError) -> T) async throws(SluiceError)
        -> T
    {
        try await readQueue.run(body)
    }

    func onReadQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await readQueue.run(body)
    }
}
