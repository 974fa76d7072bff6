/// Where `SluiceClient.resetOffsets(group:topic:to:)` moves a group's committed offsets, on every partition.
public enum OffsetResetTarget: Sendable, Hashable {
    /// The log start: everything still stored is consumed again.
    case earliest
    /// The log end: only records produced from now on are consumed.
    case latest
    /// This offset, clamped to what the partition holds.
    case offset(Int64)
    /// The first record at or after this time (ms since the Unix epoch); the log end when there is none.
    case timestamp(Int64)
}
