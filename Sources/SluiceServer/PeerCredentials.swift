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
    /// The identity of the process at the other end of a Unix socket channel, from `SO_PEERCRED`, with the groups the
    /// user database gives its uid; nil where the platform or the channel cannot say.
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
            return PeerIdentity(
                uid: credentials.uid, gid: credentials.gid, pid: credentials.pid,
                groups: groups(uid: credentials.uid, gid: credentials.gid))
        #else
            return nil
        #endif
    }

    /// The primary group and the supplementary groups of `uid` in the group database (`getgrouplist`).
    static func groups(uid: UInt32, gid: UInt32) -> Set<UInt32> {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return [gid] }
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
}
