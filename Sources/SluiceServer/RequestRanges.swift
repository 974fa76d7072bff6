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

    private static func refuse(_ message: String) -> SluiceError {
        SluiceError(.invalidArgument, message)
    }
}
