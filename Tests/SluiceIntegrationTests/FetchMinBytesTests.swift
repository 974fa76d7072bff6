import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// `minBytes` through the real server: a waiting fetch is answered once that many record bytes are available
/// across its partitions, not at the first produce.
@Suite struct FetchMinBytesIntegrationTests {
    @Test func aWaitingFetchIsAnsweredOnlyOnceMinBytesArrived() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let admin = try RawConnection(path: server.socketPath)
        try admin.createTopic("t", partitions: 2)
        let consumer = try RawConnection(path: server.socketPath, timeoutSeconds: 10)
        consumer.send(
            .fetch(
                FetchRequest(
                    maxWaitMs: 8000, minBytes: 64, maxBytes: 1 << 20,
                    topics: [
                        .init(
                            name: "t",
                            partitions: [
                                .init(partition: 0, offset: 0, partitionMaxBytes: 1 << 20),
                                .init(partition: 1, offset: 0, partitionMaxBytes: 1 << 20),
                            ])
                    ])), correlationID: 42)
        let value = String(repeating: "x", count: 20)
        // 20 + 20 bytes on two partitions: short of 64, so the fetch keeps waiting.
        _ = try admin.produce("t", partition: 0, strings: [value])
        _ = try admin.produce("t", partition: 1, strings: [value])
        var ready = pollfd(fd: consumer.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 300) == 0, "a fetch short of minBytes was answered early")
        // 40 more: 80 in all.
        let start = DispatchTime.now()
        _ = try admin.produce("t", partition: 0, strings: [value, value])
        let frame = try #require(consumer.readResponse())
        let elapsedMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        guard case .fetch(let fetch) = try frame.response(to: .fetch) else {
            throw SluiceError(.unknown, "bad response")
        }
        #expect(fetch.topics[0].partitions.map(\.records.count) == [3, 1])
        #expect(elapsedMs < 1000, "fetch answered \(elapsedMs) ms after minBytes arrived")
    }
}
