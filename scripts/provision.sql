-- One service's place in database voorlichting, the way the platform team provisions it in
-- production (idempotent): an owner role that owns the service's schema (used only by the
-- migration step) and a login role for the running service that reaches only that schema;
-- nobody but the owners may create anything, and no role sees another service's schema.
-- Run connected to database voorlichting as an administrator, once per service:
--   psql ... -v svc=intake -v owner_password=... -v app_password=... -f scripts/provision.sql
-- Used by scripts/provision-db.sh (the project-local PostgreSQL) and by the PostgreSQL pod of
-- scripts/deploy-local.sh (k8s/overlays/local/postgres). The passwords reach the server inside
-- ALTER ROLE statements, as with psql's \password; PostgreSQL stores only their SCRAM verifier.
\set ON_ERROR_STOP on
\set owner :svc '_owner'
\set app :svc '_svc'

SELECT format('CREATE ROLE %I LOGIN', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner')
\gexec
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app')
\gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password')
\gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password')
\gexec
-- A non-superuser administrator may only hand a schema to a role it is a member of.
SELECT format('GRANT %I TO CURRENT_USER', :'owner')
  WHERE NOT pg_has_role(current_user, :'owner', 'MEMBER')
\gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'svc', :'owner')
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), :'owner', :'app')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database())
\gexec
REVOKE ALL ON SCHEMA public FROM PUBLIC;
