#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open file descriptors.
///
/// Each topic holds a few descriptors (its database, WAL and shared memory, per connection) and each client one;
/// the common soft limit of 1,024 runs out long before the hard limit does, so the server raises the soft limit to
/// the hard one when it starts.
package enum DescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limit now in force (the old one if it could not be
    /// raised).
    @discardableResult
    package static func raiseToHardLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        guard limit.rlim_cur < limit.rlim_max else { return UInt64(limit.rlim_cur) }
        let old = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 { return UInt64(old) }
        return UInt64(limit.rlim_cur)
    }

    /// Descriptors a topic holds at most while open: its writer's database, WAL and shared memory, two for each
    /// pooled reader (database and WAL), and a background checkpoint's connection.
    package static let descriptorsPerOpenTopic = 13

    /// How many topics may stay open under `limit` descriptors: three quarters of them, the last quarter left for
    /// connections, the catalog, the event loops and backups; at least 8.
    package static func openTopicBudget(limit: UInt64) -> Int {
        let usable = Int(clamping: limit) / 4 * 3
        return max(8, usable / descriptorsPerOpenTopic)
    }
}
