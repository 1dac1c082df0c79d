-- Duplicate suggestions by shared customers through a narrow table: one row per example customer
-- of an open signal, (bsn, receive_time, signal_id), in a B-tree.
--
-- Why (issue 2): the GIN search of migration 0002 returned every open signal sharing a customer,
-- and the submit then counted and sorted them all: a customer named in 27,000 open signals made
-- each submit naming them 20x slower. Here "the newest few open signals naming this customer" is
-- a backward range scan of one index with a LIMIT, per customer of the new signal, whatever the
-- number of matches (pg_signal_repository.cc, WriteCreates).
--
-- The rows follow the signals' open state and example customers in the same transactions as the
-- signal changes: inserted with the signal, deleted when it is declined or closed, inserted again
-- when it reopens, deleted with an erased customer. A purge removes only final (declined or
-- closed) signals, which have no rows here. No foreign key: it would cost a check per row on the
-- hot path, and every writer is in pg_signal_repository.cc.
--
-- Personal data (identificatie klant): the BSN, as in signals.example_customers.
CREATE TABLE ${schema}.open_signal_customers (
  bsn          text NOT NULL,
  receive_time timestamptz NOT NULL,
  signal_id    uuid NOT NULL,
  -- Read backwards: newest first, ties by id descending, as the suggestions are ordered.
  PRIMARY KEY (bsn, receive_time, signal_id)
);
-- The planner must expect a customer to be in many open signals: from the average (one or two)
-- it may fetch all of a customer's rows by bitmap and sort them, which for a customer in 30,000
-- open signals reads them all (measured: 10 ms instead of 0.1). Expecting 1% of the rows per
-- customer, the backward scan that stops after the few it needs is always the cheaper plan.
ALTER TABLE ${schema}.open_signal_customers ALTER COLUMN bsn SET (n_distinct = -0.01);

INSERT INTO ${schema}.open_signal_customers (bsn, receive_time, signal_id)
SELECT DISTINCT b.bsn, s.receive_time, s.id
  FROM ${schema}.signals s CROSS JOIN LATERAL unnest(s.example_customers) AS b(bsn)
 WHERE s.state IN (1, 2, 4);

-- The GIN index served only the duplicate search; each submit no longer has to update it.
DROP INDEX ${schema}.signals_open_customers_idx;

GRANT SELECT, INSERT, DELETE ON ${schema}.open_signal_customers TO ${app_role};
