-- What an invoice claims above its dossier's accord, line by line, summed over the dossier's
-- invoices that no credit note cancels (JSON: [{"line": "remuneration", "claimed": "769.50",
-- "granted": "380.00"}]); `[]` when within it; null for a credit note and for an invoice issued
-- before the comparison existed. A flag for the assistant, never a reason to refuse the invoice.
alter table invoices add column above_accord text;
