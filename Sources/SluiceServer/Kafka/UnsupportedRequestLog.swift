/// When to log a Kafka request for an API or version Sluice does not speak: at most once per `intervalMs` for each
/// (client id, API key, version), with how many like it went unlogged since, in bounded memory.
///
/// A value type that decides; `KafkaUnsupportedRequests` logs and counts. It remembers at most `maxEntries` keys,
/// client ids cut to `maxClientIDBytes`: when full it first forgets keys not logged within the interval, and if
/// every key is recent (one client cycling through ids), a new key shares one overflow entry, so a flood of
/// distinct requests still logs once per interval.
struct UnsupportedRequestLog: Sendable {
    struct Key: Hashable, Sendable {
        var clientID: String
        var apiKey: Int16
        var apiVersion: Int16
    }

    enum Decision: Equatable, Sendable {
        /// Log it; `unlogged` requests with the same key were seen since the last line.
        case log(unlogged: Int)
        case quiet
    }

    let intervalMs: Int64
    let maxEntries: Int
    let maxClientIDBytes: Int
    private var entries: [Key: (loggedAt: Int64, unlogged: Int)] = [:]

    /// The key of every request once the table is full of recent keys.
    static let overflow = Key(clientID: "*", apiKey: -1, apiVersion: -1)

    init(intervalMs: Int64 = 60_000, maxEntries: Int = 1024, maxClientIDBytes: Int = 256) {
        self.intervalMs = intervalMs
        self.maxEntries = maxEntries
        self.maxClientIDBytes = maxClientIDBytes
    }

    var count: Int { entries.count }

    /// Notes one request at `nowMs` (a monotonic clock) and says whether to log it.
    mutating func note(clientID: String, apiKey: Int16, apiVersion: Int16, nowMs: Int64) -> Decision {
        var key = Key(
            clientID: String(decoding: clientID.utf8.prefix(maxClientIDBytes), as: UTF8.self),
            apiKey: apiKey, apiVersion: apiVersion)
        if entries[key] == nil && entries.count >= maxEntries {
            let cutoff = nowMs - intervalMs
            entries = entries.filter { $0.value.loggedAt > cutoff }
            if entries.count >= maxEntries { key = Self.overflow }
        }
        guard let entry = entries[key] else {
            entries[key] = (nowMs, 0)
            return .log(unlogged: 0)
        }
        if nowMs - entry.loggedAt >= intervalMs {
            entries[key] = (nowMs, 0)
            return .log(unlogged: entry.unlogged)
        }
        entries[key] = (entry.loggedAt, entry.unlogged + 1)
        return .quiet
    }
}
