/// Placeholder: filled by a later issue.
public enum ManifestModule { /// The module name.
 public static let name = "Manifest" }
