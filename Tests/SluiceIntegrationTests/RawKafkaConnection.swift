import Foundation
import SluiceCore

/// A blocking TCP connection to the Kafka listener that sends frames exactly as built: for feeding the server
/// hostile Kafka requests.
final class RawKafkaConnection {
    let fd: Int32

    /// Connects to `address` (`HOST:PORT`, IPv4).
    init(address: String, timeoutSeconds: Int = 10) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            throw SluiceError(.invalidArgument, "not HOST:PORT: \(address)")
        }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, String(parts[0]), &sin.sin_addr)
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw SluiceError(.connectionClosed, "connect \(address): \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Sends a request: the size prefix, header v1 (key, version, correlation id, client id) and `body`.
    func send(apiKey: Int16, version: Int16, correlationID: Int32 = 1, body: KafkaWire) {
        var frame = KafkaWire()
        frame.int16(apiKey)
        frame.int16(version)
        frame.int32(correlationID)
        frame.string("hostile")
        frame.bytes += body.bytes
        var prefixed = KafkaWire()
        prefixed.int32(Int32(frame.bytes.count))
        send(prefixed.bytes + frame.bytes)
    }

    /// Reads one whole frame (without its size prefix), or nil at end of stream or timeout.
    func readFrame() -> [UInt8]? {
        guard let prefix = read(count: 4) else { return nil }
        let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
        return read(count: length)
    }

    /// True when the server closed the connection (end of stream) within the receive timeout.
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    private func read(count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = buffer[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            offset += n
        }
        return buffer
    }
}

/// Kafka's big-endian primitives, written by hand (the tests do not link the server's codec).
struct KafkaWire {
    var bytes: [UInt8] = []

    mutating func int8(_ value: Int8) { bytes.append(UInt8(bitPattern: value)) }
    mutating func int16(_ value: Int16) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    mutating func int32(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    mutating func int64(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    mutating func string(_ value: String) {
        int16(Int16(value.utf8.count))
        bytes += Array(value.utf8)
    }
    mutating func blob(_ value: [UInt8]) {
        int32(Int32(value.count))
        bytes += value
    }
    mutating func array<T>(_ values: [T], _ element: (inout KafkaWire, T) -> Void) {
        int32(Int32(values.count))
        for value in values { element(&self, value) }
    }

    /// A RecordBatch v2 of one record whose records section is `records` as given, with the codec in the
    /// attributes (1 gzip) and a correct CRC-32C.
    static func recordBatch(records: [UInt8], codec: Int16) -> [UInt8] {
        var covered = KafkaWire()
        covered.int16(codec)  // attributes
        covered.int32(0)  // last offset delta
        covered.int64(0)  // base timestamp
        covered.int64(0)  // max timestamp
        covered.int64(-1)  // producer id
        covered.int16(-1)  // producer epoch
        covered.int32(-1)  // base sequence
        covered.int32(1)  // records count
        covered.bytes += records
        var batch = KafkaWire()
        batch.int64(0)  // base offset
        batch.int32(Int32(4 + 1 + 4 + covered.bytes.count))  // batch length: from the leader epoch on
        batch.int32(0)  // partition leader epoch
        batch.int8(2)  // magic
        batch.int32(Int32(bitPattern: crc32c(covered.bytes)))
        batch.bytes += covered.bytes
        return batch.bytes
    }

    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    /// `count` zero bytes, zlib-compressed (which the gzip codec's inflate accepts), by the system's python3.
    static func compressedZeros(_ count: Int) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sys, zlib; sys.stdout.buffer.write(zlib.compress(bytes(\(count)), 9))",
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !data.isEmpty else {
            throw SluiceError(.unknown, "python3 could not compress")
        }
        return Array(data)
    }
}

/// Reads Kafka big-endian primitives from a response.
struct KafkaReader {
    var bytes: [UInt8]
    var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func int16() -> Int16 {
        defer { at += 2 }
        return Int16(bitPattern: UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]))
    }
    mutating func int32() -> Int32 {
        defer { at += 4 }
        return Int32(bitPattern: bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) })
    }
    mutating func int64() -> Int64 {
        defer { at += 8 }
        return Int64(bitPattern: bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) })
    }
    mutating func string() -> String {
        let length = Int(int16())
        guard length > 0 else { return "" }
        defer { at += length }
        return String(decoding: bytes[at..<at + length], as: UTF8.self)
    }
    mutating func skip(_ count: Int) { at += count }
}
