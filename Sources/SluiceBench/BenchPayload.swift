/// The message values of a run: `size` bytes; for end-to-end runs the first 8 carry the send time.
struct BenchPayload: Sendable {
    let bytes: [UInt8]
    let stamped: Bool

    init(size: Int, stamped: Bool) {
        precondition(!stamped || size >= 8, "a stamped payload needs 8 bytes")
        // Not all zeros, so that nothing along the way can get away with compressing it.
        bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        self.stamped = stamped
    }

    /// The value of a message sent at `time`.
    func value(at time: UInt64) -> [UInt8] {
        guard stamped else { return bytes }
        var value = bytes
        value.withUnsafeMutableBytes { $0.storeBytes(of: time.littleEndian, as: UInt64.self) }
        return value
    }

    /// The send time stamped into `value`, if it has one.
    static func sendTime(of value: [UInt8]?) -> UInt64? {
        guard let value, value.count >= 8 else { return nil }
        return UInt64(littleEndian: value.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    }
}
