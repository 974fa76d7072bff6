import Synchronization
import Testing

@testable import SluiceServer

struct MemoryBudgetTests {
    @Test func aConnectionHoldingNothingMayAlwaysRead() {
        let budget = MemoryBudget(limit: 100, perConnection: 50)
        let other = ConnectionBytes(budget: budget)
        other.setPartialFrame(500)
        let idle = ConnectionBytes(budget: budget)
        #expect(idle.mayRead(orWake: nil) == .read)
        #expect(other.mayRead(orWake: nil) == .overServerBudget)
    }

    @Test func aLoneUnfinishedFrameMayPassTheConnectionsShare() {
        let budget = MemoryBudget(limit: 1000, perConnection: 50)
        let bytes = ConnectionBytes(budget: budget)
        bytes.setPartialFrame(400)
        #expect(bytes.mayRead(orWake: nil) == .read)
        bytes.addInFlight(10)
        #expect(bytes.mayRead(orWake: nil) == .overOwnShare)
        var released = 0
        bytes.whenReleased = { released += 1 }
        bytes.setPartialFrame(0)
        #expect(released == 1)
        #expect(bytes.mayRead(orWake: nil) == .read)
        #expect(budget.used == 10)
        bytes.removeInFlight(10)
        #expect(budget.used == 0)
    }

    @Test func waitingConnectionsAreWokenOnceThereIsRoom() {
        let budget = MemoryBudget(limit: 100, perConnection: 1000)
        let hog = ConnectionBytes(budget: budget)
        hog.addInFlight(150)
        let waiting = ConnectionBytes(budget: budget)
        waiting.setPartialFrame(10)
        let woken = Atomic<Int>(0)
        #expect(waiting.mayRead(orWake: { woken.add(1, ordering: .relaxed) }) == .overServerBudget)
        hog.removeInFlight(20)  // 140 held: still over
        #expect(woken.load(ordering: .relaxed) == 0)
        hog.removeInFlight(100)  // 50 held
        #expect(woken.load(ordering: .relaxed) == 1)
        hog.removeInFlight(30)
        #expect(woken.load(ordering: .relaxed) == 1, "a wake-up is called once")
        #expect(waiting.mayRead(orWake: nil) == .read)
    }
}
