-- What the service understood of each piece: its text (per page, from the PDF's text layer or
-- from OCR), its kind as classified, and the Factur-X data of electronic invoices; and the
-- durable job queue that does this work in the background.

-- pending → done | failed; text_reason says why a text could not be read.
alter table documents add column text_status text not null default 'pending';
alter table documents add column text_reason text;
alter table documents add column page_count integer;
-- JSON array of 1-based page numbers whose text layer was empty (scans).
alter table documents add column pages_without_text text;
-- The classifier's view: kind, confidence in [0, 1], JSON reasons, JSON other kinds with pages.
alter table documents add column detected_kind text;
alter table documents add column kind_confidence double precision;
alter table documents add column kind_reasons text;
alter table documents add column other_kinds text;
-- 1 when the uploader's kind and a confident classifier disagree, until an assistant clears it.
alter table documents add column kind_mismatch integer not null default 0;
-- JSON of the Factur-X fields, when the PDF carries an invoice XML.
alter table documents add column facturx text;

create table document_pages (
    document_id text not null references documents (id),
    page integer not null,
    -- 'layer' (the PDF's text) or 'ocr'
    source text not null,
    text text not null,
    primary key (document_id, page)
);

-- A job is claimed by setting state 'running' with a lease; a lease that runs out (a crashed
-- worker) makes the job claimable again. Failed attempts wait run_after (backoff).
create table jobs (
    id text primary key,
    kind text not null,
    document_id text not null references documents (id),
    state text not null default 'queued',
    attempts integer not null default 0,
    run_after text not null,
    lease_until text,
    last_error text,
    created_at text not null,
    updated_at text not null
);
create index jobs_due on jobs (state, run_after);

-- Pieces recorded before this migration are understood too.
insert into jobs (id, kind, document_id, run_after, created_at, updated_at)
select 'understand-' || id, 'understand', id, uploaded_at, uploaded_at, uploaded_at from documents;
