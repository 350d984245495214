-- The ingest path: companies and their establishments, users and their périmètre, API tokens,
-- dossiers with their trainees, documents, and the append-only history of each dossier.
-- Portable SQL: it runs unchanged on SQLite and PostgreSQL. Identifiers are UUIDv7 text,
-- timestamps RFC 3339 UTC text, amounts and hours decimal text (never floats).

create table companies (
    id text primary key,
    adherent_number text not null unique,
    name text not null,
    legal_form text,
    vat_number text,
    address text,
    postcode text,
    city text,
    created_at text not null
);

create table establishments (
    id text primary key,
    company_id text not null references companies (id),
    siret text not null unique,
    name text not null,
    address text,
    postcode text,
    city text,
    created_at text not null
);
create index establishments_company on establishments (company_id);

create table users (
    id text primary key,
    login text not null unique,
    display_name text not null,
    role text not null check (role in ('employer', 'assistant', 'admin')),
    created_at text not null
);

-- The périmètre: the companies a user may act for (employers) or handles (assistants).
create table user_companies (
    user_id text not null references users (id),
    company_id text not null references companies (id),
    primary key (user_id, company_id)
);
create index user_companies_company on user_companies (company_id);

-- Only the SHA-256 of a token is kept; the token itself is shown once, when created.
create table api_tokens (
    id text primary key,
    user_id text not null references users (id),
    token_hash text not null unique,
    label text not null,
    created_at text not null,
    revoked_at text
);
create index api_tokens_user on api_tokens (user_id);

create table counters (
    name text primary key,
    value bigint not null
);

create table dossiers (
    id text primary key,
    number text not null unique,
    company_id text not null references companies (id),
    siret text,
    state text not null check (state in ('draft', 'pending', 'granted', 'refused', 'closed')),
    provider_name text,
    provider_type text,
    provider_direct_payment bigint not null default 0,
    provider_address text,
    provider_siret text,
    provider_nda text,
    provider_contact text,
    title text,
    cpf_code text,
    hours text,
    start_date text,
    end_date text,
    cost_pedagogy text,
    cost_remuneration text,
    cost_accommodation text,
    cost_meals text,
    cost_transport text,
    cost_tutor_training text,
    cost_training_allowance text,
    cost_misc text,
    cost_engineering text,
    comment text,
    created_by text not null references users (id),
    created_at text not null,
    updated_at text not null
);
create index dossiers_company_state on dossiers (company_id, state);

create table trainees (
    id text primary key,
    dossier_id text not null references dossiers (id),
    position bigint not null,
    last_name text not null,
    first_name text not null,
    unique (dossier_id, position)
);

create table documents (
    id text primary key,
    dossier_id text not null references dossiers (id),
    kind text,
    title text not null,
    comment text,
    original_name text not null,
    mime_type text not null,
    size bigint not null,
    sha256 text not null,
    uploaded_by text not null references users (id),
    uploaded_at text not null,
    unique (dossier_id, sha256)
);
create index documents_sha256 on documents (sha256);

-- Append-only: rows are inserted, never updated or deleted.
create table dossier_events (
    id text primary key,
    dossier_id text not null references dossiers (id),
    at text not null,
    actor_id text references users (id),
    action text not null,
    detail text
);
create index dossier_events_dossier on dossier_events (dossier_id, id);
