-- The freeze's processing-log entry, on both lists it wrote: its subject rows are every member
-- of the two lists. A response measurement of exactly those lists names that entry's subjects
-- as its own by reference (common migration 0010) instead of writing every member again.
-- NULL: a list frozen before this column, or whose freeze entry could not be named; a
-- measurement then writes the members' subject rows itself. No foreign key: the log's retention
-- purge, not the list's, decides when the entry goes (readers check that it is still there).
ALTER TABLE ${schema}.recipient_lists ADD COLUMN log_entry_id bigint;
