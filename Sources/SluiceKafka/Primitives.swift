import NIOCore

/// Readers and writers of the Kafka wire primitives on `ByteBuffer`.
///
/// Every reader checks a length against the readable bytes before it allocates or moves, and throws
/// `KafkaDecodeError` instead of trapping. Integers are big-endian. Strings and arrays are the non-flexible forms
/// (int16 / int32 lengths, -1 = null) unless named `compact`; the varints of records are zigzag-signed, those of
/// flexible messages unsigned.
extension ByteBuffer {
    // MARK: - Fixed-size integers

    mutating func readKafkaInt<T: FixedWidthInteger>(_: T.Type, _ what: StaticString) throws(KafkaDecodeError) -> T {
        guard let value = readInteger(endianness: .big, as: T.self) else {
            throw .truncated("\(what)")
        }
        return value
    }

    mutating func readKafkaInt8(_ what: StaticString = "int8") throws(KafkaDecodeError) -> Int8 {
        try readKafkaInt(Int8.self, what)
    }
    mutating func readKafkaInt16(_ what: StaticString = "int16") throws(KafkaDecodeError) -> Int16 {
        try readKafkaInt(Int16.self, what)
    }
    mutating func readKafkaInt32(_ what: StaticString = "int32") throws(KafkaDecodeError) -> Int32 {
        try readKafkaInt(Int32.self, what)
    }
    mutating func readKafkaInt64(_ what: StaticString = "int64") throws(KafkaDecodeError) -> Int64 {
        try readKafkaInt(Int64.self, what)
    }
    mutating func readKafkaBool(_ what: StaticString = "bool") throws(KafkaDecodeError) -> Bool {
        try readKafkaInt(UInt8.self, what) != 0
    }

    mutating func writeKafkaInt8(_ value: Int8) { writeInteger(value, endianness: .big) }
    mutating func writeKafkaInt16(_ value: Int16) { writeInteger(value, endianness: .big) }
    mutating func writeKafkaInt32(_ value: Int32) { writeInteger(value, endianness: .big) }
    mutating func writeKafkaInt64(_ value: Int64) { writeInteger(value, endianness: .big) }
    mutating func writeKafkaBool(_ value: Bool) { writeInteger(value ? UInt8(1) : 0) }

    // MARK: - Strings and bytes

