/// Which resolved addresses the egress proxy may connect to: public unicast only. Checked on the
/// address a name resolved to, right before connecting (so a name that resolves to an internal address,
/// first or on a later lookup, is refused: DNS rebinding), and on the IPv4 address an IPv6 one carries.
public enum AddressPolicy {
    /// Why an address is refused, as recorded in the connection's run event.
    public enum Refusal: String, Sendable, Hashable, CaseIterable {
        case unspecified, loopback, privateNetwork = "private", linkLocal = "link_local", sharedCGNAT = "cgnat"
        case multicast, broadcast, reserved, documentation, benchmarking, metadata, ietfProtocol = "ietf_protocol"
        case siteLocal = "site_local", teredo, discardOnly = "discard_only"
    }

    /// Nil when the proxy may connect to `address`, else why not.
    public static func refusal(for address: IPAddress) -> Refusal? {
        if let v4 = address.embeddedV4 { return refusal(v4: v4) }
        switch address {
        case .v4(let value): return refusal(v4: value)
        case .v6(let high, let low): return refusal(v6High: high, low: low)
        }
    }

    static func refusal(v4 a: UInt32) -> Refusal? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { bits == 0 || a >> (32 - bits) == base >> (32 - bits) }
        if a == 0xA9FE_A9FE { return .metadata }  // 169.254.169.254 (cloud instance metadata)
        if within(0x0000_0000, 8) { return .unspecified }  // 0.0.0.0/8 ("this network")
        if within(0x7F00_0000, 8) { return .loopback }  // 127.0.0.0/8
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return .privateNetwork }
        if within(0xA9FE_0000, 16) { return .linkLocal }  // 169.254.0.0/16
        if within(0x6440_0000, 10) { return .sharedCGNAT }  // 100.64.0.0/10
        if within(0xC000_0000, 24) { return .ietfProtocol }  // 192.0.0.0/24 (incl. 192.0.0.192 metadata on some)
        if within(0xC000_0200, 24) || within(0xC633_6400, 24) || within(0xCB00_7100, 24) { return .documentation }
        if within(0xC612_0000, 15) { return .benchmarking }  // 198.18.0.0/15
        if within(0xC058_6300, 24) { return .reserved }  // 192.88.99.0/24 (6to4 relay anycast, deprecated)
        if a == 0xFFFF_FFFF { return .broadcast }
        if within(0xE000_0000, 4) { return .multicast }  // 224.0.0.0/4
        if within(0xF000_0000, 4) { return .reserved }  // 240.0.0.0/4
        return nil
    }

    static func refusal(v6High high: UInt64, low: UInt64) -> Refusal? {
        func within(_ base: UInt64, _ bits: UInt64) -> Bool { high >> (64 - bits) == base >> (64 - bits) }
        if high == 0 && low == 0 { return .unspecified }  // ::
        if high == 0 && low == 1 { return .loopback }  // ::1
        if high == 0xFD00_0EC2_0000_0000 && low == 0x254 { return .metadata }  // fd00:ec2::254 (AWS)
        if within(0xFE80_0000_0000_0000, 10) { return .linkLocal }  // fe80::/10
        if within(0xFEC0_0000_0000_0000, 10) { return .siteLocal }  // fec0::/10 (deprecated)
        if within(0xFC00_0000_0000_0000, 7) { return .privateNetwork }  // fc00::/7 (unique local)
        if within(0xFF00_0000_0000_0000, 8) { return .multicast }  // ff00::/8
        if within(0x2001_0DB8_0000_0000, 32) || within(0x3FFF_0000_0000_0000, 20) { return .documentation }  // 2001:db8::/32, 3fff::/20
        if within(0x2001_0000_0000_0000, 32) { return .teredo }  // 2001::/32 (tunnels to anywhere)
        if high == 0x0100_0000_0000_0000 { return .discardOnly }  // 100::/64
        if high >> 32 == 0 { return .reserved }  // ::/32 left over (incl. ::ffff:0:0/96 forms not caught above)
        if !within(0x2000_0000_0000_0000, 3) { return .reserved }  // only 2000::/3 is global unicast
        return nil
    }
}
