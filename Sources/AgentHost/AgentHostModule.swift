/// Placeholder: filled by a later issue.
public enum AgentHostModule { /// The module name.
 public static let name = "AgentHost" }
