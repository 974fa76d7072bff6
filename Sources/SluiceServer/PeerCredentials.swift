import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `struct ucred` of `<sys/socket.h>` (which Glibc shows only with `_GNU_SOURCE`): pid, uid, gid.
struct PeerCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

enum PeerCredentials {
    /// The identity of the process at the other end of a Unix socket channel, from `SO_PEERCRED`: uid, gid and pid,
    /// with only the primary group among its groups (`groups(uid:gid:)` reads the rest from the group database, which
    /// may block, so never on an event loop); nil where the platform or the channel cannot say.
    ///
    /// Call on the channel's event loop: the answer is then immediate.
    static func read(_ channel: any Channel) -> PeerIdentity? {
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else { return nil }
            let future: EventLoopFuture<PeerCred> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            let result = Mutex<PeerCred?>(nil)
            future.whenSuccess { value in result.withLock { $0 = value } }
            guard let credentials = result.withLock({ $0 }) else { return nil }
            return PeerIdentity(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid)
        #else
            return nil
        #endif
    }

    /// The identity of `uid` as the user database gives it (primary group and supplementary groups), for a peer
    /// whose uid alone is known (no pid: 0); a uid the database does not list has no groups.
    static func identity(uid: UInt32) -> PeerIdentity {
        guard let user = user(uid) else {
            var peer = PeerIdentity(uid: uid, gid: UInt32.max, pid: 0)
            peer.groups = []
            return peer
        }
        return PeerIdentity(uid: uid, gid: user.gid, pid: 0, groups: groups(uid: uid, gid: user.gid))
    }

    /// The primary group and the supplementary groups of `uid` in the group database (`getgrouplist`).
    static func groups(uid: UInt32, gid: UInt32) -> Set<UInt32> {
        guard let name = user(uid)?.name else { return [gid] }
        var count: Int32 = 32
        while true {
            var list = [gid_t](repeating: 0, count: Int(count))
            let previous = count
            if getgrouplist(name, gid, &list, &count) >= 0 {
                return Set(list.prefix(Int(count)).map { UInt32($0) })
            }
            if count <= previous { count = previous * 2 }
            if count > 65536 { return [gid] }
        }
    }

    /// The user database's name and primary group of `uid` (`getpwuid_r`, safe on any thread).
    private static func user(_ uid: UInt32) -> (name: String, gid: UInt32)? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        while true {
            let status = getpwuid_r(uid, &entry, &buffer, buffer.count, &found)
            if status == ERANGE && buffer.count < 1 << 20 {
                buffer = [CChar](repeating: 0, count: buffer.count * 4)
                continue
            }
            guard status == 0, found != nil, let name = entry.pw_name else { return nil }
            return (String(cString: name), UInt32(entry.pw_gid))
        }
    }
}
