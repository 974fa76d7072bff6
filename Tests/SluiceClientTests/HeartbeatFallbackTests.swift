import Foundation
import Logging
import SluiceBroker
import SluiceClient
import SluiceCore
import SluiceServer
import Synchronization
import Testing

/// A consumer in front of a server from before held heartbeats (heartbeat version 1) falls back to version 0
/// heartbeats at its interval and still follows the group's rebalances (`docs/PROTOCOL.md`, "Consumer groups").
@Suite struct HeartbeatFallbackTests {
    @Test func aConsumerHeartbeatsAtVersionZeroWhenVersionOneIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-v0-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let broker = try Broker(dataDirectory: directory, logger: logger)
        let socket = directory + "/sluice.sock"
        let server = SluiceServer(
            configuration: ServerConfiguration(socketPath: socket), broker: broker, logger: logger)
        try await server.start()
        let proxy = try OldServerProxy(path: directory + "/old.sock", upstream: socket)

        let client = try await SluiceClient.connect(socketPath: proxy.path)
        try await client.createTopic("t", partitions: 2)
        var configuration = ConsumerConfiguration(group: "g", autoOffsetReset: .earliest)
        configuration.heartbeatIntervalMs = 200
        configuration.sessionTimeoutMs = 30_000
        configuration.autoCommitIntervalMs = nil
        let first = try await client.makeConsumer(configuration)
        try await first.subscribe(["t"])
        let pollingFirst = Task { while !Task.isCancelled { _ = try? await first.poll(maxWaitMs: 50) } }
        var deadline = ContinuousClock.now + .seconds(30)
        while await first.assignment.count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await first.assignment.count == 2)
        deadline = ContinuousClock.now + .seconds(30)
        while proxy.heartbeatVersions.filter({ $0 == 0 }).count < 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }

        // A second member joins on the server directly: the first hears of it through its version 0 heartbeats and
        // hands a partition over.
        let direct = try await SluiceClient.connect(socketPath: socket)
        let second = try await direct.makeConsumer(configuration)
        try await second.subscribe(["t"])
        let pollingSecond = Task { while !Task.isCancelled { _ = try? await second.poll(maxWaitMs: 50) } }
        deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if await first.assignment.count == 1, await second.assignment.count == 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await first.assignment.count == 1)
        #expect(await second.assignment.count == 1)
        let versions = proxy.heartbeatVersions
        #expect(versions.first == 1, "the consumer tries held heartbeats first")
        #expect(versions.dropFirst().allSatisfy { $0 == 0 }, "and never again once refused: \(versions)")
        #expect(versions.count >= 4)

        pollingFirst.cancel()
        pollingSecond.cancel()
        await first.close()
        await second.close()
        await client.close()
        await direct.close()
        proxy.stop()
        await server.shutdown()
    }
}

/// A Unix-socket proxy in front of a real server that plays a server from before held heartbeats: it answers a
/// heartbeat at version 1 itself with `unsupported_version` and passes every other frame through unchanged.
final class OldServerProxy: Sendable {
    let path: String
    private let listener: Int32
    private let versions = Mutex<[Int16]>([])

    /// The versions of the heartbeats clients sent, in order.
    var heartbeatVersions: [Int16] { versions.withLock { $0 } }

    init(path: String, upstream: String) throws {
        self.path = path
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard Self.withAddress(path, { bind(listener, $0, $1) }) == 0, listen(listener, 8) == 0 else {
            throw SluiceError(.unknown, "cannot listen on \(path)")
        }
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                guard Self.withAddress(upstream, { connect(server, $0, $1) }) == 0 else {
                    close(client)
                    close(server)
                    continue
                }
                let toClient = Downstream(client)
                Thread.detachNewThread { [self] in pumpRequests(from: client, to: server, answering: toClient) }
                Thread.detachNewThread { Self.pumpResponses(from: server, to: toClient) }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The client's side of a connection: the two pumps write whole frames to it, one at a time.
    private final class Downstream: Sendable {
        let fd: Int32
        private let lock = Mutex(())

        init(_ fd: Int32) { self.fd = fd }

        func write(_ bytes: [UInt8]) -> Bool { lock.withLock { _ in OldServerProxy.writeAll(fd, bytes) } }
    }

    private func pumpRequests(from client: Int32, to server: Int32, answering toClient: Downstream) {
        while let frame = Self.readFrame(client), frame.count >= 12 {
            let apiKey = Int16(frame[4]) << 8 | Int16(frame[5])
            let version = Int16(frame[6]) << 8 | Int16(frame[7])
            if apiKey == 12 {
                versions.withLock { $0.append(version) }
                if version == 1 {
                    let message = Array("heartbeat version 1 is not supported".utf8)
                    let body = Array(frame[8..<12]) + [0, 3] + [0, UInt8(message.count)] + message
                    let length = withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init)
                    _ = toClient.write(length + body)
                    continue
                }
            }
            if !Self.writeAll(server, frame) { break }
        }
        shutdown(server, Int32(SHUT_RDWR))
    }

    private static func pumpResponses(from server: Int32, to client: Downstream) {
        while let frame = readFrame(server) {
            if !client.write(frame) { break }
        }
        shutdown(client.fd, Int32(SHUT_RDWR))
    }

    /// One whole frame, its length prefix included; nil at end of stream.
    private static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let prefix = readExactly(fd, 4) else { return nil }
        let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
        guard let body = readExactly(fd, length) else { return nil }
        return prefix + body
    }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = bytes[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            offset += n
        }
        return bytes
    }

    fileprivate static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
