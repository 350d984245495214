-- Pieces removed from a draft (attached by mistake), and the pieces of a deleted draft: their rows
-- go, and the search index must drop what it held of them. The outbox cannot say so (its rows
-- name an existing piece), so each removal leaves its piece's id here, in the same transaction;
-- the indexer deletes the entry, then the row. No foreign key: the piece is gone.
create table search_removals (
    document_id text primary key,
    created_at text not null
);
