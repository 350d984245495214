-- Jobs that a worker can lose and that are shared fairly between companies.
-- claim_token: each claim's own token; renewing, finishing and failing a job touch its row only
-- while it holds the token of the worker doing so.
-- company_id: the company of the piece's dossier, so that claims go first to the company with
-- the fewest running jobs.
alter table jobs add column claim_token text;
alter table jobs add column company_id text references companies (id);

update jobs set company_id = (
    select dossiers.company_id from documents join dossiers on dossiers.id = documents.dossier_id
    where documents.id = jobs.document_id
);

create index jobs_company_state on jobs (company_id, state);
