import Logging
import SluiceCore
import SluiceStorage

/// Per-group series computed when metrics are asked for: consumer lag and share-group record counts.
extension Broker {
    /// What `groupMetrics` found, one entry per group and partition.
    package struct GroupMetrics: Sendable, Hashable {
        /// A consumer group's position on one partition it has a committed offset for.
        package struct Lag: Sendable, Hashable {
            package var group: String
            package var topic: String
            package var partition: Int32
            /// The partition's next offset minus the committed offset, never below 0.
            package var lag: Int64
            /// Wall-clock age of the record at the committed offset (the log start's when the committed offset is
            /// below it); 0 when the lag is 0.
            package var oldestUnconsumedAgeSeconds: Double

            package init(group: String, topic: String, partition: Int32, lag: Int64, oldestUnconsumedAgeSeconds: Double)
            {
                self.group = group
                self.topic = topic
                self.partition = partition
                self.lag = lag
                self.oldestUnconsumedAgeSeconds = oldestUnconsumedAgeSeconds
            }
        }

        /// A share group's records on one partition it has read.
        package struct Share: Sendable, Hashable {
            package var group: String
            package var topic: String
            package var partition: Int32
            package var acquired: Int
            package var available: Int
            package var delayed: Int
            package var deadLettered: Int64
            package var archived: Int64

            package init(
                group: String, topic: String, partition: Int32, acquired: Int, available: Int, delayed: Int,
                deadLettered: Int64, archived: Int64
            ) {
                self.group = group
                self.topic = topic
                self.partition = partition
                self.acquired = acquired
                self.available = available
                self.delayed = delayed
                self.deadLettered = deadLettered
                self.archived = archived
            }
        }

        package var lags: [Lag] = []
        package var shares: [Share] = []
        /// Whether entries were left out to stay within the series budget.
        package var truncated = false

        package init() {}

        /// The series a `Lag` and a `Share` stand for when rendered.
        package static let seriesPerLag = 2
        package static let seriesPerShare = 5
    }

    /// The default bound on the series one scrape reports for groups.
    package static let maxGroupSeries = 10_000

    /// Computes the per-group series, at most `maxSeries` of them (groups in name order, partitions in order; what
    /// is past the budget is left out and `truncated` set). Committed offsets are read on the admin queue, bounds
    /// and record timestamps on the read queue (one record read per partition with a lag), share-group states on
    /// the topics' share queues: never on the caller's thread. A group or topic that fails to answer is skipped.
    package func groupMetrics(maxSeries: Int = Broker.maxGroupSeries) async -> GroupMetrics {
        var metrics = GroupMetrics()
        var budget = maxSeries
        let committed: [(group: String, offsets: [CommittedOffset])]
        do {
            committed = try await admin { store throws(SluiceError) in
                var all: [(group: String, offsets: [CommittedOffset])] = []
                for group in try store.catalog.groups().sorted() {
                    let offsets = try store.catalog.committedOffsets(group: group)
                    all.append((group, offsets.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }))
                }
                return all
            }
        } catch {
            logger.debug("group metrics: cannot read committed offsets", metadata: ["error": "\(error)"])
            committed = []
        }
        let wanted = committed.reduce(0) { $0 + $1.offsets.count }
        let lagBudget = min(wanted, budget / GroupMetrics.seriesPerLag)
        let now = clocks.wall()
        let lags: [GroupMetrics.Lag] = await onReadQueue {
            var lags: [GroupMetrics.Lag] = []
            for (group, offsets) in committed {
                for offset in offsets where lags.count < lagBudget {
                    guard let handle = try? self.handle(offset.topic), let watch = try? handle.watch(),
                        let bounds = watch.bounds(offset.partition)
                    else { continue }
                    let lag = max(0, bounds.highWatermark - offset.offset)
                    var age = 0.0
                    if lag > 0 {
                        let at = max(offset.offset, bounds.logStart)
                        let record = try? handle.withReader { reader throws(SluiceError) in
                            try reader.read(partition: offset.partition, from: at, maxRecords: 1).first
                        }
                        if let record { age = Double(max(0, now - record.timestamp)) / 1000 }
                    }
                    lags.append(
                        GroupMetrics.Lag(
                            group: group, topic: offset.topic, partition: offset.partition, lag: lag,
                            oldestUnconsumedAgeSeconds: age))
                }
            }
            return lags
        }
        metrics.lags = lags
        metrics.truncated = lagBudget < wanted
        budget -= lags.count * GroupMetrics.seriesPerLag

        let shareGroups = ((try? await knownShareGroups()) ?? []).union(shareCoordinator.liveGroups().keys).sorted()
        groups: for group in shareGroups {
            guard let description = try? await describeShareGroup(group) else { continue }
            // A partition the group has not read yet has no state to report.
            for partition in description.partitions where partition.startOffset >= 0 {
                guard budget >= GroupMetrics.seriesPerShare else {
                    metrics.truncated = true
                    break groups
                }
                budget -= GroupMetrics.seriesPerShare
                metrics.shares.append(
                    GroupMetrics.Share(
                        group: group, topic: partition.topic, partition: partition.partition,
                        acquired: partition.acquired, available: partition.available, delayed: partition.delayed,
                        deadLettered: partition.deadLettered, archived: partition.archived))
            }
        }
        return metrics
    }
}
