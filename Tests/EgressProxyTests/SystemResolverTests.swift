import Egress
import Testing

@testable import EgressProxy

/// The host resolver, off the event loops.
struct SystemResolverTests {
    @Test func localhostResolvesToLoopbackWithoutDuplicates() async throws {
        let addresses = try await SystemResolver().resolve(host: "localhost")
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { AddressPolicy.refusal(for: $0) == .loopback })
        #expect(Set(addresses).count == addresses.count)
    }

    @Test func namesAreLookedUpFullyQualifiedSoNoSearchListApplies() {
        #expect(SystemResolver.queries(for: "api.example.com") == ["api.example.com."])
        #expect(SystemResolver.queries(for: "intranet") == ["intranet."])
        #expect(SystemResolver.queries(for: "localhost") == ["localhost.", "localhost"])
    }

    @Test func anInvalidNameFailsToResolve() async {
        await #expect(throws: SystemResolverError.self) {
            try await SystemResolver().resolve(host: "no-such-host.invalid")
        }
    }
}
