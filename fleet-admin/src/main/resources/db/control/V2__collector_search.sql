-- The collector list's search (?search=) is a substring match over name, hostname and id. A LIKE '%…%' over
-- three lower()ed columns costs a sequential scan of every collector (about 10 ms at 10,000 rows); one stored,
-- already lowered column with a trigram index answers it from the index (0.2 ms; bench/run-api).
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since 13: the database's owner can create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE collectors ADD COLUMN search_text text NOT NULL
    GENERATED ALWAYS AS (lower(name) || ' ' || lower(coalesce(hostname, '')) || ' ' || lower(id)) STORED;
CREATE INDEX collectors_search ON collectors USING gin (search_text gin_trgm_ops) WITH (fastupdate = off);
-- GIN's pending list (fastupdate) defers index entries to the next vacuum; until then every search and tag filter
-- scans the list and the planner, costing it, falls back to a sequential scan (7 ms instead of 0.3 ms for 10,000
-- collectors, measured). Collectors are registered and retagged seldom: index them at once.
ALTER INDEX collectors_tags SET (fastupdate = off);

-- ?version= with any sort: a release is a few percent of the fleet, a top-N sort of those rows is cheap.
CREATE INDEX collectors_version ON collectors (lifecycle, version, lower(name), id);
