import SluiceCore

/// Where a fetch puts the records it reads from one partition, copied out of SQLite's buffers while they are valid.
///
/// `[Record]` is the default: values that any adapter can use. A protocol adapter can instead encode each record
/// straight into its wire form (both listeners do: `EncodedRecords` for the native protocol, a RecordBatch v2
/// writer for Kafka's), which saves building a `Record` per record and copying its bytes twice. `append` is called
/// in offset order, on a broker thread, with buffers valid only for the call; `finish` once after the partition's
/// read, before the sink is handed to the fetch's completion. A sink no read reached (an error, nothing past the
/// offset) is handed over as `init` made it, with neither.
package protocol FetchRecordSink: Sendable {
    /// An empty sink; `expectedBytes` is about how much record data (key, value, headers) will be appended.
    init(expectedBytes: Int)

    mutating func append(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headers: [Header])

    /// Completes what was appended (a wire format may have a header to fill in once the records are known).
    mutating func finish()
}

extension FetchRecordSink {
    package mutating func finish() {}
}

extension Array: FetchRecordSink where Element == Record {
    package init(expectedBytes: Int) {
        self.init()
    }

    package mutating func append(
        offset: Int64, timestamp: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headers: [Header]
    ) {
        append(
            Record(
                offset: offset, timestamp: timestamp, key: key.map { [UInt8]($0) },
                value: value.map { [UInt8]($0) }, headers: headers))
    }
}
