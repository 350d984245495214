-- Utilisateurs (the guide: "créer un accès direct à Mon Compte et gérer les droits/habilitations
-- associés"): an employer who administers a company invites its users and withdraws their
-- access; personal API tokens say when they were last used.

-- 1 when the user administers the company's users (an employer's "administrateur").
alter table user_companies add column administers integer not null default 0;
-- Refreshed at most once a minute by the token's use.
alter table api_tokens add column last_used_at text;
