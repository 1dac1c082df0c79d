-- Whose item it is, without the BSN: the customer's log id (the keyed hash the processing log
-- uses, common DataSubjectHasher), so that an access request (and later an erasure) finds a
-- person's items. No index of its own: the person's hand-over entries in the processing log
-- (dispatch.DeliverBatch, found by the subject rows' hash index) name the order and the batch,
-- whose position range narrows the items to a few thousand. NULL for items written before.
ALTER TABLE ${schema}.items ADD COLUMN data_subject_id text;
