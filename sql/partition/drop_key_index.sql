-- Template: {{key_index}}, a quoted identifier.
DROP INDEX CONCURRENTLY IF EXISTS {{key_index}}
