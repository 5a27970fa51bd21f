import JSON

extension RegistryEntry {
    /// `json.canonicalText`, written directly (fields in their canonical order, no intermediate
    /// dictionary): the stored document of an entry, compared byte for byte to tell an unchanged entry
    /// from an updated one. Equal to ``json``'s RFC 8785 canonical text.
    var documentText: String {
        var out = "{"
        out.reserveCapacity(64 + description.utf8.count * 2)
        var first = true
        func key(_ name: String) {
            out += first ? "\"" : ",\""
            first = false
            out += name
            out += "\":"
        }
        func string(_ value: String) { JSONWriter.appendQuoted(value, to: &out) }
        func bool(_ value: Bool) { out += value ? "true" : "false" }

        // Keys in UTF-16 order (all ASCII here): binding, description, env, id, input, keywords, output,
        // package, risk, scopes, title, version, yanked.
        if let binding {
            key("binding")
            string(binding)
        }
        key("description")
        string(description)
        if !env.isEmpty {
            key("env")
            out += "["
            for (i, variable) in env.enumerated() {
                out += i == 0 ? "{\"description\":" : ",{\"description\":"
                string(variable.description)
                out += ",\"name\":"
                string(variable.name)
                out += ",\"required\":"
                bool(variable.required)
                out += ",\"secret\":"
                bool(variable.secret)
                out += "}"
            }
            out += "]"
        }
        key("id")
        string(id)
        if let input {
            key("input")
            out += input.canonicalText
        }
        if !keywords.isEmpty {
            key("keywords")
            list(keywords, into: &out)
        }
        if let output {
            key("output")
            out += output.canonicalText
        }
        if let package {
            key("package")
            out += "{\"digest\":"
            string(package.digest)
            out += ",\"source\":"
            string(package.source)
            out += "}"
        }
        if let risk {
            key("risk")
            out += "{\"externalWrite\":"
            bool(risk.externalWrite)
            if let idempotent = risk.idempotent {
                out += ",\"idempotent\":"
                bool(idempotent)
            }
            out += ",\"level\":"
            string(risk.level.rawValue)
            out += ",\"readOnly\":"
            bool(risk.readOnly)
            out += "}"
        }
        if !scopes.isEmpty {
            key("scopes")
            list(scopes, into: &out)
        }
        if let title {
            key("title")
            string(title)
        }
        key("version")
        string(version.description)
        if let yanked {
            key("yanked")
            if yanked.isEmpty { out += "true" } else { string(yanked) }
        }
        out += "}"
        return out
    }

    private func list(_ items: [String], into out: inout String) {
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            JSONWriter.appendQuoted(item, to: &out)
        }
        out += "]"
    }
}
