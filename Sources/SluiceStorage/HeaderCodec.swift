import SluiceCore

/// The compact encoding of a record's headers in the `headers` column.
///
/// `varint count`, then per header `varint nameLength, name, varint valueLength + 1 (0 = null), value`,
/// with unsigned LEB128 varints. A record without headers stores NULL, not an empty blob.
enum HeaderCodec {
    static func encode(_ headers: [Header]) -> [UInt8]? {
        guard !headers.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(headers.reduce(1) { $0 + 4 + $1.name.utf8.count + ($1.value?.count ?? 0) })
        appendVarint(UInt64(headers.count), to: &out)
        for header in headers {
            appendVarint(UInt64(header.name.utf8.count), to: &out)
            out.append(contentsOf: header.name.utf8)
            if let value = header.value {
                appendVarint(UInt64(value.count) + 1, to: &out)
                out.append(contentsOf: value)
            } else {
                appendVarint(0, to: &out)
            }
        }
        return out
    }

    /// Decodes headers; a damaged blob yields the headers read before the damage.
    static func decode(_ bytes: UnsafeRawBufferPointer?) -> [Header] {
        guard let bytes, !bytes.isEmpty else { return [] }
        var index = 0
        guard let count = readVarint(bytes, &index), count <= UInt64(bytes.count) else { return [] }
        var headers: [Header] = []
        headers.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let nameLength = readVarint(bytes, &index), nameLength <= UInt64(bytes.count - index) else { break }
            let name = String(decoding: bytes[index..<index + Int(nameLength)], as: UTF8.self)
            index += Int(nameLength)
            guard let valueLength = readVarint(bytes, &index) else { break }
            if valueLength == 0 {
                headers.append(Header(name: name, value: nil))
                continue
            }
            let length = Int(valueLength - 1)
            guard length <= bytes.count - index else { break }
            headers.append(Header(name: name, value: Array(bytes[index..<index + length])))
            index += length
        }
        return headers
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func readVarint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }
}
