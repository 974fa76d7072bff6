import Foundation
import SluiceCore
import SluiceProtocol
import Testing

/// A Kafka request for an API or version Sluice does not speak, against the real server: ApiVersions is answered
/// UNSUPPORTED_VERSION at version 0 (KIP-511) and the connection goes on; anything else closes the connection, as
/// Apache Kafka does. Either way the server logs a warning naming the client id and the peer, once a minute per
/// client id, API and version, and counts it in `sluice_kafka_unsupported_requests_total`.
@Suite struct KafkaUnsupportedRequestTests {
    static func stats(_ server: ServerProcess) throws -> String {
        let connection = try RawConnection(path: server.socketPath)
        guard case .stats(let stats) = try connection.call(.stats(StatsRequest())) else {
            throw SluiceError(.unknown, "not a stats response")
        }
        return stats.text
    }

    /// The value of `sluice_kafka_unsupported_requests_total` with these labels, 0 when absent.
    static func unsupported(_ text: String, api: String, version: String) -> Double {
        for line in text.split(separator: "\n")
        where line.hasPrefix("sluice_kafka_unsupported_requests_total{") && line.contains("api=\"\(api)\"")
            && line.contains("version=\"\(version)\"")
        {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    static func warnings(_ server: ServerProcess) -> [Substring] {
        server.log.split(separator: "\n").filter { $0.contains("kafka request for an API or version") }
    }

    @Test func anUnspokenAPIOrVersionClosesTheConnectionIsLoggedOnceAndCounted() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        // Metadata v99 three times, an unknown API once: four closed connections.
        for (key, version) in [(Int16(3), Int16(99)), (3, 99), (3, 99), (999, 0)] {
            let kafka = try RawKafkaConnection(address: server.kafkaAddress)
            // Metadata is flexible from v9, so v99's header (v2) ends with a tagged-field section: an empty one.
            var body = KafkaWire()
            if key == 3 { body.int8(0) }
            kafka.send(apiKey: key, version: version, body: body)
            #expect(kafka.isClosedByServer(), "API \(key) v\(version)")
        }
        let text = try Self.stats(server)
        #expect(Self.unsupported(text, api: "3", version: "99") == 3)
        #expect(Self.unsupported(text, api: "999", version: "0") == 1)
        // One line per client id, API and version within the minute, with the client id and the peer's address.
        let lines = Self.warnings(server)
        #expect(lines.count == 2, "\(lines)")
        let metadata = try #require(lines.first { $0.contains("api_version=99") })
        #expect(metadata.contains("warning"))
        #expect(metadata.contains("client_id=hostile"))
        #expect(metadata.contains("peer=127.0.0.1:"))
        #expect(metadata.contains("answer=connection closed"))
    }

    @Test func apiVersionsAtAnUnknownVersionIsAnsweredAtV0AndTheConnectionGoesOn() throws {
        let server = try ServerProcess().start(extraArguments: ["--kafka-listen", "127.0.0.1:0"])
        defer { server.cleanUp() }
        let kafka = try RawKafkaConnection(address: server.kafkaAddress)
        // v9 would be flexible: its header ends with an (empty) tagged-field section.
        var headerTags = KafkaWire()
        headerTags.int8(0)
        kafka.send(apiKey: 18, version: 9, correlationID: 5, body: headerTags)
        let answer = try #require(kafka.readFrame(), "ApiVersions v9 is answered")
        var reader = KafkaReader(answer)
        #expect(reader.int32() == 5)
        #expect(reader.int16() == 35)  // UNSUPPORTED_VERSION
        let count = reader.int32()
        var ranges: [Int16: (Int16, Int16)] = [:]
        for _ in 0..<count {
            let key = reader.int16()
            ranges[key] = (reader.int16(), reader.int16())
        }
        #expect(ranges[18].map { $0 == (0, 4) } == true, "ApiVersions 0–4 is listed")
        // The client retries at a version it now knows is spoken, on the same connection.
        kafka.send(apiKey: 18, version: 0, correlationID: 6, body: KafkaWire())
        var retried = KafkaReader(try #require(kafka.readFrame(), "ApiVersions v0 is answered"))
        #expect(retried.int32() == 6 && retried.int16() == 0)
        #expect(Self.unsupported(try Self.stats(server), api: "18", version: "9") == 1)
        #expect(Self.warnings(server).first?.contains("answer=UNSUPPORTED_VERSION") == true)
    }
}
