#if canImport(Glibc)
    import Glibc
#endif

/// Trims the server's resident code to the code it runs.
///
/// The kernel maps a file-backed page together with its neighbours that are already in the page cache
/// ("fault-around", 64 KiB at a time), so after start-up most of the binary's and the Swift runtime's code is
/// counted resident although an idle server runs a small part of it: measured, 5.8 of the 7.9 MB of `sluice`'s code
/// was resident at idle. Once the server is listening, `trim()` asks the kernel to stop reading around
/// (`MADV_RANDOM`) and to drop this process's mappings of read-only executable file pages (`MADV_DONTNEED`). The
/// pages stay in the page cache; whatever the server runs next is mapped again on first use, one page at a time.
///
/// Only private, read-only, executable mappings of files are touched: their contents are the file's, so dropping
/// them loses nothing (writable or relocated mappings would lose their changes and are never touched).
package enum ResidentCode {
    /// Returns the number of bytes of mappings trimmed (0 where the platform has no `/proc/self/maps`).
    @discardableResult
    package static func trim() -> Int {
        #if os(Linux)
            guard let maps = readMaps() else { return 0 }
            var trimmed = 0
            for line in maps.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // address perms offset dev inode path
                guard fields.count >= 6, fields[1] == "r-xp", fields[5].hasPrefix("/") else { continue }
                let range = fields[0].split(separator: "-")
                guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                    end > start, let address = UnsafeMutableRawPointer(bitPattern: start)
                else { continue }
                let length = Int(end - start)
                _ = madvise(address, length, MADV_RANDOM)
                if madvise(address, length, MADV_DONTNEED) == 0 { trimmed += length }
            }
            return trimmed
        #else
            return 0
        #endif
    }

    #if os(Linux)
        private static func readMaps() -> String? {
            let fd = open("/proc/self/maps", O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    #endif
}
