/// Damages a valid frame the ways a buggy or hostile peer would: flipped bits, cut or inserted bytes, and length or
/// count fields overwritten with huge, negative or off-by-one values.
///
/// Lengths and counts are 2 or 4 bytes anywhere in a body, so `overwriteLength` writes one of the interesting
/// values at a random position: over thousands of cases every length field of every message gets hit.
struct FrameMutator {
    enum Mutation: CaseIterable {
        case flipBits, truncate, insert, delete, overwriteLength, overwriteByte, duplicateSpan
    }

    /// Values a length or count should never be trusted with: the extremes of int16 and int32, -1 (null) and -2,
    /// and values just past what a small frame can hold.
    static let interestingInt16: [Int16] = [-1, -2, Int16.min, Int16.max, 0x100, 0x7F00, 1, 0]
    static let interestingInt32: [Int32] = [-1, -2, Int32.min, Int32.max, 0x4000_0000, 0x0100_0000, 0xFFFF, 1, 0]

    var rng: SplitMix64

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// Applies one to three random mutations to `bytes`.
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            bytes = apply(Mutation.allCases.randomElement(using: &rng)!, to: bytes)
        }
        return bytes
    }

    mutating func apply(_ mutation: Mutation, to input: [UInt8]) -> [UInt8] {
        var bytes = input
        switch mutation {
        case .flipBits:
            guard !bytes.isEmpty else { return bytes }
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                bytes[position(in: bytes.count)] ^= UInt8(1) << (rng.next() % 8)
            }
        case .truncate:
            guard !bytes.isEmpty else { return bytes }
            bytes.removeLast(1 + Int(rng.next() % UInt64(bytes.count)))
        case .insert:
            let count = 1 + Int(rng.next() % 8)
            bytes.insert(
                contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                at: Int(rng.next() % UInt64(bytes.count + 1)))
        case .delete:
            guard !bytes.isEmpty else { return bytes }
            let start = position(in: bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + Int(rng.next() % 8)))
        case .overwriteLength:
            if rng.next() % 2 == 0 {
                overwrite(&bytes, with: Self.interestingInt16.randomElement(using: &rng)!)
            } else {
                var value = Self.interestingInt32.randomElement(using: &rng)!
                // One more than the bytes there are: the classic off-by-one.
                if rng.next() % 4 == 0 { value = Int32(truncatingIfNeeded: bytes.count + 1) }
                overwrite(&bytes, with: value)
            }
        case .overwriteByte:
            guard !bytes.isEmpty else { return bytes }
            bytes[position(in: bytes.count)] = [0x00, 0xFF, 0x7F, 0x80, 0x01][Int(rng.next() % 5)]
        case .duplicateSpan:
            guard !bytes.isEmpty else { return bytes }
            let start = position(in: bytes.count)
            let span = bytes[start..<min(bytes.count, start + 1 + Int(rng.next() % 32))]
            bytes.insert(contentsOf: span, at: position(in: bytes.count + 1))
        }
        return bytes
    }

    private mutating func position(in count: Int) -> Int { Int(rng.next() % UInt64(count)) }

    /// Writes `value` big-endian at a random position where it fits.
    private mutating func overwrite<T: FixedWidthInteger>(_ bytes: inout [UInt8], with value: T) {
        let size = MemoryLayout<T>.size
        guard bytes.count >= size else { return }
        let start = position(in: bytes.count - size + 1)
        for index in 0..<size {
            bytes[start + index] = UInt8(truncatingIfNeeded: value >> ((size - 1 - index) * 8))
        }
    }
}
