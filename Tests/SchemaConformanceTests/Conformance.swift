import Testing
// Replaced by the conformance runner (issue 3).
