-- Control groups (FreezeRecipientList with control_share): a share of a group's members is held
-- back in a recipient list of its own, so that response measurement (step 9) can compare the
-- contacted members with members who were not contacted. Both lists are written in one
-- transaction and never change afterwards (no UPDATE grant), so each row names its partner
-- when it is inserted:
--   control_list  on the contacted list: the list of its held-back members;
--   control_of    on a control list: the list it was held back from.
-- The references are checked at commit (the two rows point at each other).
ALTER TABLE ${schema}.recipient_lists
  ADD COLUMN control_list uuid UNIQUE
    REFERENCES ${schema}.recipient_lists (id) DEFERRABLE INITIALLY DEFERRED,
  ADD COLUMN control_of uuid UNIQUE
    REFERENCES ${schema}.recipient_lists (id) DEFERRABLE INITIALLY DEFERRED,
  ADD CHECK (control_list IS NULL OR control_of IS NULL);
