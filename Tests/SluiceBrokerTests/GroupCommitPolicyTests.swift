import Testing

@testable import SluiceBroker

/// The group-commit policy alone: when a small batch waits for more requests, and for how long.
@Suite struct GroupCommitPolicyTests {
    typealias Policy = GroupCommitPolicy<ContinuousClock>
    let now = ContinuousClock.now

    @Test func theFirstCommitNeverWaits() {
        let policy = Policy()
        #expect(policy.decide(pending: 1, alreadyWaited: false, now: now) == .commitNow)
    }

    @Test func aSmallerBatchAfterASlowSharedCommitWaitsForHalfItsDurationOrAsManyRequests() {
        var policy = Policy()
        policy.committed(requests: 12, records: 12, duration: .microseconds(800))
        #expect(policy.decide(pending: 3, alreadyWaited: false, now: now)
            == .wait(until: now.advanced(by: .microseconds(400)), pending: 12))
        // A batch as large as the last commit, or one that has waited already, goes at once.
        #expect(policy.decide(pending: 12, alreadyWaited: false, now: now) == .commitNow)
        #expect(policy.decide(pending: 3, alreadyWaited: true, now: now) == .commitNow)
    }

    @Test func theWaitIsCappedWhateverTheLastCommitTook() {
        var policy = Policy()
        policy.committed(requests: 8, records: 8, duration: .milliseconds(30))
        #expect(policy.decide(pending: 1, alreadyWaited: false, now: now)
            == .wait(until: now.advanced(by: .milliseconds(2)), pending: 8))
    }

    @Test func aLoneProducerAFastCommitOrABatchedProducerNeverWaits() {
        var lone = Policy()
        lone.committed(requests: 1, records: 1, duration: .milliseconds(1))
        var fast = Policy()
        fast.committed(requests: 10, records: 10, duration: .microseconds(40))
        var batched = Policy()
        batched.committed(requests: 4, records: 4_000, duration: .milliseconds(5))
        #expect([lone, fast, batched].map { $0.decide(pending: 1, alreadyWaited: false, now: now) }
            == [.commitNow, .commitNow, .commitNow])
    }
}
