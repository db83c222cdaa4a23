-- Template: {{role}} a quoted identifier, {{password}} a quoted literal.
ALTER ROLE {{role}} PASSWORD {{password}}
