import Testing

@testable import SluiceServer

#if canImport(Glibc)
    import Glibc
#endif

/// Who may take the Unix socket's connections kept for administrators.
struct ConnectionLimitTests {
    static func peer(uid: UInt32, groups: Set<UInt32> = []) -> PeerIdentity {
        PeerIdentity(uid: uid, gid: 100, pid: 1, groups: groups)
    }

    @Test func rootAndTheServersOwnUserAreAdministrators() {
        #expect(SluiceServer.isAdministrator(Self.peer(uid: 0), access: nil))
        #expect(SluiceServer.isAdministrator(Self.peer(uid: UInt32(getuid())), access: nil))
        #expect(!SluiceServer.isAdministrator(nil, access: nil), "an unknown peer is not")
    }

    @Test func aPeerThePolicyGrantsAdminIsAnAdministrator() {
        let other = UInt32(getuid()) == 4242 ? UInt32(4243) : UInt32(4242)
        #expect(!SluiceServer.isAdministrator(Self.peer(uid: other), access: nil), "without a policy: no")
        let consumers = AccessPolicy(rules: [AccessRule(uids: [other], operations: [.consume, .produce])])
        #expect(!SluiceServer.isAdministrator(Self.peer(uid: other), access: consumers))
        let admins = AccessPolicy(rules: [AccessRule(gids: [7], operations: [.admin], topics: ["ops.*"])])
        #expect(SluiceServer.isAdministrator(Self.peer(uid: other, groups: [7]), access: admins))
        #expect(!SluiceServer.isAdministrator(Self.peer(uid: other, groups: [8]), access: admins))
    }
}
