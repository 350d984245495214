-- The search index's outbox: a row per piece whose index entry must be rewritten, written in the
-- same transaction as the change. The indexer deletes rows only once its commit is done.
create table search_outbox (
    id text primary key,
    document_id text not null references documents (id),
    created_at text not null
);
create index search_outbox_document on search_outbox (document_id);
