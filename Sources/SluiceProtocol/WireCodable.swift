import NIOCore
import SluiceCore

/// A value with exactly one wire encoding (see `docs/PROTOCOL.md`).
///
/// Internal on purpose: the package surface is `Request`, `Response`, their frame functions and `FrameDecoder`.
protocol WireCodable {
    /// The fewest bytes one encoded value can take. Arrays check their count against it before allocating anything.
    static var minWireSize: Int { get }
    /// The number of bytes `write(to:)` appends: exact, except for strings too long for the wire (which are truncated).
    var wireSize: Int { get }
    /// Reads one value; throws `.malformedRequest` on short or invalid data.
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> Self
    func write(to buffer: inout ByteBuffer)
}

extension WireCodable {
    static var minWireSize: Int { 1 }
}

extension SluiceError {
    static func malformed(_ message: String) -> SluiceError {
        SluiceError(.malformedRequest, message)
    }
}

extension String: WireCodable {
    static var minWireSize: Int { 2 }
    var wireSize: Int { WireSize.string(self) }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> String { try buffer.readWireString() }
    func write(to buffer: inout ByteBuffer) { buffer.writeWireString(self) }
}

extension Int32: WireCodable {
    static var minWireSize: Int { 4 }
    var wireSize: Int { 4 }
    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> Int32 { try buffer.readInt32() }
    func write(to buffer: inout ByteBuffer) { buffer.writeInt32(self) }
}

/// Encoded sizes of the wire primitives, for reserving capacity before a one-pass encode.
enum WireSize {
    static let maxStringLength = Int(Int16.max)

    static func string(_ string: String) -> Int { 2 + min(string.utf8.count, maxStringLength) }
    static func nullableString(_ string: String?) -> Int {
        guard let string else { return 2 }
        return self.string(string)
    }
    static func nullableBytes(_ bytes: [UInt8]?) -> Int { 4 + (bytes?.count ?? 0) }
    static func error(_ error: SluiceError?) -> Int { 2 + nullableString(error?.message) }

    static func array<T: WireCodable>(_ elements: [T]) -> Int {
        var size = 4
        for element in elements { size += element.wireSize }
        return size
    }

    static func nullableArray<T: WireCodable>(_ elements: [T]?) -> Int {
        guard let elements else { return 4 }
        return array(elements)
    }
}

// MARK: - Reading

extension ByteBuffer {
    mutating func readInt8() throws(SluiceError) -> Int8 { try readFixed() }
    mutating func readInt16() throws(SluiceError) -> Int16 { try readFixed() }
    mutating func readInt32() throws(SluiceError) -> Int32 { try readFixed() }
    mutating func readInt64() throws(SluiceError) -> Int64 { try readFixed() }

    private mutating func readFixed<T: FixedWidthInteger>() throws(SluiceError) -> T {
        guard let value = readInteger(endianness: .big, as: T.self) else {
            throw .malformed(
                "truncated: needed \(MemoryLayout<T>.size) bytes for an int\(T.bitWidth), \(readableBytes) left")
        }
        return value
    }

    /// Reads a `string`: int16 length (never -1) and that many bytes of valid UTF-8.
    mutating func readWireString() throws(SluiceError) -> String {
        let length = try readInt16()
        if length == -1 { throw .malformed("null where a string is required") }
        return try readUTF8(length: Int(length))
    }

    /// Reads a `nullable string`: int16 length, -1 for null.
    mutating func readNullableString() throws(SluiceError) -> String? {
        let length = try readInt16()
        if length == -1 { return nil }
        return try readUTF8(length: Int(length))
    }

