/// A record header: an ordered name and value pair, as in Kafka.
public struct Header: Sendable, Hashable {
    public var name: String
    /// The header's value; `nil` is distinct from an empty value.
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// A record on its way into a partition: what a producer supplies.
public struct ProducerRecord: Sendable, Hashable {
    public var key: [UInt8]?
    /// `nil` is a tombstone under compaction; an empty array is an empty value.
    public var value: [UInt8]?
    public var headers: [Header]
    /// Milliseconds since the Unix epoch; `nil` asks the broker to stamp the record at append.
    public var timestamp: Int64?

    public init(key: [UInt8]? = nil, value: [UInt8]?, headers: [Header] = [], timestamp: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Bytes this record counts for against size limits: key, value and headers.
    public var sizeInBytes: Int {
        var n = (key?.count ?? 0) + (value?.count ?? 0)
        for header in headers { n += header.name.utf8.count + (header.value?.count ?? 0) }
        return n
    }
}

/// A record stored in a partition, with the offset and timestamp it was given.
public struct Record: Sendable, Hashable {
    public var offset: Int64
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]

    public init(offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [Header] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    public var sizeInBytes: Int {
        var n = (key?.count ?? 0) + (value?.count ?? 0)
        for header in headers { n += header.name.utf8.count + (header.value?.count ?? 0) }
        return n
    }
}
