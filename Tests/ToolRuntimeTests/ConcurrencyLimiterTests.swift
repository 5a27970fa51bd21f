import Synchronization
import Testing
import TestSupport

@testable import JSON
@testable import ToolRuntime

/// The concurrency caps: global and per tool, FIFO waiting, a bounded queue, cancellable waits.
@Suite struct ConcurrencyLimiterTests {
    /// Polls `condition` for up to two seconds.
    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return condition()
    }

    @Test func aCallOverTheGlobalCapWaitsUntilASlotIsReleased() async throws {
        let limiter = ConcurrencyLimiter(maxRunning: 1, maxPerTool: 4, maxWaiting: 8)
        try await limiter.acquire(toolID: "a.one")
        let waiter = Task { try await limiter.acquire(toolID: "b.two") }
        #expect(await eventually { limiter.counts == (1, 1) })
        limiter.release(toolID: "a.one")
        try await waiter.value
        #expect(limiter.counts == (1, 0))
        limiter.release(toolID: "b.two")
        #expect(limiter.counts == (0, 0))
    }

    @Test func aToolAtItsOwnCapDoesNotBlockOtherTools() async throws {
        let limiter = ConcurrencyLimiter(maxRunning: 4, maxPerTool: 1, maxWaiting: 8)
        try await limiter.acquire(toolID: "a.one")
        let sameTool = Task { try await limiter.acquire(toolID: "a.one") }
        #expect(await eventually { limiter.counts.waiting == 1 })
        // Another tool gets a slot at once although a call of the first waits ahead of it.
        try await limiter.acquire(toolID: "b.two")
        #expect(limiter.counts == (2, 1))
        limiter.release(toolID: "a.one")
        try await sameTool.value
        #expect(limiter.counts == (2, 0))
    }

    @Test func waitersAreServedInArrivalOrder() async throws {
        let limiter = ConcurrencyLimiter(maxRunning: 1, maxPerTool: 8, maxWaiting: 8)
        try await limiter.acquire(toolID: "t.x")
        final class Order: Sendable { let list = Mutex<[Int]>([]) }
        let order = Order()
        var tasks: [Task<Void, any Error>] = []
        for n in 0..<4 {
            tasks.append(
                Task {
                    try await limiter.acquire(toolID: "t.x")
                    order.list.withLock { $0.append(n) }
                    limiter.release(toolID: "t.x")
                })
            #expect(await eventually { limiter.counts.waiting == n + 1 })
        }
        limiter.release(toolID: "t.x")
        for task in tasks { try await task.value }
        #expect(order.list.withLock { $0 } == [0, 1, 2, 3])
    }

    @Test func aFullQueueRefusesWithRateLimited() async throws {
        let limiter = ConcurrencyLimiter(maxRunning: 1, maxPerTool: 1, maxWaiting: 1)
        try await limiter.acquire(toolID: "t.x")
        let waiter = Task { try await limiter.acquire(toolID: "t.x") }
        #expect(await eventually { limiter.counts.waiting == 1 })
        do {
            try await limiter.acquire(toolID: "t.x")
            Issue.record("a call beyond the queue was accepted")
        } catch {
            #expect(error.code == .rateLimited)
        }
        limiter.release(toolID: "t.x")
        try await waiter.value
        limiter.release(toolID: "t.x")
    }

    @Test func aCancelledWaiterLeavesTheQueueWithCancelled() async throws {
        let limiter = ConcurrencyLimiter(maxRunning: 1, maxPerTool: 1, maxWaiting: 4)
        try await limiter.acquire(toolID: "t.x")
        let waiter = Task { try await limiter.acquire(toolID: "t.x") }
        #expect(await eventually { limiter.counts.waiting == 1 })
        waiter.cancel()
        let result = await waiter.result
        guard case .failure(let error) = result else {
            Issue.record("the cancelled waiter got a slot")
            return
        }
        #expect((error as? OmegaError)?.code == .cancelled)
        #expect(limiter.counts == (1, 0))
        limiter.release(toolID: "t.x")
        #expect(limiter.counts == (0, 0))
    }
}
