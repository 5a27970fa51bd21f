import Prometheus
import RunStorage

/// The endpoint's Prometheus metrics (`GET /metrics`, text format 0.0.4), through swift-prometheus:
/// - `omega_http_requests_total{route, status}` and `omega_http_request_duration_seconds{route}`;
/// - `omega_runs_total{status}` and `omega_tool_runs_total{tool, outcome}` (the tool failure rate is
///   `outcome="failure"` over all), counted as runs end in this process;
/// - `omega_rate_limited_total`, `omega_unauthorized_total`, `omega_event_streams_open`.
///
/// Labels are route templates (`POST /api/runs/:id/cancel`), never ids or values from a request, so
/// the number of series stays bounded; tool labels are registry ids (bounded by the registry, and the
/// series count is capped at ``maximumToolSeries``).
public final class EndpointMetrics: Sendable {
    /// The registry the text is emitted from.
    public let registry = PrometheusCollectorRegistry()
    private let rateLimitedCounter: Counter
    private let unauthorizedCounter: Counter
    private let streams: Gauge
    private let toolSeries = ToolSeries()

    /// Most distinct tools counted (the rest are counted as `tool="other"`).
    static let maximumToolSeries = 1000

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    public init() {
        rateLimitedCounter = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "omega", metricName: "rate_limited", unitName: "total",
                helpText: "Requests refused by a key's rate limit"))
        unauthorizedCounter = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "omega", metricName: "unauthorized", unitName: "total",
                helpText: "Requests refused for a missing or wrong API key"))
        streams = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "omega", metricName: "event_streams_open", helpText: "Open SSE streams"))
    }

    /// Counts and times one response.
    func observe(route: String, status: Int, since started: ContinuousClock.Instant) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "omega", subsystem: "http", metricName: "requests", unitName: "total",
                helpText: "HTTP requests by route template and status"),
            labels: [("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "omega", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                helpText: "Time to the response head by route template"),
            labels: [("route", route)], buckets: Self.buckets
        ).record(ContinuousClock.now - started)
    }

    /// Counts a run's end (and its tool's success or failure).
    public func runEnded(status: RunStatus, toolID: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "omega", metricName: "runs", unitName: "total", helpText: "Runs ended, by status"),
            labels: [("status", status.rawValue)]
        ).increment()
        guard status.isFinal else { return }
        let tool = toolSeries.admit(toolID, limit: Self.maximumToolSeries) ? toolID : "other"
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "omega", metricName: "tool_runs", unitName: "total",
                helpText: "Tool runs ended, by tool and outcome (success or failure)"),
            labels: [("tool", tool), ("outcome", status == .completed ? "success" : "failure")]
        ).increment()
    }

    func rateLimited() { rateLimitedCounter.increment() }
    func unauthorized() { unauthorizedCounter.increment() }
    func streamOpened() { streams.increment() }
    func streamClosed() { streams.decrement() }

    /// The metrics in the Prometheus text format.
    public func text() -> String { registry.emitToString() }
}
