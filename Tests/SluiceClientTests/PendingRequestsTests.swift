import SluiceCore
import SluiceProtocol
import Testing

@testable import SluiceClient

@Suite struct PendingRequestsTests {
    private let ignore: @Sendable (Result<Response, SluiceError>) -> Void = { _ in }

    @Test func idsAreDistinctAndRemovable() {
        var pending = PendingRequests()
        let a = pending.add(.metadata, ignore)
        let b = pending.add(.fetch, ignore)
        #expect(a != b)
        #expect(pending.count == 2)
        #expect(pending.remove(b)?.apiKey == .fetch)
        #expect(pending.remove(b) == nil)
        #expect(pending.count == 1)
    }

    @Test func idsWrapToZero() {
        var pending = PendingRequests(firstID: Int32.max - 1)
        #expect(pending.add(.metadata, ignore) == Int32.max - 1)
        #expect(pending.add(.metadata, ignore) == Int32.max)
        #expect(pending.add(.metadata, ignore) == 0)
        var wrapped = PendingRequests(firstID: Int32.max)
        #expect(wrapped.add(.fetch, ignore) == Int32.max)
        #expect(wrapped.unusedID() == 0)
        #expect(wrapped.add(.fetch, ignore) == 1)
    }

    @Test func removeAllEmpties() {
        var pending = PendingRequests()
        _ = pending.add(.metadata, ignore)
        _ = pending.add(.produce, ignore)
        #expect(pending.removeAll().count == 2)
        #expect(pending.count == 0)
    }
}
