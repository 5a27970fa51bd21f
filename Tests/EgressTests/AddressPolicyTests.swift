import Testing

@testable import Egress

/// What the egress proxy may connect to after it resolved a name: public unicast only, however the
/// address is spelled or wrapped.
struct AddressPolicyTests {
    @Test(arguments: [
        ("127.0.0.1", AddressPolicy.Refusal.loopback), ("127.255.255.254", .loopback), ("::1", .loopback),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("::", .unspecified),
        ("10.0.0.1", .privateNetwork), ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork),
        ("192.168.1.1", .privateNetwork), ("fc00::1", .privateNetwork), ("fd12:3456::1", .privateNetwork),
        ("169.254.169.254", .metadata), ("fd00:ec2::254", .metadata), ("169.254.1.1", .linkLocal),
        ("fe80::1", .linkLocal), ("febf::1", .linkLocal), ("fec0::1", .siteLocal),
        ("100.64.0.1", .sharedCGNAT), ("100.127.255.255", .sharedCGNAT),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved), ("192.88.99.1", .reserved),
        ("192.0.2.1", .documentation), ("198.51.100.1", .documentation), ("203.0.113.1", .documentation),
        ("2001:db8::1", .documentation), ("198.18.0.1", .benchmarking), ("198.19.255.255", .benchmarking),
        ("192.0.0.192", .ietfProtocol), ("2001::1", .teredo), ("100::1", .discardOnly),
        // Internal addresses wrapped in IPv6: the packet goes to the IPv4 address inside.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:7f00:1", .loopback), ("::ffff:169.254.169.254", .metadata),
        ("::127.0.0.1", .loopback), ("64:ff9b::10.0.0.1", .privateNetwork), ("2002:7f00:1::", .loopback),
        ("2002:a9fe:a9fe::1", .metadata), ("[::1]", .loopback), ("::0.0.0.1", .loopback),
        ("3fff::1", .documentation), ("4000::1", .reserved), ("::2", .unspecified),
    ])
    func internalAddressesAreRefusedWithTheirReason(address: String, reason: AddressPolicy.Refusal) throws {
        let parsed = try #require(IPAddress(address), "\(address) parses")
        #expect(AddressPolicy.refusal(for: parsed) == reason, "\(address)")
    }

    @Test(arguments: [
        "93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
        "169.253.255.255", "192.0.1.1", "198.17.255.255", "198.20.0.0", "223.255.255.255", "2606:4700::1111",
        "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
    ])
    func publicUnicastIsAllowed(address: String) throws {
        let parsed = try #require(IPAddress(address), "\(address) parses")
        #expect(AddressPolicy.refusal(for: parsed) == nil, "\(address)")
    }

    @Test func onlyCanonicalTextIsAnAddress() {
        // Forms `inet_aton` and some resolvers read as 127.0.0.1, and other tricks: not addresses here (and
        // as host names the rules refuse them too).
        for text in [
            "2130706433", "0x7f000001", "0x7f.1", "127.1", "127.0.1", "0177.0.0.1", "127.000.000.001", "127.0.0.01",
            "127.0.0.1.", " 127.0.0.1", "127.0.0.1 ", "1.2.3.256", "1.2.3.4.5", "", ".", "::1%lo", "fe80::1%eth0",
            ":::1", "1::2::3", "12345::1", "::ffff:1.2.3", "1:2:3:4:5:6:7:8:9", "g::1", "[::1", "::1]",
            "1:2:3:4:5:6:7::8:9",
        ] {
            #expect(IPAddress(text) == nil, "\(text)")
        }
        #expect(IPAddress("1:2:3:4:5:6:7:8") == .v6(0x0001_0002_0003_0004, 0x0005_0006_0007_0008))
        #expect(IPAddress("1:2:3:4:5:6:1.2.3.4") == .v6(0x0001_0002_0003_0004, 0x0005_0006_0102_0304))
    }

    @Test func addressesAreWrittenCanonically() throws {
        for (text, canonical) in [
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"), ("::FFFF:7F00:0001", "::ffff:7f00:1"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"), ("203.0.113.7", "203.0.113.7"),
            ("::", "::"), ("1::", "1::"),
        ] {
            #expect(try #require(IPAddress(text)).description == canonical, "\(text)")
        }
    }
}

/// Parsing is total and printing round-trips, over many seeded random inputs.
struct IPAddressPropertyTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func everyAddressPrintsToTextThatParsesBackToIt() {
        var random = Generator(state: 20_261_203)
        for _ in 0..<20_000 {
            let v6 = IPAddress.v6(
                random.next() & (random.next() | 0xFFFF_0000_0000_0000), random.next() & random.next())
            #expect(IPAddress(v6.description) == v6, "\(v6)")
            let v4 = IPAddress.v4(UInt32(truncatingIfNeeded: random.next()))
            #expect(IPAddress(v4.description) == v4, "\(v4)")
        }
    }

    @Test func arbitraryTextNeverCrashesTheParsers() {
        var random = Generator(state: 7)
        let alphabet = Array("0123456789abcdefABCDEF:.[]%*-x_ /@\u{0}é".unicodeScalars)
        for _ in 0..<20_000 {
            let length = Int(random.next() % 48)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            if let parsed = IPAddress(text) { #expect(IPAddress(parsed.description) == parsed, "\(text)") }
            _ = try? EgressRule(parsing: text)
        }
    }
}
