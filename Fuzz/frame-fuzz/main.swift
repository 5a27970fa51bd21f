// libFuzzer harness for the agent host's untrusted-input parsers: the JSON-RPC frame decoder
// (`JSONRPCMessage.decode`, over `JSONParser`), the stdio frame splitter (`FrameReader`) and the sealed
// tokens (`SealedToken.open`, `SealedToken.base64urlDecode`).
//
// Built by `Fuzz/run-frame-fuzz.sh` from the original sources compiled into this one module (JSON is a
// separate module, as in the package). Every check below is an invariant the sources document; a
// violated one traps, which libFuzzer reports as a crash with the input that caused it.

import JSON

/// The sealing key the harness uses: fixed, so a crash reproduces.
private let sealer = SealedToken(key: (0..<32).map { UInt8($0 &* 7 &+ 1) })

/// A valid token, sealed once: the base the input's byte flips are applied to.
private let validToken = sealer.seal(
    ["v": 1, "call": "tools/call", "nonce": "AAAAAAAAAAAAAAAAAAAAAA"], purpose: "request-state")

/// libFuzzer's entry point: runs every check on one input; returns 0 (a violated invariant traps).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    checkDecode(bytes)
    checkFrameReader(bytes)
    checkParserRoundTrip(bytes)
    checkSealedToken(bytes)
    return 0
}

/// Traps with `message` when `condition` is false, in every build configuration.
private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

// MARK: - JSONRPCMessage.decode

private func checkDecode(_ bytes: [UInt8]) {
    for limit in [64, JSONRPCMessage.defaultMaximumBytes] {
        switch JSONRPCMessage.decode(bytes, maximumBytes: limit) {
        case .success(let message):
            require(bytes.count <= limit, "a frame over the limit decoded")
            if case .request(_, let method, _) = message {
                require(!method.isEmpty && method.utf8.count <= JSONRPCMessage.maximumMethodBytes, "bad method kept")
            }
        case .failure(let refusal):
            let code = refusal.error.code
            require(
                code == JSONRPCError.parseError || code == JSONRPCError.invalidRequest,
                "refusal code \(code) is neither -32700 nor -32600")
            require(
                (bytes.count > limit) == (refusal.error.data?["reason"] == .string("frame_too_large")),
                "frame_too_large given exactly when the frame is over the limit")
            // The error response must itself be writable.
            _ = refusal.error.response(id: refusal.id).jsonText
        }
    }
}

// MARK: - FrameReader

/// A deterministic generator seeded from the input, for the chunk sizes.
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The frames the reader should return, computed the simple way: split on `\n`, a line longer than the
/// limit (counting a trailing `\r`) is oversized, otherwise one trailing `\r` is dropped and empty lines
/// are skipped.
private func expectedFrames(_ bytes: [UInt8], limit: Int) -> [FrameReader.Frame] {
    var frames: [FrameReader.Frame] = []
    var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
    if bytes.last == 10 || bytes.isEmpty { lines.removeLast() }
    for line in lines {
        if line.count > limit {
            frames.append(.oversized(line.count))
            continue
        }
        var kept = Array(line)
        if kept.last == 13 { kept.removeLast() }
        if !kept.isEmpty { frames.append(.line(kept)) }
    }
    return frames
}

private func readAll(_ bytes: [UInt8], limit: Int, chunks: [Int]) -> [FrameReader.Frame] {
    var reader = FrameReader(maximumBytes: limit)
    var frames: [FrameReader.Frame] = []
    var start = 0
    for size in chunks where start < bytes.count {
        let end = min(bytes.count, start + size)
        frames += reader.feed(bytes[start..<end])
        start = end
    }
    if start < bytes.count { frames += reader.feed(bytes[start...]) }
    if let last = reader.finish() { frames.append(last) }
    return frames
}

private func checkFrameReader(_ bytes: [UInt8]) {
    var seed: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { seed = (seed ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    var random = SplitMix64(state: seed)
    let limits = [1, 8, 64, 1024, 1 << 16]
    let limit = limits[Int(random.next() % UInt64(limits.count))]
    var chunks: [Int] = []
    var covered = 0
    while covered < bytes.count {
        let size = random.next() % 4 == 0 ? Int(random.next() % 4096) + 1 : Int(random.next() % 17)
        chunks.append(size)
        covered += size
    }

    let whole = readAll(bytes, limit: limit, chunks: [bytes.count])
    let chunked = readAll(bytes, limit: limit, chunks: chunks)
    require(whole == chunked, "chunked reading (\(chunks.count) chunks, limit \(limit)) differs from reading whole")
    require(whole == expectedFrames(bytes, limit: limit), "frames differ from the split-on-newline model")

    var consumed = 0
    for frame in whole {
        switch frame {
        case .line(let line):
            require(!line.isEmpty, "an empty line returned")
            require(line.count <= limit, "a line of \(line.count) bytes returned over the limit \(limit)")
            require(!line.contains(10), "a line holds a newline")
            consumed += line.count + 1
        case .oversized(let length):
            require(length > limit, "oversized(\(length)) within the limit \(limit)")
            consumed += length + 1
        }
    }
    // The last frame may have had no newline: at most one byte over.
    require(consumed <= bytes.count + 1, "frames cover \(consumed) bytes of \(bytes.count)")
}

// MARK: - JSONParser round trip

private func checkParserRoundTrip(_ bytes: [UInt8]) {
    guard let value = try? JSONParser().parse(bytes: bytes) else { return }
    for text in [value.jsonText, value.canonicalText] {
        let again: JSONValue
        do {
            again = try JSONParser().parse(text)
        } catch {
            fatalError("invariant violated: written JSON does not parse again: \(error)")
        }
        require(again == value, "written JSON parses to a different value")
    }
}

// MARK: - SealedToken

private func checkSealedToken(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    require(sealer.open(text, purpose: "request-state") == nil, "an arbitrary string opened")
    require(sealer.open(SealedToken.prefix + text, purpose: "request-state") == nil, "a forged token opened")

    if let decoded = SealedToken.base64urlDecode(text) {
        require(SealedToken.base64url(decoded) == text, "base64url decoding is not canonical")
    }
    require(SealedToken.base64urlDecode(SealedToken.base64url(bytes)) == bytes, "base64url does not round-trip")

    // Alter the valid token where the input says: it must never open, for this purpose or another.
    guard bytes.count >= 2 else { return }
    var token = Array(validToken.utf8)
    var i = 0
    while i + 1 < bytes.count {
        let position = (Int(bytes[i]) << 8 | Int(bytes[i + 1])) % (token.count + 1)
        let flip = i + 2 < bytes.count ? bytes[i + 2] : 1
        switch flip % 4 {
        case 0 where position < token.count: token.remove(at: position)
        case 1: token.insert(flip, at: position)
        default:
            if position < token.count, flip != 0 { token[position] ^= flip }
        }
        i += 3
    }
    let altered = String(decoding: token, as: UTF8.self)
    guard altered != validToken else { return }
    require(sealer.open(altered, purpose: "request-state") == nil, "an altered token opened")
    require(sealer.open(validToken, purpose: "credential-ticket") == nil, "a token opened for another purpose")
}
