import Foundation

/// A contract-test report as JUnit XML (one `testsuite` named after the tool, one `testcase` a case).
public enum JUnitReport {
    /// The XML text of `report`.
    public static func xml(_ report: ContractTestReport) -> String {
        let results = report.cases
        let suite = escape(report.toolID)
        let failures = results.filter { !$0.passed }.count
        let total = String(format: "%.3f", results.reduce(0) { $0 + $1.seconds })
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(total)\">\n"
        xml +=
            "  <testsuite name=\"\(suite)\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"0\" time=\"\(total)\">\n"
        for result in results {
            xml +=
                "    <testcase classname=\"\(suite)\" name=\"\(escape(result.name))\" time=\"\(String(format: "%.3f", result.seconds))\""
            if result.passed {
                xml += "/>\n"
            } else {
                xml +=
                    ">\n      <failure message=\"\(escape(String(result.message.prefix(200))))\">\(escape(result.message))</failure>\n    </testcase>\n"
            }
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// `text` safe inside XML 1.0 text and attributes (control characters XML forbids become `?`).
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" && scalar != "\r" {
                    out += "?"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
