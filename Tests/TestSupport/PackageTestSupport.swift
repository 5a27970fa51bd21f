import Foundation
import ToolPackage

#if canImport(Testing)
import Testing
#endif

/// Helpers shared by the package tests.
public enum PackageTestSupport {
    /// `Tests/ToolPackageTests/Fixtures/echo_tool`.
    public static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ToolPackageTests/Fixtures/echo_tool").path

    /// A fresh temporary directory.
    public static func temporaryDirectory() -> String { Fixture.directory("pkg-test") }

    /// Copies the echo fixture to `<directory>/echo_tool` and returns that path.
    public static func copyFixture(into directory: String) -> String {
        let destination = directory + "/echo_tool"
        try! FileManager.default.copyItem(atPath: fixture, toPath: destination)
        return destination
    }

    public static func write(_ text: String, to path: String) {
        try! text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    #if canImport(Testing)
    /// Runs `body`, expecting a `PackageError` with `code`; returns it.
    @discardableResult
    public static func expectCode<T>(
        _ code: PackageError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
    ) -> PackageError? {
        do {
            _ = try body()
            Issue.record("expected \(code), but it succeeded", sourceLocation: sourceLocation)
        } catch let error as PackageError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
    #endif
}
