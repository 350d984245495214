-- Whether a piece's kind was set or confirmed by OPCO staff (a correction, or a mismatch
-- cleared), rather than only given by its uploader: the classifier weighs staff kinds more, and
-- counts a company's own kinds only up to a cap, so that one company cannot teach every other
-- company's classification. Kinds corrected before this column existed count as uploaders'.
alter table documents add column kind_by_staff integer not null default 0;
