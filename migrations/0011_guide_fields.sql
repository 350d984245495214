-- The fields of the guide's request form (step 1 "Formation", step 2 "Modules complémentaires")
-- that the dossier lacked: an internal training, the organisme's postcode, city, telephone and
-- e-mail, and the modules complémentaires (one per line).
alter table dossiers add column provider_internal bigint not null default 0;
alter table dossiers add column provider_postcode text;
alter table dossiers add column provider_city text;
alter table dossiers add column provider_phone text;
alter table dossiers add column provider_email text;
alter table dossiers add column modules text;
