-- A page far down a company's dossier list (page 50: 980 rows to skip) reads the skipped rows
-- from these indexes only (they hold what the order needs and the id), then fetches the 20 rows
-- shown. They replace the indexes of 0012, of which they are an extension.
create index dossiers_company_list on dossiers (company_id, updated_at, number, id);
create index dossiers_company_state_list on dossiers (company_id, state, updated_at, number, id);
drop index dossiers_company_updated;
drop index dossiers_company_state_updated;
