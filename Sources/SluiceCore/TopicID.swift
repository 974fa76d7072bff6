/// A topic's stable identity: 128 random bits given when the topic is created and kept in the catalog.
///
/// Kafka names topics by such an id (its `Uuid`) in Metadata v10+ and in the APIs that came later; the id of a
/// topic never changes, and a topic created again under the same name gets a new one. The all-zero id is Kafka's
/// "no id" and is never given to a topic; `description` is Kafka's own spelling (URL-safe base64, no padding,
/// 22 characters), so an id reads the same in Sluice's output as in Kafka's tools.
package struct TopicID: Sendable, Hashable, CustomStringConvertible {
    /// The most and least significant 64 bits, as Kafka writes them on the wire (two big-endian int64s).
    package var high: UInt64
    package var low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Kafka's `Uuid.ZERO_UUID`: no topic id.
    package static let zero = TopicID(high: 0, low: 0)

    package var isZero: Bool { high == 0 && low == 0 }

    /// A fresh random id, with the version-4 and variant bits set as Java's `UUID.randomUUID` does. Never zero, and
    /// never one of the small ids Kafka reserves (they all have version bits 0).
    package static func random() -> TopicID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    package static func random(using generator: inout some RandomNumberGenerator) -> TopicID {
        let high = (generator.next() as UInt64) & ~0xF000 | 0x4000
        let low = (generator.next() as UInt64) & ~(0xC000 << 48) | (0x8000 << 48)
        return TopicID(high: high, low: low)
    }

    /// The 16 bytes, most significant first.
    package var bytes: [UInt8] {
        (0..<16).map { index in
            let word = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(index % 8)))
        }
    }

    /// The id of 16 bytes, most significant first; `nil` for another length.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Kafka's spelling: the 16 bytes in URL-safe base64 without padding.
    package var description: String {
        let bytes = self.bytes + [0, 0]
        var out: [UInt8] = []
        out.reserveCapacity(24)
        for start in stride(from: 0, to: 18, by: 3) {
            let group = UInt32(bytes[start]) << 16 | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2])
            for shift in [18, 12, 6, 0] { out.append(Self.alphabet[Int(group >> UInt32(shift) & 0x3F)]) }
        }
        return String(decoding: out.prefix(22), as: UTF8.self)
    }

    /// Parses Kafka's spelling (22 characters of URL-safe base64); `nil` for anything else.
    package init?(_ text: String) {
        let characters = Array(text.utf8)
        guard characters.count == 22 else { return nil }
        var values: [UInt32] = []
        for character in characters {
            guard let value = Self.alphabet.firstIndex(of: character) else { return nil }
            values.append(UInt32(value))
        }
        values += [0, 0]
        var bytes: [UInt8] = []
        for start in stride(from: 0, to: 24, by: 4) {
            let group = values[start] << 18 | values[start + 1] << 12 | values[start + 2] << 6 | values[start + 3]
            bytes += [UInt8(group >> 16 & 0xFF), UInt8(group >> 8 & 0xFF), UInt8(group & 0xFF)]
        }
        // The last character carries 2 bits of the 16th byte and 4 that must be zero.
        guard values[21] & 0x0F == 0 else { return nil }
        self.init(bytes: bytes.prefix(16))
    }
}
