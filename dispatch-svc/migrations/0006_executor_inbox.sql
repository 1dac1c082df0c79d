-- The executors' inbox (ExecutorService.ListFeasibilityChecks, ListDispatchOrders): a feasibility
-- check carries the target group's guidelines it was asked with, and an executor lists its own
-- checks and orders, open ones first, newest first within each (keyset on these indexes).
ALTER TABLE ${schema}.feasibility_checks ADD COLUMN guidelines text NOT NULL DEFAULT '';
CREATE INDEX feasibility_checks_inbox_idx
  ON ${schema}.feasibility_checks (executor_id, (state <> 1), create_time DESC, id DESC);
CREATE INDEX orders_inbox_idx ON ${schema}.orders (executor_id, (state > 2), create_time DESC, id DESC);

-- Outcomes supersede: a recipient (order, position) reported again keeps every report (the
-- history), and exactly one of them is current: the latest outcome_time, of equal times the later
-- report (higher id). StoreOutcomes maintains the flag in its transaction; ListOutcomes and the
-- subject-access export read the current one through the partial unique index.
-- Rolling upgrade: replicas of the previous version, running until the Deployment is replaced,
-- insert rows with is_current = false. StoreOutcomes recomputes the flag from all rows of each
-- recipient it stores, which repairs those on the next report; README.md ("Rolling upgrade to
-- migration 0006") has the one-off repair for recipients never reported again.
ALTER TABLE ${schema}.outcomes ADD COLUMN is_current boolean NOT NULL DEFAULT false;
CREATE INDEX outcomes_recipient_idx ON ${schema}.outcomes (order_id, position, outcome_time DESC, id DESC);
UPDATE ${schema}.outcomes x SET is_current = true
 WHERE x.id = (SELECT y.id FROM ${schema}.outcomes y WHERE y.order_id = x.order_id AND y.position = x.position
               ORDER BY y.outcome_time DESC, y.id DESC LIMIT 1);
CREATE UNIQUE INDEX outcomes_current_idx ON ${schema}.outcomes (order_id, position) WHERE is_current;
CREATE INDEX outcomes_current_order_idx ON ${schema}.outcomes (order_id, id) WHERE is_current;
GRANT UPDATE (is_current) ON ${schema}.outcomes TO ${app_role};
