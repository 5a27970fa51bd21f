import Foundation
import JSON

/// Temporary directories and tool packages built on the fly.
public enum Fixture {
    /// A fresh, uniquely named directory with exactly `mode` (default 0755, so the jail's unprivileged
    /// uid can traverse it; 0777 where a tool must write into it); removed by the caller. The one
    /// temporary-directory helper of every test target.
    public static func directory(_ label: String = "e2e", mode: Int = 0o755) -> String {
        let path = NSTemporaryDirectory() + "omega-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Set after creation: the umask does not apply to an explicit change.
        try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Writes a `sandbox_job` package into `parent/<folder>`: `omega.json` plus `run.sh` (a /bin/sh script) or
    /// `main.py` (when `python` is true). Returns the package folder.
    @discardableResult
    public static func package(
        in parent: String, folder: String? = nil, id: String, script: String, python: Bool = false,
        input: JSONValue = ["type": "object"], output: JSONValue? = nil, env: [JSONValue] = [], scopes: [String] = [],
        risk: JSONValue = ["level": "low", "externalWrite": false, "readOnly": true], timeoutSeconds: Int = 30,
        command: [String]? = nil, examples: [JSONValue]? = nil
    ) -> String {
        let directory = parent + "/" + (folder ?? id)
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let file = python ? "main.py" : "run.sh"
        write(script, to: directory + "/" + file, mode: 0o755)
        let program = command ?? (python ? ["python3", "/tool/main.py"] : ["/bin/sh", "/tool/run.sh"])
        var manifest: [String: JSONValue] = [
            "schemaVersion": 1, "id": .string(id), "version": "1.0.0", "title": .string("Fixture \(id)"),
            "description": "A fixture tool built by the executor's end-to-end tests.", "keywords": ["fixture"],
            "input": input, "env": .array(env), "scopes": .array(scopes.map { .string($0) }), "risk": risk,
            "execution": ["binding": "sandbox_job", "command": .array(program.map { .string($0) })],
            "limits": [
                "timeoutSeconds": .integer(Int64(timeoutSeconds)), "memoryMB": 128, "pids": 16,
                "outputBytes": 1_048_576,
            ],
            "examples": .array(examples ?? [["name": "basic", "input": [:]]]),
        ]
        if let output { manifest["output"] = output }
        write(JSONValue.object(manifest).jsonText, to: directory + "/omega.json", mode: 0o644)
        return directory
    }

    public static func write(_ text: String, to path: String, mode: Int = 0o644) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    }

    /// Every regular file under `root` (recursively), as absolute paths.
    public static func files(under root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(path)
            }
        }
        return result
    }
}
