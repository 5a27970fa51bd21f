import Foundation
import JSON
import Service
import TestSupport
import Testing
import ToolRuntime

@testable import AgentHost

/// A temporary home for the planner's tests: the starter tools, a few indexed tools with schemas and
/// keys, and one installed package. Removed by ``remove()``.
struct PlanningHome {
    let root: String
    let registry: RegistryService
    let planner: OfflinePlanner

    /// The indexed tools (one JSON Lines entry each).
    static let indexed: [JSONValue] = [
        [
            "id": "text.word_count", "version": "1.2.0", "title": "Word count",
            "description": "Counts the words in a text and lists the most frequent ones.",
            "keywords": ["word count", "words", "count"],
            "input": [
                "type": "object", "additionalProperties": false, "required": ["text"],
                "properties": [
                    "text": ["type": "string", "minLength": 1, "description": "The text whose words are counted"],
                    "top": [
                        "type": "integer", "minimum": 1, "maximum": 50,
                        "description": "How many of the most frequent words to list",
                    ],
                    "language": ["enum": ["en", "de", "fr"], "description": "The language of the text"],
                ],
            ],
            "output": [
                "type": "object", "description": "The counts.",
                "properties": ["words": ["type": "integer"], "unique": ["type": "integer"], "top": ["type": "array"]],
            ],
            "binding": "sandbox_job",
        ],
        [
            "id": "web.page_fetch", "version": "2.0.0", "title": "Fetch a web page",
            "description": "Downloads a web page by its URL and returns the page's readable text.",
            "keywords": ["web", "fetch", "download", "page", "url"],
            "input": [
                "type": "object", "required": ["url"],
                "properties": [
                    "url": ["type": "string", "format": "uri", "pattern": "^https?://", "description": "The page"],
                    "maxBytes": ["type": "integer", "minimum": 1024, "description": "Most bytes downloaded"],
                ],
            ],
            "output": ["type": "object", "properties": ["status": ["type": "integer"], "text": ["type": "string"]]],
            "scopes": ["read_web"], "binding": "sandbox_job",
        ],
        [
            "id": "mail.send_message", "version": "1.0.0", "title": "Send an e-mail",
            "description": "Sends an e-mail message to one recipient through the configured SMTP server.",
            "keywords": ["email", "mail", "send", "smtp"],
            "input": [
                "type": "object", "required": ["to", "subject", "body"],
                "properties": [
                    "to": ["type": "string", "format": "email", "description": "The recipient's address"],
                    "subject": ["type": "string", "minLength": 1, "description": "The subject line"],
                    "body": ["type": "string", "description": "The message"],
                ],
            ],
            "env": [
                [
                    "name": "SMTP_PASSWORD", "description": "Password of the SMTP account", "required": true,
                    "secret": true,
                ]
            ],
            "scopes": ["send_email"], "binding": "sandbox_job",
            "risk": ["level": "medium", "externalWrite": true, "readOnly": false],
        ],
        [
            "id": "math.is_prime", "version": "1.0.0", "title": "Prime test",
            "description": "Tells whether an integer is a prime number.", "keywords": ["prime", "integer", "math"],
            "input": [
                "type": "object", "required": ["n"],
                "properties": ["n": ["type": "integer", "minimum": 2, "description": "The integer to test"]],
            ],
            "binding": "sandbox_job",
        ],
        [
            "id": "text.compare_two", "version": "1.0.0", "title": "Compare two texts",
            "description": "Compares two texts line by line or word by word.", "keywords": ["compare", "diff"],
            "input": [
                "type": "object", "required": ["mode"], "minProperties": 3,
                "properties": [
                    "mode": ["enum": ["lines", "tokens"], "description": "What is compared"],
                    "left": ["type": "string"], "right": ["type": "string"],
                ],
            ],
            "binding": "sandbox_job",
        ],
        [
            "id": "weather.forecast", "version": "1.0.0", "title": "Weather forecast",
            "description": "Daily weather forecast for a city from a commercial weather service.",
            "keywords": ["weather", "forecast", "city"],
            "env": [["name": "WEATHER_API_KEY", "description": "Key of the weather service", "required": true]],
            "binding": "sandbox_job",
        ],
        [
            "id": "weather.premium", "version": "3.1.0", "title": "Premium weather forecast",
            "description": "Hourly and daily weather forecast for any city, from a premium service.",
            "keywords": ["weather", "forecast", "hourly"],
            "env": [["name": "PREMIUM_WEATHER_KEY", "description": "Key of the premium service", "required": true]],
            "binding": "sandbox_job",
        ],
        [
            "id": "weather.open_meteo", "version": "0.4.0", "title": "Open-Meteo forecast",
            "description": "Weather forecast for a city from Open-Meteo; needs no key.",
            "keywords": ["weather", "forecast", "free"], "binding": "sandbox_job",
        ],
    ]

    /// A home with the indexed tools imported and `weather.station` installed.
    static func make(_ label: String = "planning") throws -> PlanningHome {
        let root = Fixture.directory(label)
        let registry = try RegistryService(configuration: RuntimeConfiguration(home: OmegaHome(root: root + "/home")))
        let index = root + "/index.jsonl"
        Fixture.write(indexed.map(\.jsonText).joined(separator: "\n") + "\n", to: index)
        let imported = try registry.importIndex(file: index).result
        try #require(imported.skipped == 0, "\(imported.problems)")
        let station = Fixture.package(in: root, id: "weather.station", script: "cat >/dev/null\necho '{}'\n")
        _ = try PackageService(home: registry.home).install(
            station, trustedKeys: nil, allowUnsigned: true, force: false)
        let fresh = try RegistryService(configuration: RuntimeConfiguration(home: OmegaHome(root: root + "/home")))
        return PlanningHome(root: root, registry: fresh, planner: OfflinePlanner(registry: fresh))
    }

    /// The plans for `text`.
    func plan(_ text: String, maxPlans: Int = 3) async throws -> PlanResponse {
        try await planner.plan(PlanRequest(text: text, maxPlans: maxPlans))
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
