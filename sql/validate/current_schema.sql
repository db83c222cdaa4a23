-- The schema handoff-top's objects live in: the first one on the search_path.
SELECT current_schema() AS schema
