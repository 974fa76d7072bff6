import SluiceCore
import Testing

@testable import SluiceBroker

/// The sweeper's decisions, alone: which topics start, and when the one timer fires.
@Suite struct SweepScheduleTests {
    typealias Decision = SweepSchedule.Decision

    @Test func nothingDueArmsNoTimer() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000)
        let decision = schedule.tick(now: 1_000)
        #expect(decision == Decision())
        #expect(schedule.timerDeadline == nil)
    }

    @Test func aFutureRequestArmsOneTimerForIt() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000)
        var decisions: [Decision] = []
        let first = schedule.request("a", at: 5_000)
        decisions.append(schedule.tick(now: 1_000))
        // A later request needs no new timer; a sooner one does.
        let later = schedule.request("b", at: 9_000)
        decisions.append(schedule.tick(now: 1_000))
        let sooner = schedule.request("c", at: 2_000)
        decisions.append(schedule.tick(now: 1_000))
        // The replaced timer is stale when it fires; the current one starts what is due.
        let stale = schedule.timerFired(generation: 1)
        let current = schedule.timerFired(generation: 2)
        decisions.append(schedule.tick(now: 2_000))
        #expect([first, later, sooner, stale, current] == [true, false, true, false, true])
        #expect(
            decisions == [
                Decision(arm: (4_000, 1)), Decision(), Decision(arm: (1_000, 2)),
                Decision(start: ["c"], arm: (3_000, 3)),
            ])
    }

    /// Beyond `maxRunning`, due topics wait, earliest first, for a sweep to end; no timer is armed for them (it would
    /// fire at once, again and again), only for what is not due yet.
    @Test func dueTopicsBeyondTheLimitWaitForASweepToEnd() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000, maxRunning: 2)
        for (topic, time) in [("d", 400), ("a", 100), ("c", 300), ("b", 200), ("later", 9_000)] {
            _ = schedule.request(topic, at: Int64(time))
        }
        let first = schedule.tick(now: 1_000)
        #expect(first == Decision(start: ["a", "b"], arm: (8_000, 1)))
        #expect(schedule.held)
        let full = schedule.tick(now: 1_000)
        #expect(full == Decision(), "no slot free, the timer already armed")
        // A sweep that ends with nothing due still asks for a tick: a waiting topic takes its slot.
        let aEnded = schedule.finished("a", nextDue: nil)
        let second = schedule.tick(now: 1_000)
        let bEnded = schedule.finished("b", nextDue: nil)
        let cEnded = schedule.finished("c", nextDue: nil)
        let third = schedule.tick(now: 1_000)
        let held = schedule.held
        let dEnded = schedule.finished("d", nextDue: nil)
        #expect(aEnded && bEnded && cEnded)
        #expect(second == Decision(start: ["c"]))
        #expect(third == Decision(start: ["d"]))
        #expect(!held)
        #expect(!dEnded, "nothing waits any more")
    }

    @Test func theTimerNeverSleepsLongerThanTheLongestInterval() {
        var schedule = SweepSchedule(maxIntervalMs: 60_000)
        _ = schedule.request("a", at: .max)
        let decision = schedule.tick(now: 0)
        #expect(decision == Decision(arm: (60_000, 1)))
    }

    @Test func dueTopicsStartTogetherAndOnlyOnce() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000)
        _ = schedule.request("b", at: 10)
        _ = schedule.request("a", at: 20)
        _ = schedule.request("c", at: 500)
        let first = schedule.tick(now: 100)
        let second = schedule.tick(now: 100)
        #expect(first.start == ["a", "b"])
        #expect(second.start == [])
        #expect(schedule.running.keys.sorted() == ["a", "b"])
    }

    /// A request for a running topic waits for it to finish, then wins if sooner than what the sweep reports.
    @Test func aRequestDuringASweepRunsItAgainAfterwards() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000)
        _ = schedule.request("a", at: 0)
        let started = schedule.tick(now: 0)
        let tick = schedule.request("a", at: 50)
        #expect(started.start == ["a"])
        #expect(!tick)
        #expect(schedule.due["a"] == nil)
        let again = schedule.finished("a", nextDue: 1_000)
        #expect(again)
        #expect(schedule.due["a"] == 50)
        let rerun = schedule.tick(now: 60)
        #expect(rerun.start == ["a"])
    }

    @Test func aFinishedSweepWithNothingDueLeavesTheTopicAsleep() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000)
        _ = schedule.request("a", at: 0)
        _ = schedule.tick(now: 0)
        let tick = schedule.finished("a", nextDue: nil)
        let decision = schedule.tick(now: 10)
        #expect(!tick)
        #expect(decision == Decision())
        #expect(schedule.timerDeadline == nil)
    }

    @Test func removedTopicsAreForgotten() {
        var schedule = SweepSchedule(maxIntervalMs: 300_000)
        _ = schedule.request("a", at: 100)
        schedule.remove("a")
        let decision = schedule.tick(now: 1_000)
        #expect(decision == Decision())
    }
}

