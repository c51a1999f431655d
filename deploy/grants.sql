-- Least-privilege database roles for coalition-server (SPEC §8, deploy/README.md).
-- Run as the schema owner (the role that runs `coalition-server migrate`) after
-- every migration, e.g.:
--   psql "$OWNER_URL" -v service_role=coalition_service -f deploy/grants.sql
-- The service role must already exist (CREATE ROLE coalition_service LOGIN ...).
\set ON_ERROR_STOP on

-- The service reads the schema but creates nothing in it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"service_role";

-- The ledger is written by INSERT and guarded UPDATEs; the service never
-- deletes or truncates anything.
GRANT SELECT, INSERT, UPDATE ON
  partners, api_keys, accounts, members, cards, member_profiles, transfers, lots,
  lot_consumptions, idempotency_keys, holds, redemption_policies, purchases, lot_restorations,
  earn_rules, campaigns, campaign_awards, partner_economics, settlement_batches,
  settlement_activity, bonus_grants, bonus_grant_members, first_brand_awards
  TO :"service_role";
-- Tiers (V0011): versions are appended, member state upserted.
GRANT SELECT, INSERT, UPDATE ON tier_tables, tiers, member_qualifying_points, member_tiers
  TO :"service_role";
-- The audit log is append-only for the service (the V0006 triggers also
-- refuse UPDATE, DELETE and TRUNCATE to everyone, the owner included).
REVOKE ALL ON audit_log FROM :"service_role";
GRANT SELECT, INSERT ON audit_log TO :"service_role";
-- Read-only: the service checks the schema version, it does not change it.
REVOKE ALL ON schema_migrations FROM :"service_role";
GRANT SELECT ON schema_migrations TO :"service_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"service_role";
-- BatchAccrue stages each chunk in temporary tables (dropped at commit), so
-- the service role keeps TEMPORARY on the database (PUBLIC has it by default;
-- do not revoke it).
-- mTLS identities (V0013): registered, looked up and revoked (UPDATE), never deleted.
GRANT SELECT, INSERT, UPDATE ON client_certificates TO :"service_role";
-- Views used by the service.
GRANT SELECT ON partner_details TO :"service_role";
