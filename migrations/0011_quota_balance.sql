-- The balance of every quota account-year as one row, kept by the ledger itself (issue 8, item 7).
--
-- Until now a draw took an advisory lock on the county-year, summed the ledger, looked for its
-- approval number among all the county's draws and wrote the draw and its entry: five round trips
-- with the lock held, and every other draw of the county waiting on a pooled connection meanwhile
-- (200 at once: p95 2.5 s, and reads of other counties starved of connections). Now a draw is one
-- statement (src/quota/repository.ts, drawWithEntry): it inserts the draw and its ledger entry, and
-- the entry's trigger below adds the amount to the account-year's row of quota.balance. That row
-- lock is the serialisation point: taken at the last moment, held only until the transaction
-- commits, and a drawn entry that would take the balance below zero is refused right there (SQLSTATE
-- ZQ001, the balance before it in DETAIL), with the row locked, so parallel draws never overdraw.
--
-- Every writer of quota.entry (issuance, pool allocation, deductions, lapse, draws) goes through
-- the trigger, so the row is always the sum of the account-year's entries. The app role can read
-- the rows (in its jurisdiction) but never write them: only the owner's trigger function does.

CREATE TABLE quota.balance (
  county_code  char(6) NOT NULL,
  account      text NOT NULL CHECK (account IN ('county', 'pool')),
  quota_year   smallint NOT NULL,
  balance_umu  bigint NOT NULL,                      -- signed µ亩: the sum of the account-year's entries
  PRIMARY KEY (county_code, account, quota_year)
);

INSERT INTO quota.balance (county_code, account, quota_year, balance_umu)
SELECT county_code, account, quota_year, sum(amount_umu) FROM quota.entry GROUP BY 1, 2, 3;

-- Each entry records the balance it left (a running balance, as on a bank statement). This is also
-- how a draw learns its balance in the same statement, without a second query under the lock.
ALTER TABLE quota.entry ADD COLUMN balance_after_umu bigint;
-- Entries written before this migration: the running sum in order of writing (writers of an
-- account-year were serialised by the advisory lock, so id order is the order they were applied).
-- A schema change, not an event: the append-only and audit triggers stay out of it.
ALTER TABLE quota.entry DISABLE TRIGGER USER;
UPDATE quota.entry e SET balance_after_umu = r.s
  FROM (SELECT id, sum(amount_umu) OVER (PARTITION BY county_code, account, quota_year ORDER BY id) AS s FROM quota.entry) r
 WHERE r.id = e.id;
ALTER TABLE quota.entry ENABLE TRIGGER USER;

-- Applies an entry to its account-year's balance: locks the row (creating it for the first entry),
-- refuses a draw that would leave it below zero, and stamps the entry with the balance after it
-- (whatever the writer put there). Runs as the owner: the app role has no write on quota.balance.
CREATE FUNCTION quota.apply_entry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  after bigint;
BEGIN
  INSERT INTO quota.balance AS b (county_code, account, quota_year, balance_umu)
  VALUES (NEW.county_code, NEW.account, NEW.quota_year, NEW.amount_umu)
  ON CONFLICT (county_code, account, quota_year) DO UPDATE SET balance_umu = b.balance_umu + EXCLUDED.balance_umu
  RETURNING b.balance_umu INTO after;
  IF NEW.kind = 'drawn' AND after < 0 THEN
    RAISE EXCEPTION 'quota balance of % (%) for % insufficient', NEW.county_code, NEW.account, NEW.quota_year
      USING ERRCODE = 'ZQ001', DETAIL = (after - NEW.amount_umu)::text;
  END IF;
  NEW.balance_after_umu := after;
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION quota.apply_entry() FROM PUBLIC;
CREATE TRIGGER balance_apply BEFORE INSERT ON quota.entry FOR EACH ROW EXECUTE FUNCTION quota.apply_entry();

-- The ledger is append-only (no UPDATE or DELETE); emptying it (TRUNCATE, as the tests do) empties
-- the balances with it, so they never outlive their entries.
CREATE FUNCTION quota.clear_balances() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM quota.balance;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION quota.clear_balances() FROM PUBLIC;
CREATE TRIGGER balance_clear AFTER TRUNCATE ON quota.entry FOR EACH STATEMENT EXECUTE FUNCTION quota.clear_balances();

-- Locks an account-year's balance row and returns the balance (0 when it has no entries): for a
-- writer that reads the balance and then writes an entry from it (the lapse voids exactly what is
-- left), so that no draw can slip in between. In the caller's jurisdiction only, never a township's.
CREATE FUNCTION quota.lock_balance(p_county text, p_account text, p_quota_year integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  b bigint;
BEGIN
  IF NOT zhanbu.in_scope(p_county) OR zhanbu.current_role() IS NOT DISTINCT FROM 'township'
     OR nullif(current_setting('zhanbu.township', true), '') IS NOT NULL THEN
    RAISE EXCEPTION 'quota account % outside the scope', p_county USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT balance_umu INTO b FROM quota.balance
   WHERE county_code = p_county AND account = p_account AND quota_year = p_quota_year FOR UPDATE;
  RETURN coalesce(b, 0);
END $$;
REVOKE ALL ON FUNCTION quota.lock_balance(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION quota.lock_balance(text, text, integer) TO zhanbu_app;

-- Readable like the ledger it sums: in the jurisdiction, never by a township.
ALTER TABLE quota.balance ENABLE ROW LEVEL SECURITY;
CREATE POLICY scope ON quota.balance TO zhanbu_app USING (zhanbu.in_scope(county_code));
CREATE POLICY no_township ON quota.balance AS RESTRICTIVE TO zhanbu_app USING (zhanbu.current_role() IS DISTINCT FROM 'township');
-- The scope-based township policy of the other quota tables, where that migration is present.
DO $$
BEGIN
  IF to_regprocedure('zhanbu.is_township()') IS NOT NULL THEN
    CREATE POLICY township_hidden ON quota.balance AS RESTRICTIVE TO zhanbu_app USING (NOT zhanbu.is_township());
  END IF;
END $$;
GRANT SELECT ON quota.balance TO zhanbu_app;
