-- Erasure at the person's request (DataSubjectService.EraseSubjectData): a delivery item keeps
-- its place (order, position: outcomes and the batch's counts refer to it) but is emptied of
-- everything personal, its data_subject_id (the person's log id) included.
GRANT UPDATE (customer_number, customer_name, addressee_name, street, house_number, house_number_suffix, postcode,
              city, phone, data_subject_id) ON ${schema}.items TO ${app_role};
