-- Positions of a batch that analysis-svc withheld when the batch was written, because the
-- member objected (or asked for a restriction) after the list was frozen: no item, no line in
-- the data file, nothing disclosed. Counted per batch, so every report says how many were left
-- out for this reason; the positions themselves are the list positions without an item.
ALTER TABLE ${schema}.batches ADD COLUMN withheld_count bigint NOT NULL DEFAULT 0;
GRANT UPDATE (withheld_count) ON ${schema}.batches TO ${app_role};