/// When partitions become due, alone.
@Suite struct RetentionDueTests {
    let settings = SweeperSettings()
    let now: Int64 = 1_700_000_000_000

    func status(size: Int64 = 0, start: Int64 = 0, next: Int64 = 0, compacted: Int64 = 0) -> RetentionDue.Facts {
        RetentionDue.Facts(offsetCount: next - start, sizeBytes: size, compactionBacklog: next - max(compacted, start))
    }

    @Test func theOldestRecordDecidesAndExpiriesAreBatched() {
        let config = TopicConfig(retentionMs: 7 * 86_400_000, retentionBytes: nil)
        let facts = RetentionDue.Facts(offsetCount: 10, firstTimestamp: now - 1_000)
        #expect(
            RetentionDue.afterSweep(facts, config: config, settings: settings, now: now) == now - 1_000 + 7 * 86_400_000
                + 1)
        // A record that expires very soon waits for the batching interval (1% of 7 days, capped at 5 minutes).
        let soon = RetentionDue.Facts(offsetCount: 10, firstTimestamp: now - 7 * 86_400_000 + 5)
        #expect(RetentionDue.afterSweep(soon, config: config, settings: settings, now: now) == now + 300_000)
        #expect(RetentionDue.granularity(1_000, settings) == 1_000)
        #expect(RetentionDue.granularity(60_000, settings) == 1_000)
        #expect(RetentionDue.granularity(600_000, settings) == 6_000)
    }

    @Test func farFutureTimestampsDoNotOverflow() {
        let config = TopicConfig(retentionMs: .max, retentionBytes: nil)
        let facts = RetentionDue.Facts(offsetCount: 1, firstTimestamp: .max - 5)
        #expect(RetentionDue.afterSweep(facts, config: config, settings: settings, now: now) == .max)
    }

    @Test func emptyOrCompactOnlyPartitionsAreNeverDueByAge() {
        #expect(RetentionDue.afterSweep(status(), config: TopicConfig(), settings: settings, now: now) == nil)
        let compact = TopicConfig(cleanupPolicy: .compact)
        let facts = RetentionDue.Facts(offsetCount: 5, firstTimestamp: 0)
        #expect(RetentionDue.afterSweep(facts, config: compact, settings: settings, now: now) == nil)
    }

    @Test func limitsAllowOnePercentOfSlack() {
        let config = TopicConfig(retentionMs: nil, retentionBytes: 1_000, retentionRecords: 100)
        #expect(!RetentionDue.overLimit(status(size: 1_010, next: 101), config))
        #expect(RetentionDue.overLimit(status(size: 1_011, next: 101), config))
        #expect(RetentionDue.overLimit(status(size: 10, next: 102), config))
        #expect(!RetentionDue.overLimit(status(size: 5_000, next: 500), TopicConfig(cleanupPolicy: .compact)))
        let small = TopicConfig(retentionMs: nil, retentionBytes: nil, retentionRecords: 4)
        #expect(RetentionDue.overLimit(status(next: 5), small))
        #expect(
            RetentionDue.afterCommit(status(next: 5), firstAppended: now, config: small, settings: settings, now: now)
                == now)
    }

    @Test func compactionWaitsForItsDelayOrABacklog() {
        let config = TopicConfig(cleanupPolicy: .compact)
        let small = status(next: 10, compacted: 5)
        #expect(
            RetentionDue.afterCommit(small, firstAppended: now, config: config, settings: settings, now: now)
                == now + settings.compactionDelayMs)
        let large = status(next: 100_000, compacted: 5)
        #expect(
            RetentionDue.afterCommit(large, firstAppended: now, config: config, settings: settings, now: now) == now)
        // Tombstones: due once older than delete.retention.ms.
        let facts = RetentionDue.Facts(offsetCount: 10, oldestTombstone: now - 1_000)
        #expect(
            RetentionDue.afterSweep(facts, config: config, settings: settings, now: now)
                == now - 1_000 + TopicConfig.defaultDeleteRetentionMs + 1)
    }
}
