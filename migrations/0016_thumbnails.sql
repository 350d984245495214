-- A small picture of a piece's first page for lists, made once when the piece is read and kept
-- as a blob of its own (content-addressed like the pieces; `pieces gc` keeps it while the piece
-- is there). Size null: not made yet (the pieces read before this migration get theirs when the
-- service starts); size 0: none can be made (lists then show an icon).
alter table documents add column thumbnail_sha256 text;
alter table documents add column thumbnail_size bigint;
