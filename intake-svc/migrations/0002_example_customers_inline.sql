-- The example customers move from their own table into the signal row, as an array with a GIN
-- index over the open signals.
--
-- Why: SubmitSignal is the hot write path (issue 2). A separate row per example customer cost a
-- heap tuple, two B-tree entries and a foreign-key check (an SPI query) each, and the
-- shared-customer duplicate search then probed that table once per customer and joined back to
-- signals for the state. In the row they cost one GIN entry each, and one GIN scan finds the open
-- signals sharing any of them directly. The list is written once, with the signal, and leaves
-- with it (purge), so nothing needed the separate table.

ALTER TABLE ${schema}.signals ADD COLUMN example_customers text[] NOT NULL DEFAULT '{}';

UPDATE ${schema}.signals s SET example_customers = c.bsns
  FROM (SELECT signal_id, array_agg(bsn ORDER BY position) AS bsns
          FROM ${schema}.signal_customers GROUP BY signal_id) c
 WHERE c.signal_id = s.id;

-- Personal data (identificatie klant): nine-digit BSNs, as many as example_customer_count.
ALTER TABLE ${schema}.signals ADD CONSTRAINT signals_example_customers_check CHECK (
  cardinality(example_customers) = example_customer_count
  AND array_position(example_customers, NULL) IS NULL
  AND array_to_string(example_customers, ',') ~ '^([0-9]{9}(,[0-9]{9})*)?$');

DROP TABLE ${schema}.signal_customers;

-- Duplicate suggestions by shared customers look only at open signals, like signals_open_topic_idx.
-- fastupdate off: every submit searches this index, and a pending list would be scanned whole
-- by each search.
CREATE INDEX signals_open_customers_idx ON ${schema}.signals USING gin (example_customers)
  WITH (fastupdate = off) WHERE state IN (1, 2, 4);
