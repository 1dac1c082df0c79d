-- The actual addressee of a disclosure (DESIGN.md 4.5): a letter about a customer that went to
-- the legal representative or contact person logs the customer as the data subject and that
-- person as the addressee, as a pseudonymous id ("REPRESENTATIVE:<hmac>"); NULL when the
-- subject received it. Nullable and without a default: adding it rewrites nothing.
ALTER TABLE ${schema}.processing_log_subjects ADD COLUMN addressee text;
