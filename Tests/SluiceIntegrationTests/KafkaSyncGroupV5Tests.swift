import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// SyncGroup v5 against the real server: the protocol type and name a member sends are checked against the group's
/// (INCONSISTENT_GROUP_PROTOCOL when they differ, as in Apache Kafka), and the answer names them (a flexible
/// response, with response header v1).
@Suite struct KafkaSyncGroupV5Tests {
    static func compact(_ string: String) -> [UInt8] { [UInt8(string.utf8.count + 1)] + Array(string.utf8) }

    @Test func theProtocolIsCheckedAndNamed() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let kafka = try RawKafkaConnection(address: server.kafkaAddress, timeoutSeconds: 30)
        // JoinGroup v0 (no member id needed), a "consumer" group offering "range": answered after the initial delay.
        var join = KafkaWire()
        join.string("sg")
        join.int32(10_000)
        join.string("")
        join.string("consumer")
        join.int32(1)
        join.string("range")
        join.blob([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFF])
        kafka.send(apiKey: 11, version: 0, correlationID: 1, body: join)
        var joined = KafkaReader(try #require(kafka.readFrame(), "JoinGroup is answered"))
        #expect(joined.int32() == 1)
        #expect(joined.int16() == 0)
        let generation = joined.int32()
        #expect(joined.string() == "range")
        _ = joined.string()  // leader
        let memberID = joined.string()
        let assignment: [UInt8] = [0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        func sync(type: String, correlationID: Int32) throws -> KafkaReader {
            var body = KafkaWire()
            body.bytes = [0] + Self.compact("sg")
            body.int32(generation)
            body.bytes += Self.compact(memberID) + [0] + Self.compact(type) + Self.compact("range")
            body.bytes += [2] + Self.compact(memberID) + [UInt8(assignment.count + 1)] + assignment + [0, 0]
            kafka.send(apiKey: 14, version: 5, correlationID: correlationID, body: body)
            return KafkaReader(try #require(kafka.readFrame(), "SyncGroup v5 is answered"))
        }
        var refused = try sync(type: "connect", correlationID: 2)
        #expect(refused.int32() == 2)
        refused.skip(1 + 4)  // response header v1 tags, throttle
        #expect(refused.int16() == 23)  // INCONSISTENT_GROUP_PROTOCOL
        var synced = try sync(type: "consumer", correlationID: 3)
        #expect(synced.int32() == 3)
        synced.skip(1 + 4)
        #expect(synced.int16() == 0)
        #expect(Array(synced.bytes[synced.at..<(synced.at + 9)]) == Self.compact("consumer"))
        synced.skip(9)
        #expect(Array(synced.bytes[synced.at..<(synced.at + 6)]) == Self.compact("range"))
        synced.skip(6)
        #expect(Array(synced.bytes[synced.at..<(synced.at + 11)]) == [11] + assignment)
        synced.skip(11)
        #expect(synced.bytes.count == synced.at + 1)  // the body's tags
    }
}
