import AgentHost

/// The credential page's HTML (no script at all; every text escaped): the form for a ticket, the
/// page after saving, and the error page. Values are never part of any page.
enum CredentialPage {
    /// The form: the tool, each variable with its description, one password field each.
    static func form(_ ticket: CredentialTicket, nowMs: Int64) -> String {
        let minutes = max(1, (ticket.expiresAtMs - nowMs + 59_999) / 60_000)
        var fields = ""
        for (index, variable) in ticket.variables.enumerated() {
            let name = HTML.escape(variable.name)
            let description =
                variable.description.isEmpty
                ? "" : "<p class=\"hint\" id=\"d\(index)\">\(HTML.escape(variable.description))</p>"
            let describedBy = variable.description.isEmpty ? "" : " aria-describedby=\"d\(index)\""
            fields += """
                <div class="field"><label for="v\(index)"><code>\(name)</code></label>\(description)\
                <input id="v\(index)" name="\(name)" type="password" autocomplete="off" autocapitalize="off" \
                spellcheck="false" required\(describedBy)></div>

                """
        }
        return page(
            title: "Credentials for \(ticket.toolID)",
            body: """
                <h1>Credentials for <code>\(HTML.escape(ticket.toolID))</code></h1>
                <p>The tool needs \(ticket.variables.count == 1 ? "this value" : "these values") to continue run \
                <code>\(HTML.escape(ticket.runID))</code>. \(ticket.variables.count == 1 ? "It goes" : "They go") \
                straight to the vault of user <code>\(HTML.escape(ticket.user))</code>: the agent and the model never see \
                \(ticket.variables.count == 1 ? "it" : "them").</p>
                <form method="post" autocomplete="off">
                \(fields)<button type="submit">Save</button>
                </form>
                <p class="note">This link works once and expires in about \(minutes) minute\(minutes == 1 ? "" : "s").</p>
                """)
    }

    /// After saving: where to go next.
    static func saved(_ ticket: CredentialTicket) -> String {
        page(
            title: "Saved",
            body: """
                <h1>Saved.</h1>
                <p>Saved. Return to your agent and continue.</p>
                <p class="note">Stored for user <code>\(HTML.escape(ticket.user))</code>: \
                \(ticket.variables.map { "<code>\(HTML.escape($0.name))</code>" }.joined(separator: ", ")). \
                You can close this page.</p>
                """)
    }

    /// An error page with `message` (one sentence, already free of secrets).
    static func error(title: String, _ message: String) -> String {
        page(
            title: title,
            body: """
                <h1>\(HTML.escape(title))</h1>
                <p class="error">\(HTML.escape(message))</p>
                <p class="note">Ask your agent to run the tool again for a new link.</p>
                """)
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) · Omega Exec</title>
        <style>
        body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1d1d1b}
        main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
        h1{font-size:1.35rem;margin-top:0}code{font:0.95em ui-monospace,monospace;overflow-wrap:anywhere}
        .field{margin:1.2rem 0}label{display:block;font-weight:600}.hint{margin:.2rem 0 .4rem;color:#555}
        input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #999;border-radius:4px}
        button{padding:.55rem 1.4rem;font:inherit;border:0;border-radius:4px;background:#1d4ed8;color:#fff}
        .note{color:#666;font-size:.9rem}.error{color:#a11}
        </style>
        </head>
        <body><main>
        \(body)
        </main></body>
        </html>

        """
    }
}
