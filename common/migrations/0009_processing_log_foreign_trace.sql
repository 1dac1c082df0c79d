-- The trace of an entry's foreign operation (LDV dpl.core.foreign_operation.trace_id).
--
-- Until now the foreign operation was always the calling application's span in the entry's own
-- trace. Work that belongs to an information action but is asked for in another trace (an
-- executor fetching a batch, an operator's call without the action's trace) is now logged in
-- the action's trace, and the call that asked is its foreign operation, in the caller's trace.
-- NULL: the foreign operation (if any) is in the entry's own trace.
ALTER TABLE ${schema}.processing_log ADD COLUMN foreign_operation_trace_id bytea;
