-- A company's dossier lists, newest change first, without sorting the whole company (the pages'
-- lists at 10,000 dossiers and more).
create index dossiers_company_updated on dossiers (company_id, updated_at);
create index dossiers_company_state_updated on dossiers (company_id, state, updated_at);
