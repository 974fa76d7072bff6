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

    struct Registry {
        var topics: [String: TopicHandle] = [:]
        /// Topics whose database could not be opened, with the reason (served as errors, never guessed at).
        var broken: [String: SluiceError] = [:]
        var shuttingDown = false
    }

    /// Opens the data directory (creating it when missing) and every topic in it, and sweeps each once.
    ///
    /// A topic whose database cannot be opened is logged and answered with its error; the others are served.
    /// `wallClock` (milliseconds since the Unix epoch) stamps records and commits and judges records' age;
    /// `monotonicClock` (milliseconds) times group sessions, joins and syncs; `sweeper` paces retention and
    /// compaction. Tests inject them so that nothing waits for real time.
    package init(
        dataDirectory: String, logger: Logger = Logger(label: "sluice.broker"),
        wallClock: @escaping @Sendable () -> Int64 = Clocks.system.wall,
        monotonicClock: @escaping @Sendable () -> Int64 = Clocks.system.monotonic,
        sweeper sweeperSettings: SweeperSettings = SweeperSettings(),
        classicGroups classicSettings: ClassicGroupSettings = ClassicGroupSettings()
    ) throws(SluiceError) {
        self.dataDirectory = dataDirectory
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
                    if let handle = registry.topics[topic] { counts[topic] = handle.watch.partitionCount }
                }
                return counts
            }
        }
        self.groups = groups
        // A group id belongs to one kind of group at a time: a Kafka join is refused while native members exist.
        self.classicGroups = ClassicGroupCoordinator(
            settings: classicSettings, logger: logger,
            clock: clocks.monotonic, isForeign: { groups.hasMembers($0) })
        let store = try Store(path: dataDirectory)
        self.store = Owned(store)
        let reserved = try store.catalog.lastProducerID()
        self.lastProducerID = Atomic(reserved)
        self.producerIDs = Locked(ProducerIDBlock(exhaustedAt: reserved))
        var opened = Registry()
        for topic in try store.topics() {
            do {
                opened.topics[topic.name] = try Self.openTopic(
                    topic.name, config: topic.config, in: store, sweeper: sweeper, logger: logger)
            } catch {
                logger.error("cannot open topic", metadata: ["topic": "\(topic.name)", "error": "\(error)"])
                opened.broken[topic.name] = SluiceError(
                    error.code, "topic '\(topic.name)' (\(store.directory.topicPath(topic.name))): \(error.message)")
            }
        }
        self.registry.withLock { $0 = opened }
        // Whatever expired while the broker was down goes now; each sweep then says when its topic is next due.
        for handle in opened.topics.values { handle.retention.sweepNow() }
    }

    // MARK: - Topic lookup

    /// Opens a topic's writer and wraps it in a handle: the one place a `TopicHandle` is made.
    static func openTopic(_ name: String, config: TopicConfig, in store: Store, sweeper: Sweeper, logger: Logger)
        throws(SluiceError) -> TopicHandle
    {
        try TopicHandle(
            name: name, path: store.directory.topicPath(name), config: config, writer: try store.openWriter(name),
            retention: TopicRetention(topic: name, sweeper: sweeper), logger: logger)
    }

    func handle(_ name: String) throws(SluiceError) -> TopicHandle {
        let (handle, broken) = registry.withLock { ($0.topics[name], $0.broken[name]) }
        if let handle { return handle }
        if let broken { throw broken }
        throw SluiceError.unknownTopic(name)
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
        await backups.stop()
        for handle in handles { await handle.close(shuttingDown: true) }
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
