import CoreMetrics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One topic's metrics, made once when the topic is first used (the metrics backend is looked up then, not per
/// produce).
///
/// Names follow Prometheus conventions; with no metrics backend bootstrapped every handle does nothing.
struct TopicMetrics: Sendable {
    let producedRecords: Counter
    let producedBytes: Counter
    let sweptRecords: Counter
    let sweptBytes: Counter
    let diskBytes: Gauge

    init(topic: String) {
        let dimensions = [("topic", topic)]
        producedRecords = Counter(label: "sluice_produce_records_total", dimensions: dimensions)
        producedBytes = Counter(label: "sluice_produce_bytes_total", dimensions: dimensions)
        sweptRecords = Counter(label: "sluice_sweeper_deleted_records_total", dimensions: dimensions)
        sweptBytes = Counter(label: "sluice_sweeper_deleted_bytes_total", dimensions: dimensions)
        diskBytes = Gauge(label: "sluice_topic_disk_bytes", dimensions: dimensions)
    }

    /// Sets `sluice_topic_disk_bytes` to the size of the topic's database and its WAL.
    func updateDiskBytes(path: String) {
        diskBytes.record(Self.diskBytes(path: path))
    }

    /// The size of a topic's database and its WAL.
    static func diskBytes(path: String) -> Int64 {
        var total: Int64 = 0
        for file in [path, path + "-wal"] {
            var info = stat()
            if stat(file, &info) == 0 { total += Int64(info.st_size) }
        }
        return total
    }
}

/// Metrics of the broker as a whole.
struct BrokerMetrics: Sendable {
    static let commitDuration = Timer(label: "sluice_commit_duration_seconds")
    static let commitBatchRecords = Recorder(label: "sluice_commit_batch_records", aggregate: true)
    static let fetchedRecords = Counter(label: "sluice_fetch_records_total")
    static let fetchedBytes = Counter(label: "sluice_fetch_bytes_total")
    static let rebalances = Counter(label: "sluice_group_rebalances_total")
    /// Blocks of producer ids reserved: one catalog commit each (`ProducerIDBlock`).
    static let producerIDBlocks = Counter(label: "sluice_producer_id_blocks_total")
}
