// A libFuzzer target for the wire decoders: `Scripts/fuzz-decoder` builds and runs it.
//
// Each input is read four ways: as a stream of frames (through `FrameDecoder`, each body decoded as a request and
// as a response to every API, and as a Kafka request), as one request body, as one response body, and as one Kafka
// request frame (`fuzz_kafka_decoder.swift`). A decoder may refuse any input, but
// only with `SluiceError`'s request-level codes; whatever it accepts must account for every byte it was given and
// encode back to a value that decodes to itself. Anything else stops the run with a crash report, and so do the
// sanitizers: AddressSanitizer on memory errors, libFuzzer on a slow input (`-timeout`) or one large allocation
// (`-malloc_limit_mb`, how an untrusted length field would show).

import NIOCore
import SluiceCore
import SluiceProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The largest frame the stream reading accepts; the server's default is 16 MiB, but inputs are far smaller.
private let maxFrameSize = 1 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    decodeStream(input)
    decodeRequest(input)
    decodeResponse(input)
    decodeKafkaRequest(input)
    return 0
}

/// With `SLUICE_FUZZ_SEEDS=DIR` in the environment, writes the frame of every request and response the protocol
/// tests use as fixtures (`Tests/SluiceProtocolTests/Fixtures.swift`, compiled in) into DIR, for the seed corpus.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
)
    -> CInt
{
    guard let dir = getenv("SLUICE_FUZZ_SEEDS").map({ String(cString: $0) }) else { return 0 }
    for (index, request) in Fixtures.requests.enumerated() {
        write(request.frame(correlationID: Int32(index)), to: "\(dir)/request-\(index)-\(request.apiKey.name)")
    }
    for (index, response) in Fixtures.responses.enumerated() {
        var frame = ByteBuffer()
        response.encodeFrame(correlationID: Int32(index), into: &frame)
        write(frame, to: "\(dir)/response-\(index)-\(response.apiKey.name)")
    }
    for (name, frame) in kafkaSeedFrames() { write(frame, to: "\(dir)/\(name)") }
    return 0
}

private func write(_ buffer: ByteBuffer, to path: String) {
    guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
    let bytes = Array(buffer.readableBytesView)
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
}

private func decodeStream(_ input: ByteBuffer) {
    var buffer = input
    var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
    while true {
        let declared = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self)
        do {
            guard let body = try decoder.decodeLast(buffer: &buffer, seenEOF: true) else { return }
            check(body.readableBytes == Int(declared ?? 0), "FrameDecoder returned a body of the wrong size")
            decodeRequest(body)
            decodeResponse(body)
            decodeKafkaRequest(body)
        } catch let error as SluiceError {
            switch error.code {
            case .frameTooLarge: check(Int(declared ?? 0) > maxFrameSize, "frame_too_large within the limit")
            case .connectionClosed: check(buffer.readableBytes > 0, "connection_closed with nothing left")
            default: check(false, "FrameDecoder threw \(error.code.name): \(error)")
            }
            return
        } catch {
            check(false, "FrameDecoder threw \(error)")
        }
    }
}

private func decodeRequest(_ body: ByteBuffer) {
    var payload = body
    let request: Request
    do {
        let header = try RequestHeader.decode(from: &payload)
        request = try Request.decode(header: header, payload: &payload)
    } catch {
        check(
            [.malformedRequest, .unsupportedRequest, .unsupportedVersion].contains(error.code),
            "request decoder threw \(error.code.name): \(error)")
        return
    }
    // Every field has one encoding of a size fixed by its value, so the value re-encodes to as many bytes.
    let frame = request.frame(correlationID: 0)
    check(
        frame.readableBytes == 4 + body.readableBytes,
        "decoded a \(request.apiKey.name) request of \(frame.readableBytes - 4) bytes from \(body.readableBytes)")
    var body = frame
    body.moveReaderIndex(forwardBy: 4)
    let again = try? Request.decode(header: RequestHeader.decode(from: &body), payload: &body)
    check(again == request, "request does not round-trip: \(String(describing: again))")
}

private func decodeResponse(_ body: ByteBuffer) {
    let frame: ResponseFrame
    do {
        frame = try ResponseFrame.decode(from: body)
    } catch {
        check(error.code == .malformedRequest, "response header decoder threw \(error.code.name): \(error)")
        return
    }
    if frame.error != nil { return }
    for key in APIKey.allCases {
        let response: Response
        do {
            response = try frame.response(to: key)
        } catch {
            check(error.code == .malformedRequest, "\(key.name) response decoder threw \(error.code.name): \(error)")
            continue
        }
        var payload = ByteBuffer()
        response.encode(into: &payload)
        // Every byte accounted for, except in error messages: a null one reads as the code's name.
        check(
            payload.readableBytes - errorMessageBytes(in: response) <= frame.payload.readableBytes,
            "decoded a \(key.name) response of \(payload.readableBytes) bytes from \(frame.payload.readableBytes)")
        let again = try? Response.decode(apiKey: key, payload: &payload)
        check(again == response, "\(key.name) response does not round-trip: \(String(describing: again))")
    }
}

/// The bytes of every error message in `value`, found by reflection.
private func errorMessageBytes(in value: Any) -> Int {
    if let error = value as? SluiceError { return error.message.utf8.count }
    return Mirror(reflecting: value).children.reduce(0) { $0 + errorMessageBytes(in: $1.value) }
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("fuzz_decoder: \(message())\n", stderr)
        abort()
    }
}
