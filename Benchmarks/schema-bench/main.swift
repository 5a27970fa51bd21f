// Replaced by the schema benchmark (issue 3).
print("schema-bench: not built yet")
