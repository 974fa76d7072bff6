import SluiceCore
import SluiceProtocol

/// The value ranges of native request fields that decode but make no sense (`docs/PROTOCOL.md` §6, "Valid
/// ranges"): each is refused with a top-level `invalid_argument` before any work is done, instead of being
/// silently clamped or taken as something else.
///
/// Ranges that decide a field's meaning (a `listOffsets` timestamp, a reset's value) are the decoder's and are
/// `malformed_request`; ranges that need the broker's state (a partition number, a commit past the log end) are
/// checked per partition by the broker.
enum RequestRanges {
    /// The refusal for a request with a field out of its range, or nil.
    static func check(_ request: Request) -> SluiceError? {
        switch request {
        case .produce(let produce):
            return check(produce)
        case .fetch(let fetch):
            return check(fetch)
        case .commitOffsets(let commit):
            if let generation = commit.generation, generation < 0 {
                return refuse("generation \(generation) is negative; -1 is a commit from outside the group")
            }
            return nil
        case .heartbeat(let heartbeat):
            if let wait = heartbeat.maxWaitMs, wait < 0 {
                return refuse("heartbeat maxWaitMs \(wait) is negative; 0 asks for an answer at once")
            }
            return nil
        case .shareGroupHeartbeat(let heartbeat):
            if heartbeat.group.isEmpty { return refuse("share_group_heartbeat needs a group id") }
            if heartbeat.memberEpoch < -1 {
                return refuse("share_group_heartbeat memberEpoch \(heartbeat.memberEpoch): 0 joins, -1 leaves")
            }
            if heartbeat.memberEpoch == 0, heartbeat.topics?.isEmpty ?? true {
                return refuse("share_group_heartbeat joins with no topics; a member reads at least one")
            }
            return nil
        case .shareFetch(let fetch):
            if fetch.maxWaitMs < 0 { return refuse("share_fetch maxWaitMs \(fetch.maxWaitMs) is negative") }
            if fetch.maxRecords <= 0 { return refuse("share_fetch maxRecords \(fetch.maxRecords) must be positive") }
            if fetch.maxBytes <= 0 { return refuse("share_fetch maxBytes \(fetch.maxBytes) must be positive") }
            return check(fetch.acknowledgements)
        case .shareAcknowledge(let acknowledge):
            return check(acknowledge.acknowledgements)
        case .alterGroupConfig(let alter):
            if alter.group.isEmpty { return refuse("alter_group_config needs a group id") }
            return nil
        default:
            return nil
        }
    }

    private static func check(_ produce: ProduceRequest) -> SluiceError? {
        if produce.timeoutMs <= 0 {
            return refuse("produce timeoutMs \(produce.timeoutMs) must be positive")
        }
        for topic in produce.topics {
            for partition in topic.partitions {
                if partition.records.isEmpty {
                    return refuse("produce to \(topic.name)[\(partition.partition)] carries no records")
                }
                for record in partition.records {
                    if let timestamp = record.timestamp, timestamp < 0 {
                        return refuse(
                            "a record for \(topic.name)[\(partition.partition)] has timestamp \(timestamp); "
                                + "timestamps are 0 or more, or -1 for the broker's clock")
                    }
                }
            }
        }
        return nil
    }

    private static func check(_ fetch: FetchRequest) -> SluiceError? {
        if fetch.maxWaitMs < 0 { return refuse("fetch maxWaitMs \(fetch.maxWaitMs) is negative") }
        if fetch.minBytes < 0 { return refuse("fetch minBytes \(fetch.minBytes) is negative") }
        if fetch.maxBytes <= 0 { return refuse("fetch maxBytes \(fetch.maxBytes) must be positive") }
        for topic in fetch.topics {
            for partition in topic.partitions where partition.partitionMaxBytes <= 0 {
                return refuse(
                    "fetch partitionMaxBytes \(partition.partitionMaxBytes) for \(topic.name)[\(partition.partition)] "
                        + "must be positive")
            }
        }
        return nil
    }

    /// Each run must be `0 <= firstOffset <= lastOffset`, runs of a partition in ascending order without overlap,
    /// and a delay (0 to 86 400 000 ms, a day) only on a release.
    private static func check(_ topics: [TopicPartitions<PartitionAcknowledgements>]) -> SluiceError? {
        for topic in topics {
            for partition in topic.partitions {
                let name = "\(topic.name)[\(partition.partition)]"
                if partition.batches.isEmpty { return refuse("the acknowledgements of \(name) hold no offsets") }
                var after: Int64 = -1
                for batch in partition.batches {
                    let run = "\(batch.firstOffset)...\(batch.lastOffset)"
                    if batch.firstOffset < 0 || batch.lastOffset < batch.firstOffset {
                        return refuse("acknowledgement of \(name) offsets \(run): not a run of offsets")
                    }
                    if batch.firstOffset <= after {
                        return refuse(
                            "acknowledgement of \(name) offsets \(run) overlaps or precedes the run before it; runs "
                                + "go in ascending order")
                    }
                    after = batch.lastOffset
                    if batch.delayMs < 0 || batch.delayMs > 86_400_000 {
                        return refuse("acknowledgement of \(name): delayMs \(batch.delayMs) is outside 0 to 86400000")
                    }
                    if batch.delayMs > 0, batch.kind != .release {
                        return refuse(
                            "acknowledgement of \(name): only a release may carry a delay, not a \(batch.kind.name)")
                    }
                }
            }
        }
        return nil
    }

    private static func refuse(_ message: String) -> SluiceError {
        SluiceError(.invalidArgument, message)
    }
}
