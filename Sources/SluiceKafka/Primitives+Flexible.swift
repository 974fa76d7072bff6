import NIOCore

/// Readers and writers that take the message's encoding as a flag: `flexible` (KIP-482) uses compact strings,
/// arrays and bytes (unsigned varint N+1, 0 = null) and a tagged-field section after each structure; otherwise
/// the classic int16 / int32 lengths. A message reads `flexible` once from `KafkaFlexibleVersions` and passes it
/// down, so one decoder serves every version of an API.
extension ByteBuffer {
    // MARK: - Strings

    mutating func readKafkaString(_ what: StaticString, flexible: Bool) throws(KafkaDecodeError) -> String {
        flexible ? try readKafkaCompactString(what) : try readKafkaString(what)
    }

    mutating func readKafkaNullableString(_ what: StaticString, flexible: Bool) throws(KafkaDecodeError) -> String? {
        flexible ? try readKafkaCompactNullableString(what) : try readKafkaNullableString(what)
    }

    mutating func writeKafkaString(_ string: String, flexible: Bool) {
        flexible ? writeKafkaCompactString(string) : writeKafkaString(string)
    }

    mutating func writeKafkaNullableString(_ string: String?, flexible: Bool) {
        flexible ? writeKafkaCompactString(string) : writeKafkaNullableString(string)
    }

    // MARK: - Bytes

    /// Bytes (not null) copied into an array: int32 length, or compact (N+1) when flexible.
    mutating func readKafkaByteArray(_ what: StaticString, flexible: Bool) throws(KafkaDecodeError) -> [UInt8] {
        guard flexible else { return try readKafkaByteArray(what) }
        let lengthPlusOne = try readKafkaUnsignedVarint(what)
        guard lengthPlusOne > 0 else { throw .invalid("\(what): null") }
        let length = Int(lengthPlusOne - 1)
        guard length <= readableBytes, let bytes = readBytes(length: length) else { throw .truncated("\(what)") }
        return bytes
    }

    mutating func writeKafkaBytes(_ bytes: [UInt8], flexible: Bool) {
        guard flexible else { return writeKafkaBytes(bytes) }
        writeKafkaUnsignedVarint(UInt32(bytes.count) + 1)
        writeBytes(bytes)
    }

    // MARK: - Arrays

    /// An array count, `nil` for null, checked against the remaining bytes like `readKafkaNullableArrayCount`.
    mutating func readKafkaNullableArrayCount(minElementSize: Int, _ what: StaticString, flexible: Bool)
        throws(KafkaDecodeError) -> Int?
    {
        flexible
            ? try readKafkaCompactArrayCount(minElementSize: minElementSize, what)
            : try readKafkaNullableArrayCount(minElementSize: minElementSize, what)
    }

    mutating func readKafkaNullableArray<T>(
        minElementSize: Int, _ what: StaticString, flexible: Bool,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T]? {
        guard
            let count = try readKafkaNullableArrayCount(minElementSize: minElementSize, what, flexible: flexible)
        else { return nil }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    /// A non-null array. `element` reads one element, including its tagged fields when it is a structure.
    mutating func readKafkaArray<T>(
        minElementSize: Int, _ what: StaticString, flexible: Bool,
        _ element: (inout ByteBuffer) throws(KafkaDecodeError) -> T
    ) throws(KafkaDecodeError) -> [T] {
        guard
            let array = try readKafkaNullableArray(
                minElementSize: minElementSize, what, flexible: flexible, element)
        else { throw .invalid("\(what): null array") }
        return array
    }

    mutating func writeKafkaArray<T>(_ elements: [T], flexible: Bool, _ element: (inout ByteBuffer, T) -> Void) {
        if flexible { writeKafkaCompactArrayCount(elements.count) } else { writeKafkaInt32(Int32(elements.count)) }
        for value in elements { element(&self, value) }
    }

    mutating func writeKafkaNullableArray<T>(
        _ elements: [T]?, flexible: Bool, _ element: (inout ByteBuffer, T) -> Void
    ) {
        guard let elements else { return flexible ? writeKafkaCompactArrayCount(nil) : writeKafkaInt32(-1) }
        writeKafkaArray(elements, flexible: flexible, element)
    }

    mutating func readKafkaInt32Array(_ what: StaticString, flexible: Bool) throws(KafkaDecodeError) -> [Int32] {
        try readKafkaArray(minElementSize: 4, what, flexible: flexible) { buffer throws(KafkaDecodeError) in
            try buffer.readKafkaInt32(what)
        }
    }

    mutating func writeKafkaInt32Array(_ values: [Int32], flexible: Bool) {
        writeKafkaArray(values, flexible: flexible) { $0.writeKafkaInt32($1) }
    }

    mutating func readKafkaStringArray(_ what: StaticString, flexible: Bool) throws(KafkaDecodeError) -> [String] {
        try readKafkaArray(minElementSize: flexible ? 1 : 2, what, flexible: flexible) {
            buffer throws(KafkaDecodeError) in
            try buffer.readKafkaString(what, flexible: flexible)
        }
    }

    mutating func writeKafkaStringArray(_ values: [String], flexible: Bool) {
        writeKafkaArray(values, flexible: flexible) { $0.writeKafkaString($1, flexible: flexible) }
    }

    // MARK: - Tagged fields and UUIDs

    /// Skips a structure's tagged fields when the message is flexible (Sluice reads none of them).
    mutating func skipKafkaTaggedFields(flexible: Bool) throws(KafkaDecodeError) {
        if flexible { try skipKafkaTaggedFields() }
    }

    /// Ends a structure: an empty tagged-field section when the message is flexible.
    mutating func writeKafkaEmptyTaggedFields(flexible: Bool) {
        if flexible { writeKafkaEmptyTaggedFields() }
    }

    /// A UUID (16 bytes), kept as its bytes; Sluice names topics by name and answers the all-zero id.
    mutating func readKafkaUUID(_ what: StaticString = "uuid") throws(KafkaDecodeError) -> KafkaUUID {
        guard let bytes = readBytes(length: 16) else { throw .truncated("\(what)") }
        return KafkaUUID(bytes: bytes)
    }

    mutating func writeKafkaUUID(_ uuid: KafkaUUID) {
        writeBytes(uuid.bytes)
    }
}

/// A Kafka UUID (topic ids): 16 bytes. Sluice topics have no id; it answers `zero`, which Kafka's clients read as
/// "no id".
package struct KafkaUUID: Sendable, Hashable {
    package var bytes: [UInt8]

    package init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a UUID is 16 bytes")
        self.bytes = bytes
    }

    package static let zero = KafkaUUID(bytes: Array(repeating: 0, count: 16))
}
