-- Hand-written (ent cannot express it): a trigram index for the
-- prospectEmailContains filter, whose ILIKE '%…%' no b-tree can serve.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, but a
-- server may lack it or the role may not be allowed to create it: then the
-- migration still succeeds, says so in a NOTICE, and the filter scans
-- prospects instead. The operator class is named with the schema the
-- extension lives in, which need not be on search_path.
DO $$
DECLARE
  ext_schema text;
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'mailbridge: pg_trgm is not available (%), prospectEmailContains will scan prospects', SQLERRM;
  END;
  SELECT n.nspname INTO ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS prospect_email_trgm ON prospects USING gin (email %I.gin_trgm_ops)', ext_schema);
  END IF;
END
$$;
