-- People in a browser: an e-mail and a password (argon2id) per user, one-time links to activate an
-- account or reset its password, server-side sessions, and the failed sign-ins that throttle
-- guessing. The company's contact details and its conseiller, shown on the accueil ("Vos
-- coordonnées", "Vos interlocuteurs").

alter table users add column email text;
create unique index users_email on users (email);
-- A PHC string (`$argon2id$v=19$m=…`); null until the user chooses a password.
alter table users add column password_hash text;
-- Set when the account is switched off: its sessions and links stop working.
alter table users add column disabled_at text;

alter table companies add column phone text;
alter table companies add column email text;
alter table companies add column advisor_name text;
alter table companies add column advisor_phone text;
alter table companies add column advisor_email text;

-- A link that lets its holder choose a password once: `activation` (an invitation, 72 h) or
-- `reset` (a forgotten password, 1 h). Only the SHA-256 of its secret is kept.
create table one_time_links (
    token_hash text primary key,
    user_id text not null references users (id),
    purpose text not null check (purpose in ('activation', 'reset')),
    created_at text not null,
    expires_at text not null,
    used_at text
);
create index one_time_links_user on one_time_links (user_id);

-- A signed-in browser. The cookie holds a secret whose SHA-256 is `token_hash`; `csrf` is the
-- token its forms carry; `company_id` the company acted for (the périmètre chosen).
create table sessions (
    token_hash text primary key,
    user_id text not null references users (id),
    csrf text not null,
    company_id text references companies (id),
    created_at text not null,
    last_seen_at text not null,
    ended_at text
);
create index sessions_user on sessions (user_id);

-- Failed sign-ins, by what they were aimed at: `email:<address>` and `ip:<address>`.
create table sign_in_failures (
    id text primary key,
    target text not null,
    at text not null
);
create index sign_in_failures_target on sign_in_failures (target, at);
