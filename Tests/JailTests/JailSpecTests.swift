import Testing

@testable import Jail

/// The spec's parsing and validation: every bad field is refused with its name.
@Suite struct JailSpecTests {
    @Test func sizesParseBinaryMultiples() throws {
        #expect(try Size.parse("512", field: "x") == 512)
        #expect(try Size.parse("64K", field: "x") == 64 << 10)
        #expect(try Size.parse("128M", field: "x") == 128 << 20)
        #expect(try Size.parse("1g", field: "x") == 1 << 30)
        #expect(try Size.parse("2GiB", field: "x") == 2 << 30)
    }

    @Test(arguments: ["", "lots", "12Q", "-1M", "M", "99999999999999999999T"])
    func malformedSizesNameTheField(_ text: String) {
        #expect(throws: JailError.self) { try Size.parse(text, field: "--memory") }
        do {
            _ = try Size.parse(text, field: "--memory")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("--memory: expected a size"))
        }
    }

    @Test func bindParsingResolvesRelativeSourcesAndDefaultsTheDestination() throws {
        let bind = try JailSpec.Bind.parse("data/../in", writable: false, cwd: "/home/u")
        #expect(bind.source == "/home/u/in")
        #expect(bind.destination == "/home/u/in")
        let mapped = try JailSpec.Bind.parse("/srv/x:/opt/x", writable: true, cwd: "/")
        #expect(mapped == JailSpec.Bind(source: "/srv/x", destination: "/opt/x", writable: true))
    }

    @Test(arguments: [
        ("/etc:/proc/sys", "would cover /proc or /dev"),
        ("/etc:/dev", "would cover /proc or /dev"),
        ("/etc:/", "destination other than /"),
        ("/etc:relative", "absolute destination"),
        ("/etc:/a/../b", "without '..'"),
    ])
    func bindsThatWouldEscapeOrCoverKernelInterfacesAreRefused(_ text: String, _ message: String) throws {
        var spec = JailSpec(program: "/bin/true")
        spec.binds = [try JailSpec.Bind.parse(text, writable: true, cwd: "/")]
        do {
            try spec.validate()
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains("bind"))
            #expect(error.message.contains(message))
        }
    }

    @Test func limitsOutOfRangeNameTheirFlag() {
        var spec = JailSpec(program: "/bin/true")
        spec.limits.pids = 1
        #expect(throws: JailError.invalid("pids", "expected 2...65536, got 1")) { try spec.validate() }
        spec = JailSpec(program: "/bin/true")
        spec.limits.wallSeconds = 0
        #expect(throws: JailError.self) { try spec.validate() }
        spec = JailSpec(program: "/bin/true")
        spec.limits.memoryBytes = 1024
        #expect(throws: JailError.self) { try spec.validate() }
    }

    @Test func environmentKeysMustBeNonEmptyWithoutEquals() {
        var spec = JailSpec(program: "/bin/true")
        spec.environment = [("A=B", "c")]
        #expect(throws: JailError.self) { try spec.validate() }
        spec.environment = [("", "c")]
        #expect(throws: JailError.self) { try spec.validate() }
        spec.environment = [("OK", "value with = sign")]
        #expect(throws: Never.self) { try spec.validate() }
    }

    @Test func callerEnvironmentOverridesTheMinimalOneAndAddsToIt() {
        var spec = JailSpec(program: "/bin/true")
        spec.environment = [("HOME", "/tmp"), ("TOKEN", "x")]
        #expect(
            spec.effectiveEnvironment == [
                "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8",
                "TMPDIR=/tmp", "TOKEN=x",
            ])
    }

    @Test func resultJSONEscapesControlCharactersAndKeepsContractFields() {
        let result = JailResult(status: .runtimeError, exitCode: 3, stdout: "a\"b\\c\n\u{1}", cgroup: "v1")
        let json = result.json()
        #expect(json.contains(#""stdout":"a\"b\\c\n\u0001""#))
        for field in [
            "status", "exitCode", "signal", "wallMs", "cpuMs", "maxRssKb", "stdout", "stderr",
            "stdoutTruncated", "stderrTruncated", "error",
        ] {
            #expect(json.contains("\"\(field)\":"), "missing \(field)")
        }
        #expect(json.contains(#""status":"runtime_error""#))
    }

    @Test func shellExitCodesFollowTheContract() {
        #expect(JailResult(status: .ok, exitCode: 0).shellExitCode == 0)
        #expect(JailResult(status: .runtimeError, exitCode: 7).shellExitCode == 7)
        #expect(JailResult(status: .signaled, signal: 11).shellExitCode == 139)
        #expect(JailResult(status: .timeout, signal: 9).shellExitCode == 124)
        #expect(JailResult(status: .setupError).shellExitCode == 125)
    }
}
