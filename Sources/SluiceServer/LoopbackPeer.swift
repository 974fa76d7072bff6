#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who is at the other end of a loopback TCP connection: the user that owns the peer's socket, as the kernel lists it
/// in `/proc/net/tcp` and `/proc/net/tcp6`.
///
/// TCP carries no peer credentials, but a peer on this host has a socket of its own whose local end is the
/// connection's remote end and whose remote end is the connection's local end; the kernel's socket table names the
/// uid that owns it. Only a socket in the `ESTABLISHED` state with both ends matching counts, so a closed or reused
/// port never lends its owner to another connection. Linux only; elsewhere nothing is found.
package enum LoopbackPeer {
    /// One end of a TCP connection: an IPv4 (4 bytes) or IPv6 (16 bytes) address and a port.
    package struct Endpoint: Sendable, Hashable {
        package var address: [UInt8]
        package var port: UInt16

        package init(address: [UInt8], port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    /// The uid owning the peer's socket of the connection whose ends are `local` (ours) and `remote` (the peer's);
    /// nil when no socket table lists it (the peer is not on this host, or the platform has no such table).
    package static func uid(local: Endpoint, remote: Endpoint) -> UInt32? {
        let tables = local.address.count == 4 ? ["/proc/net/tcp", "/proc/net/tcp6"] : ["/proc/net/tcp6"]
        for table in tables {
            guard let text = readFile(table) else { continue }
            if let uid = uid(in: text, local: local, remote: remote) { return uid }
        }
        return nil
    }

    /// Finds the peer's socket in the text of a socket table (`/proc/net/tcp` or `tcp6` format).
    package static func uid(in table: String, local: Endpoint, remote: Endpoint) -> UInt32? {
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
            guard fields.count > 7, fields[3] == "01",  // TCP_ESTABLISHED
                let socketLocal = endpoint(fields[1]), let socketRemote = endpoint(fields[2]),
                matches(socketLocal, remote), matches(socketRemote, local)
            else { continue }
            return UInt32(fields[7])
        }
        return nil
    }

    /// Parses `ADDRESS:PORT` as the kernel prints it: the address as 32-bit words in hex, each in host byte order,
    /// the port in hex.
    static func endpoint(_ text: Substring) -> Endpoint? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16),
            parts[0].count == 8 || parts[0].count == 32
        else { return nil }
        var address: [UInt8] = []
        var index = parts[0].startIndex
        while index < parts[0].endIndex {
            let next = parts[0].index(index, offsetBy: 8)
            guard let word = UInt32(parts[0][index..<next], radix: 16) else { return nil }
            // The word holds the address bytes in memory order, read as a host integer.
            #if _endian(little)
                address += [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: word >> $0) }
            #else
                address += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) }
            #endif
            index = next
        }
        return Endpoint(address: address, port: port)
    }

    /// The same end, an IPv4 address also matching its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`).
    static func matches(_ a: Endpoint, _ b: Endpoint) -> Bool {
        a.port == b.port && mapped(a.address) == mapped(b.address)
    }

    private static func mapped(_ address: [UInt8]) -> [UInt8] {
        address.count == 4 ? Array(repeating: 0, count: 10) + [0xff, 0xff] + address : address
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
