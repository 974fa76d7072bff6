import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol

/// A blocking Unix-socket connection that sends bytes exactly as given: for feeding the server bad input.
final class RawConnection {
    let fd: Int32

    init(path: String, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw SluiceError(.connectionClosed, "connect \(path): \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ buffer: ByteBuffer) {
        send(Array(buffer.readableBytesView))
    }

    func send(_ request: Request, correlationID: Int32) {
        send(request.frame(correlationID: correlationID))
    }

    /// Reads one whole frame body, or nil at end of stream or timeout.
    func readFrame() -> ByteBuffer? {
        guard let prefix = read(count: 4) else { return nil }
        let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
        guard let body = read(count: length) else { return nil }
        return ByteBuffer(bytes: body)
    }

    func readResponse() -> ResponseFrame? {
        guard let body = readFrame() else { return nil }
        return try? ResponseFrame.decode(from: body)
    }

    /// True when the server closed the connection (a read returns end of stream).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    private func read(count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = bytes[offset...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            offset += n
        }
        return bytes
    }
}