    /// Reads `length` bytes as UTF-8, after checking they are there.
    private mutating func readKafkaUTF8(length: Int, _ what: StaticString) throws(KafkaDecodeError) -> String {
        guard length <= readableBytes, let bytes = readBytes(length: length) else { throw .truncated("\(what)") }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalid("\(what): not UTF-8") }
        return string
    }

    /// An int16-length string; -1 (null) is refused.
    mutating func readKafkaString(_ what: StaticString = "string") throws(KafkaDecodeError) -> String {
        guard let string = try readKafkaNullableString(what) else { throw .invalid("\(what): null") }
        return string
    }

    /// An int16-length string, `nil` for length -1.
    mutating func readKafkaNullableString(_ what: StaticString = "string") throws(KafkaDecodeError) -> String? {
        let length = try readKafkaInt16(what)
        if length == -1 { return nil }
        guard length >= 0 else { throw .invalid("\(what): length \(length)") }
        return try readKafkaUTF8(length: Int(length), what)
    }

    /// Writes an int16-length string; one longer than 32767 UTF-8 bytes is cut at the last whole character
    /// that fits (Kafka names are far shorter; only a long error message could get there).
    mutating func writeKafkaString(_ string: String) {
        let count = string.utf8.count
        guard count > Int(Int16.max) else {
            writeKafkaInt16(Int16(count))
            writeString(string)
            return
        }
        var end = string.utf8.index(string.utf8.startIndex, offsetBy: Int(Int16.max))
        while end.samePosition(in: string.unicodeScalars) == nil { end = string.utf8.index(before: end) }
        let prefix = string[..<end]
        writeKafkaInt16(Int16(prefix.utf8.count))
        writeString(String(prefix))
    }

    mutating func writeKafkaNullableString(_ string: String?) {
        guard let string else { return writeKafkaInt16(-1) }
        writeKafkaString(string)
    }

    /// Int32-length bytes as a slice of this buffer (no copy); `nil` for length -1.
    mutating func readKafkaNullableBytes(_ what: StaticString = "bytes") throws(KafkaDecodeError) -> ByteBuffer? {
        let length = try readKafkaInt32(what)
        if length == -1 { return nil }
        guard length >= 0 else { throw .invalid("\(what): length \(length)") }
        guard Int(length) <= readableBytes, let slice = readSlice(length: Int(length)) else {
            throw .truncated("\(what)")
        }
        return slice
    }

    /// Int32-length bytes (not null) copied into an array.
    mutating func readKafkaByteArray(_ what: StaticString = "bytes") throws(KafkaDecodeError) -> [UInt8] {
        guard let slice = try readKafkaNullableBytes(what) else { throw .invalid("\(what): null") }
        return Array(slice.readableBytesView)
    }

    mutating func writeKafkaBytes(_ bytes: ByteBuffer?) {
        guard var bytes else { return writeKafkaInt32(-1) }
        writeKafkaInt32(Int32(bytes.readableBytes))
        writeBuffer(&bytes)
    }

    mutating func writeKafkaBytes(_ bytes: [UInt8]) {
        writeKafkaInt32(Int32(bytes.count))
        writeBytes(bytes)
    }

    // MARK: - Arrays

    /// An int32 element count, `nil` for -1; the count is refused if the remaining bytes cannot hold that many
    /// elements of at least `minElementSize` bytes, so a hostile count never drives an allocation.
    mutating func readKafkaNullableArrayCount(minElementSize: Int, _ what: StaticString) throws(KafkaDecodeError)
        -> Int?
    {
        let count = try readKafkaInt32(what)
        if count == -1 { return nil }
        guard count >= 0 else { throw .invalid("\(what): count \(count)") }
        guard Int(count) <= readableBytes / max(minElementSize, 1) else { throw .truncated("\(what): count \(count)") }
        return Int(count)
    }

    mutating func readKafkaNullableArray<T>(
        minElementSize: Int, _ what: StaticString,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T]? {
        guard let count = try readKafkaNullableArrayCount(minElementSize: minElementSize, what) else { return nil }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    /// A non-null int32-count array.
    mutating func readKafkaArray<T>(
        minElementSize: Int, _ what: StaticString,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T] {
        guard let array = try readKafkaNullableArray(minElementSize: minElementSize, what, element) else {
            throw .invalid("\(what): null array")
        }
        return array
    }

    mutating func writeKafkaArray<T>(_ elements: [T], _ element: (inout ByteBuffer, T) -> Void) {
        writeKafkaInt32(Int32(elements.count))
        for value in elements { element(&self, value) }
    }

    mutating func writeKafkaNullableArray<T>(_ elements: [T]?, _ element: (inout ByteBuffer, T) -> Void) {
        guard let elements else { return writeKafkaInt32(-1) }
        writeKafkaArray(elements, element)
    }

    mutating func readKafkaInt32Array(_ what: StaticString) throws(KafkaDecodeError) -> [Int32] {
        try readKafkaArray(minElementSize: 4, what) { buffer throws(KafkaDecodeError) in try buffer.readKafkaInt32(what)
        }
    }

    mutating func writeKafkaInt32Array(_ values: [Int32]) {
        writeKafkaArray(values) { $0.writeKafkaInt32($1) }
    }

    // MARK: - Unsigned varints and flexible-message forms (ApiVersions v3 only)

    mutating func readKafkaUnsignedVarint(_ what: StaticString = "uvarint") throws(KafkaDecodeError) -> UInt32 {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw .truncated("\(what)") }
            guard shift < 28 || byte <= 0x0F else { throw .invalid("\(what): too long") }
            value |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func writeKafkaUnsignedVarint(_ value: UInt32) {
        var value = value
        while value >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        writeInteger(UInt8(value))
    }

    /// A compact string: unsigned varint N+1, 0 = null.
    mutating func readKafkaCompactNullableString(_ what: StaticString = "compact string") throws(KafkaDecodeError)
        -> String?
    {
        let lengthPlusOne = try readKafkaUnsignedVarint(what)
        if lengthPlusOne == 0 { return nil }
        let length = Int(lengthPlusOne - 1)
        guard length <= readableBytes, let bytes = readBytes(length: length) else { throw .truncated("\(what)") }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalid("\(what): not UTF-8") }
        return string
    }

    mutating func readKafkaCompactString(_ what: StaticString = "compact string") throws(KafkaDecodeError) -> String {
        guard let string = try readKafkaCompactNullableString(what) else { throw .invalid("\(what): null") }
        return string
    }

    mutating func writeKafkaCompactString(_ string: String?) {
        guard let string else { return writeKafkaUnsignedVarint(0) }
        writeKafkaUnsignedVarint(UInt32(string.utf8.count) + 1)
        writeString(string)
    }

    /// A compact array count: unsigned varint N+1, `nil` for 0 (null); checked against the remaining bytes.
    mutating func readKafkaCompactArrayCount(minElementSize: Int, _ what: StaticString) throws(KafkaDecodeError) -> Int?
    {
        let countPlusOne = try readKafkaUnsignedVarint(what)
        if countPlusOne == 0 { return nil }
        let count = Int(countPlusOne - 1)
        guard count <= readableBytes / max(minElementSize, 1) else { throw .truncated("\(what): count \(count)") }
        return count
    }

    mutating func writeKafkaCompactArrayCount(_ count: Int?) {
        guard let count else { return writeKafkaUnsignedVarint(0) }
        writeKafkaUnsignedVarint(UInt32(count) + 1)
    }

    /// Skips a tagged-field section: a count, then per field a tag, a size and that many bytes.
    mutating func skipKafkaTaggedFields() throws(KafkaDecodeError) {
        let count = try readKafkaUnsignedVarint("tagged field count")
        guard Int(count) <= readableBytes / 2 else { throw .truncated("tagged field count \(count)") }
        for _ in 0..<count {
            _ = try readKafkaUnsignedVarint("tag")
            let size = Int(try readKafkaUnsignedVarint("tagged field size"))
            guard size <= readableBytes else { throw .truncated("tagged field") }
            moveReaderIndex(forwardBy: size)
        }
    }

    /// An empty tagged-field section.
    mutating func writeKafkaEmptyTaggedFields() { writeInteger(UInt8(0)) }

    // MARK: - Zigzag varints (records)

    mutating func readKafkaVarlong(_ what: StaticString = "varlong") throws(KafkaDecodeError) -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw .truncated("\(what)") }
            guard shift < 63 || byte <= 1 else { throw .invalid("\(what): too long") }
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func readKafkaVarint(_ what: StaticString = "varint") throws(KafkaDecodeError) -> Int32 {
        let value = try readKafkaVarlong(what)
        guard let narrow = Int32(exactly: value) else { throw .invalid("\(what): out of int32 range") }
        return narrow
    }

    mutating func writeKafkaVarlong(_ value: Int64) {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        if raw < 0x80 {
            writeInteger(UInt8(raw))
            return
        }
        // One capacity check for the whole varint rather than one per byte (a hot path of the batch encoder).
        writeWithUnsafeMutableBytes(minimumWritableBytes: 10) { out in
            var n = 0
            while raw >= 0x80 {
                out[n] = UInt8(truncatingIfNeeded: raw) | 0x80
                raw >>= 7
                n += 1
            }
            out[n] = UInt8(raw)
            return n + 1
        }
    }

    mutating func writeKafkaVarint(_ value: Int32) { writeKafkaVarlong(Int64(value)) }

    /// Throws unless every byte was consumed.
    func expectKafkaEnd(_ what: StaticString) throws(KafkaDecodeError) {
        guard readableBytes == 0 else {
            throw KafkaDecodeError(.trailingBytes, "\(what): \(readableBytes) bytes left over")
        }
    }
}

/// Sizes of encoded zigzag varints, for length prefixes computed before writing.
enum KafkaVarint {
    static func size(_ value: Int64) -> Int {
        var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        var size = 1
        while raw >= 0x80 {
            raw >>= 7
            size += 1
        }
        return size
    }
    static func size(_ value: Int32) -> Int { size(Int64(value)) }
    static func size(_ value: Int) -> Int { size(Int64(value)) }
}
