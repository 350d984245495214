-- Employer invoices (factures, type 380) and credit notes (avoirs, type 381), issued from a
-- dossier. A number is given only at issue, from one continuous sequence per issuing company
-- (the `counters` row `invoice:<company id>`), in the transaction that records the invoice: no
-- gap and no duplicate, whatever the concurrency, and a crash either keeps both or neither.
-- An issued invoice never changes: its data is frozen here as JSON; it is cancelled by a credit
-- note that references it. Its PDF is rendered after the commit (a durable `render_invoice` job
-- finishes it after a crash) and stored as a `facture_employeur` piece of the dossier.
create table invoices (
    id text primary key,
    company_id text not null references companies (id),
    dossier_id text not null references dossiers (id),
    sequence bigint not null,
    number text not null,
    type_code text not null check (type_code in ('380', '381')),
    credited_invoice_id text references invoices (id),
    issue_date text not null,
    issued_at text not null,
    issued_by text not null references users (id),
    data text not null,
    total_ht text not null,
    total_tva text not null,
    total_ttc text not null,
    idempotency_key text,
    request_sha256 text,
    document_id text references documents (id),
    unique (company_id, sequence),
    unique (company_id, number),
    unique (company_id, idempotency_key)
);
create index invoices_dossier on invoices (dossier_id, sequence);
-- An invoice is cancelled at most once.
create unique index invoices_credited on invoices (credited_invoice_id);
