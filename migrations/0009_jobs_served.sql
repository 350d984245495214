-- The companies take turns at the workers: the next claim goes to the company served longest
-- ago, found from its latest job that is not queued.
create index jobs_company_updated on jobs (company_id, updated_at);
