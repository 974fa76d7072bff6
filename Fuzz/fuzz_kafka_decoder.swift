// The Kafka side of the libFuzzer target (`Fuzz/fuzz_decoder.swift` calls it for every input and every frame).
//
// Each body is read as one Kafka request frame (header, then the body when its key and version are spoken, at every
// version Sluice advertises, flexible ones included). A decoder may refuse any input with `KafkaDecodeError`; what it
// accepts must encode back to no more bytes than it came from (Kafka's encodings are not canonical: tagged fields
// are read past, so the re-encoding may be shorter) and decode again to the same request.

import NIOCore

@testable import SluiceKafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func decodeKafkaRequest(_ frame: ByteBuffer) {
    let decoded: (header: KafkaRequestHeader, request: KafkaRequest?)
    do {
        decoded = try KafkaRequest.decode(frame: frame)
    } catch {
        return
    }
    guard let request = decoded.request else { return }
    var again = ByteBuffer()
    decoded.header.encode(into: &again)
    request.encodeBody(version: decoded.header.apiVersion, into: &again)
    kafkaCheck(
        again.readableBytes <= frame.readableBytes,
        "decoded a \(request.apiKey) v\(decoded.header.apiVersion) request of \(again.readableBytes) bytes from \(frame.readableBytes)"
    )
    let reread = try? KafkaRequest.decode(frame: again)
    kafkaCheck(
        reread?.request == request, "\(request.apiKey) request does not round-trip: \(String(describing: reread))")
}

/// A frame of every Kafka request sample (`Tests/SluiceKafkaTests/RequestSamples.swift`) at every advertised
/// version, for the seed corpus.
func kafkaSeedFrames() -> [(name: String, frame: ByteBuffer)] {
    RequestSamples.all.flatMap { sample -> [(name: String, frame: ByteBuffer)] in
        guard let range = KafkaAPIVersions.range(of: sample.apiKey.rawValue) else { return [] }
        return (range.minVersion...range.maxVersion).map { version in
            var frame = ByteBuffer()
            var body = RequestSamples.frame(sample, version: version)
            frame.writeInteger(Int32(body.readableBytes))
            frame.writeBuffer(&body)
            return ("kafka-\(sample.apiKey)-v\(version)", frame)
        }
    }
}

private func kafkaCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("fuzz_decoder: \(message())\n", stderr)
        abort()
    }
}
