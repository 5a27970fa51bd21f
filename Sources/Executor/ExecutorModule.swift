/// Placeholder: filled by a later issue.
public enum ExecutorModule { /// The module name.
 public static let name = "Executor" }
