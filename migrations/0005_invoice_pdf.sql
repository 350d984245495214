-- An assistant's direct line, printed on the invoices of the companies they handle.
alter table users add column phone text;
