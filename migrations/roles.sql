-- The three database roles of zhanbu. Roles belong to the whole PostgreSQL cluster, not to one
-- database, so this is not a numbered migration: it is run once per cluster by a superuser
-- (`npm run migrate` runs it itself whenever it connects as one; it is idempotent), before the
-- migrations. See migrations/README.md and the README's "Security" section.
--
--   zhanbu_owner    owns every schema, table and function; migrations run as it. NOLOGIN: an
--                   administrator (or a login that is a member) takes it with SET ROLE.
--   zhanbu_service  the service's login. Not a superuser, owns nothing in the schema, cannot
--                   become zhanbu_owner. BYPASSRLS: its own connection is the "system context" of
--                   background work (imports, checks, exports, token look-up), which sees every row.
--   zhanbu_app      the role of a user's request (SET LOCAL ROLE in withScope): no BYPASSRLS, so
--                   the row-level policies of migrations/0003 confine it to the user's jurisdiction.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhanbu_owner') THEN
    CREATE ROLE zhanbu_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhanbu_app') THEN
    CREATE ROLE zhanbu_app NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zhanbu_service') THEN
    CREATE ROLE zhanbu_service LOGIN;
  END IF;
END $$;

-- Stated every time, so a role created by hand (or by an older version) ends up exactly so.
ALTER ROLE zhanbu_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE zhanbu_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE zhanbu_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION BYPASSRLS;

-- withScope switches the service's connection to zhanbu_app; migration 0003 grants zhanbu_app
-- to the migrating role, which the owner may do.
GRANT zhanbu_app TO zhanbu_service;
-- Never the other way round: the service must not be able to SET ROLE zhanbu_owner.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_auth_members WHERE roleid = 'zhanbu_owner'::regrole AND member = 'zhanbu_service'::regrole) THEN
    REVOKE zhanbu_owner FROM zhanbu_service;
  END IF;
END $$;
GRANT zhanbu_app TO zhanbu_owner WITH ADMIN OPTION;
