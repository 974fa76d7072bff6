import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// Idempotent produce across SIGKILL: a batch acknowledged before the kill and sent again after the restart is
/// stored once and answered with its original offsets; producer ids are never handed out twice.
@Suite(.serialized) struct IdempotenceCrashTests {
    func initProducerID(_ connection: RawConnection) throws -> InitProducerIDResponse {
        guard case .initProducerID(let identity) = try connection.call(.initProducerID(InitProducerIDRequest())) else {
            throw SluiceError(.unknown, "not an initProducerID response")
        }
        return identity
    }

    func produce(_ connection: RawConnection, _ values: [String], sequence: BatchSequence) throws
        -> ProduceResponse.Partition
    {
        let response = try connection.call(
            .produce(
                ProduceRequest(
                    timeoutMs: 10_000,
                    topics: [
                        .init(
                            name: "idem",
                            partitions: [
                                .init(
                                    partition: 0, records: values.map { ProducerRecord(value: Array($0.utf8)) },
                                    sequence: sequence)
                            ])
                    ])))
        guard case .produce(let produce) = response, let result = produce.topics.first?.partitions.first else {
            throw SluiceError(.unknown, "not a produce response: \(response)")
        }
        return result
    }

    @Test func aBatchAcknowledgedBeforeSIGKILLAndSentAgainIsStoredOnce() throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("idem", partitions: 1)
        _ = try connection.produce("idem", strings: ["before"])  // offset 0, no producer
        let identity = try initProducerID(connection)
        let first = BatchSequence(producerID: identity.producerID, epoch: identity.epoch, baseSequence: 0)
        let second = BatchSequence(producerID: identity.producerID, epoch: identity.epoch, baseSequence: 3)
        let acked = try produce(connection, ["a", "b", "c"], sequence: first)
        let ackedSecond = try produce(connection, ["d", "e"], sequence: second)
        #expect(acked.error == nil && acked.baseOffset == 1)
        #expect(ackedSecond.error == nil && ackedSecond.baseOffset == 4)
        server.kill()

        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        let again = try RawConnection(path: restarted.socketPath)
        // Sent again, as a producer that never saw the acknowledgement would: nothing new is stored.
        let resentFirst = try produce(again, ["a", "b", "c"], sequence: first)
        let resentSecond = try produce(again, ["d", "e"], sequence: second)
        #expect(
            resentFirst.error == nil && resentFirst.baseOffset == 1 && resentFirst.logAppendTime == acked.logAppendTime)
        #expect(resentSecond.error == nil && resentSecond.baseOffset == 4)
        #expect(try again.readAllStrings("idem") == ["before", "a", "b", "c", "d", "e"])
        // The producer goes on where it was; a gap is refused; ids are not handed out again.
        let next = try produce(
            again, ["f"], sequence: BatchSequence(producerID: identity.producerID, epoch: 0, baseSequence: 5))
        #expect(next.error == nil && next.baseOffset == 6)
        let gap = try produce(
            again, ["h"], sequence: BatchSequence(producerID: identity.producerID, epoch: 0, baseSequence: 9))
        #expect(gap.error?.code == .outOfOrderSequence)
        #expect(try initProducerID(again).producerID > identity.producerID)
        #expect(try again.readAllStrings("idem") == ["before", "a", "b", "c", "d", "e", "f"])
    }
}
