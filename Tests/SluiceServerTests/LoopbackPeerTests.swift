import Testing

@testable import SluiceServer

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct LoopbackPeerTests {
    /// Lines as Linux prints them: 127.0.0.1:9092 ← 127.0.0.1:51234 (uid 1000), and the same peer over IPv6.
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000 100 0 0 10 0
           1: 0100007F:C822 0100007F:2384 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000 20 4 30 10 -1
           2: 0100007F:C823 0100007F:2384 06 00000000:00000000 00:00000000 00000000  2000        0 0 3 0000 20 4 30 10 -1
        """
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:C822 00000000000000000000000001000000:2384 01 00000000:00000000 00:00000000 00000000  1001        0 5 1 0000 20 4 30 10 -1
        """
    let server = LoopbackPeer.Endpoint(address: [127, 0, 0, 1], port: 9092)
    let client = LoopbackPeer.Endpoint(address: [127, 0, 0, 1], port: 51234)

    @Test func findsTheEstablishedSocketWhoseEndsMirrorTheConnection() {
        #expect(LoopbackPeer.uid(in: Self.tcp, local: server, remote: client) == 1000)
        // A socket in TIME_WAIT (06) on another port, or the listener itself, lends no owner.
        let closed = LoopbackPeer.Endpoint(address: [127, 0, 0, 1], port: 51235)
        #expect(LoopbackPeer.uid(in: Self.tcp, local: server, remote: closed) == nil)
        // The server's own end is not the peer: the ends must be swapped.
        #expect(LoopbackPeer.uid(in: Self.tcp, local: client, remote: server) == nil)
    }

    @Test func readsIPv6AddressesWordByWord() {
        let loopback6: [UInt8] = Array(repeating: 0, count: 15) + [1]
        let server6 = LoopbackPeer.Endpoint(address: loopback6, port: 9092)
        let client6 = LoopbackPeer.Endpoint(address: loopback6, port: 51234)
        #expect(LoopbackPeer.uid(in: Self.tcp6, local: server6, remote: client6) == 1001)
        #expect(LoopbackPeer.uid(in: Self.tcp6, local: server, remote: client) == nil, "::1 is not 127.0.0.1")
    }

    @Test func namesTheOwnerOfARealLoopbackConnection() throws {
        #if os(Linux)
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(listener) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            address.sin_port = 0
            let size = socklen_t(MemoryLayout<sockaddr_in>.size)
            try #require(
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, size) }
                } == 0)
            try #require(listen(listener, 1) == 0)
            var bound = sockaddr_in()
            var length = size
            _ = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
            }
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(client) }
            try #require(
                withUnsafePointer(to: &bound) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, size) }
                } == 0)
            var clientEnd = sockaddr_in()
            length = size
            _ = withUnsafeMutablePointer(to: &clientEnd) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) }
            }
            let serverSide = LoopbackPeer.Endpoint(address: [127, 0, 0, 1], port: UInt16(bigEndian: bound.sin_port))
            let clientSide = LoopbackPeer.Endpoint(
                address: [127, 0, 0, 1], port: UInt16(bigEndian: clientEnd.sin_port))
            #expect(LoopbackPeer.uid(local: serverSide, remote: clientSide) == getuid())
            #expect(
                LoopbackPeer.uid(local: serverSide, remote: LoopbackPeer.Endpoint(address: [127, 0, 0, 1], port: 1))
                    == nil)
        #endif
    }
}