    private mutating func readUTF8(length: Int) throws(SluiceError) -> String {
        try checkLength(length, of: "string")
        if #available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *) {
            // Cannot fail to find the bytes (checked above); fails only on invalid UTF-8.
            if let string = try? readUTF8ValidatedString(length: length) { return string }
        } else {
            let view = readableBytesView.prefix(length)
            let string = String(decoding: view, as: UTF8.self)
            if string.utf8.elementsEqual(view) {
                moveReaderIndex(forwardBy: length)
                return string
            }
        }
        throw .malformed("string of \(length) bytes is not valid UTF-8")
    }

    /// Reads `nullable bytes`: int32 length, -1 for null.
    mutating func readNullableBytes() throws(SluiceError) -> [UInt8]? {
        let length = try readInt32()
        if length == -1 { return nil }
        try checkLength(Int(length), of: "bytes")
        return readBytes(length: Int(length))
    }

    /// Reads an `array<T>`: int32 count (never -1) and that many elements.
    mutating func readArray<T: WireCodable>(of _: T.Type = T.self) throws(SluiceError) -> [T] {
        let count = try readInt32()
        if count == -1 { throw .malformed("null where an array is required") }
        return try readElements(count: Int(count))
    }

    /// Reads a `nullable array<T>`: int32 count, -1 for null.
    mutating func readNullableArray<T: WireCodable>(of _: T.Type = T.self) throws(SluiceError) -> [T]? {
        let count = try readInt32()
        if count == -1 { return nil }
        return try readElements(count: Int(count))
    }

    /// Reads a (non-null) array count and checks that so many elements of at least `minElementSize` bytes fit in
    /// what is left, for arrays whose elements are read by hand.
    mutating func readCount(minElementSize: Int) throws(SluiceError) -> Int {
        let count = Int(try readInt32())
        if count == -1 { throw .malformed("null where an array is required") }
        try checkCount(count, minElementSize: minElementSize)
        return count
    }

    private func checkCount(_ count: Int, minElementSize: Int) throws(SluiceError) {
        if count < 0 { throw .malformed("negative array count \(count)") }
        // Every element takes at least `minElementSize` bytes: a count that cannot fit is refused before allocating.
        if count > readableBytes / minElementSize {
            throw .malformed("array of \(count) elements cannot fit in the \(readableBytes) bytes left")
        }
    }

    private mutating func readElements<T: WireCodable>(count: Int) throws(SluiceError) -> [T] {
        try checkCount(count, minElementSize: T.minWireSize)
        var elements: [T] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try T.read(from: &self)) }
        return elements
    }

    /// Reads an error code and a nullable message; code 0 is `nil`. Codes this build does not know become `.unknown`.
    mutating func readError() throws(SluiceError) -> SluiceError? {
        let raw = try readInt16()
        let message = try readNullableString()
        if raw == 0 { return nil }
        guard let code = ErrorCode(rawValue: raw) else {
            return SluiceError(.unknown, "error code \(raw): \(message ?? "no message")")
        }
        return SluiceError(code, message ?? code.name)
    }

    private func checkLength(_ length: Int, of kind: String) throws(SluiceError) {
        if length < 0 { throw .malformed("negative \(kind) length \(length)") }
        if length > readableBytes {
            throw .malformed("\(kind) length \(length) exceeds the \(readableBytes) bytes left")
        }
    }
}

// MARK: - Writing

extension ByteBuffer {
    mutating func writeInt8(_ value: Int8) { writeInteger(value, endianness: .big) }
    mutating func writeInt16(_ value: Int16) { writeInteger(value, endianness: .big) }
    mutating func writeInt32(_ value: Int32) { writeInteger(value, endianness: .big) }
    mutating func writeInt64(_ value: Int64) { writeInteger(value, endianness: .big) }

    /// Writes a `string`. One longer than 32767 UTF-8 bytes is cut at the last whole character that fits.
    mutating func writeWireString(_ string: String) {
        let utf8 = string.utf8
        if utf8.count <= WireSize.maxStringLength {
            writeInt16(Int16(truncatingIfNeeded: utf8.count))
            writeString(string)
        } else {
            var end = utf8.index(utf8.startIndex, offsetBy: WireSize.maxStringLength)
            while UTF8.isContinuation(utf8[end]) { utf8.formIndex(before: &end) }
            let prefix = utf8[..<end]
            writeInt16(Int16(truncatingIfNeeded: prefix.count))
            writeBytes(prefix)
        }
    }

    mutating func writeNullableString(_ string: String?) {
        if let string { writeWireString(string) } else { writeInt16(-1) }
    }

    mutating func writeNullableBytes(_ bytes: [UInt8]?) {
        guard let bytes else { return writeInt32(-1) }
        writeInt32(Int32(bytes.count))
        writeBytes(bytes)
    }

    mutating func writeArray<T: WireCodable>(_ elements: [T]) {
        writeInt32(Int32(elements.count))
        for element in elements { element.write(to: &self) }
    }

    mutating func writeNullableArray<T: WireCodable>(_ elements: [T]?) {
        if let elements { writeArray(elements) } else { writeInt32(-1) }
    }

    /// Writes an error code and message; `nil` is code 0 and a null message.
    mutating func writeError(_ error: SluiceError?) {
        writeInt16(error?.code.rawValue ?? 0)
        writeNullableString(error?.message)
    }
}
