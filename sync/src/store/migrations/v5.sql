-- Version 5: outbox records carry a keyed hash of the person they concern
-- (HMAC-SHA256 under a key derived from the store key), so a person's
-- submissions can be found without storing the person number in clear.
ALTER TABLE outbox ADD COLUMN subject BLOB;
CREATE INDEX outbox_subject ON outbox (subject);
