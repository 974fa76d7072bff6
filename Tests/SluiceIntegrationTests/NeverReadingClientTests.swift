import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// A client that sends requests and never reads the answers cannot make the server's memory grow without bound:
/// the server stops reading a connection whose responses are not being read.
@Suite(.serialized) struct NeverReadingClientTests {
    /// Peak resident memory of a process, in kB (VmHWM from /proc/PID/status).
    static func peakKB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }

    @Test func fetchesNeverReadKeepTheServersMemoryBounded() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let setup = try RawConnection(path: server.socketPath)
        try setup.createTopic("big")
        let value = [UInt8](repeating: 0x61, count: 4096)
        for _ in 0..<64 {
            _ = try setup.produce("big", values: Array(repeating: value, count: 64))
        }
        // 64 x 64 x 4 KiB = 16 MiB stored; every fetch below asks for 4 MiB of it.
        _ = try setup.fetch("big")
        let before = Self.peakKB(server.pid)

        let greedy = try RawConnection(path: server.socketPath)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(greedy.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let fetch = Request.fetch(
            FetchRequest(
                maxWaitMs: 0, minBytes: 1, maxBytes: 4 << 20,
                topics: [
                    .init(name: "big", partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: 4 << 20)])
                ]))
        let frame = Array(fetch.frame(correlationID: 1).readableBytesView)
        // Unanswered, 5,000 of these would be 20 GB of responses. Send until the server stops reading (the send
        // times out once the socket buffers are full) or all are sent.
        var sent = 0
        while sent < 5_000 {
            let n = frame.withUnsafeBytes { Foundation.send(greedy.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < frame.count { break }
            sent += 1
        }
        try await Task.sleep(for: .seconds(1))
        let after = Self.peakKB(server.pid)
        // The server still serves others meanwhile.
        let other = try RawConnection(path: server.socketPath)
        #expect(try other.metadata(["big"]).topics.first?.partitions.count == 1)
        print(
            "never-reading client: \(sent) fetches sent; server peak RSS \(before / 1024) MB before, \(after / 1024) MB after"
        )
        #expect(sent < 5_000, "the server kept reading a connection whose responses nobody reads")
        #expect(after - before < 256 * 1024, "peak RSS grew by \((after - before) / 1024) MB")
    }
}
