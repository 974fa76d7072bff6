/// One entry of the commit log: a group's latest committed offset for one partition, at the log offset its
/// commit was given.
package struct CommitLogEntry: Sendable, Hashable {
    package var logOffset: Int64
    package var group: String
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    package var metadata: String?
    /// When it was committed, ms since the Unix epoch.
    package var commitMs: Int64

    package init(
        logOffset: Int64, group: String, topic: String, partition: Int32, offset: Int64, metadata: String?,
        commitMs: Int64
    ) {
        self.logOffset = logOffset
        self.group = group
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
        self.commitMs = commitMs
    }
}
