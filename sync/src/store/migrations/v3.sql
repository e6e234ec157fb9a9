-- Version 3: the centre's answer on outbox records, attempt counting, indexes.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN answer_code INTEGER;
ALTER TABLE outbox ADD COLUMN reason TEXT;
ALTER TABLE outbox ADD COLUMN reference TEXT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
CREATE INDEX outbox_state ON outbox (state, id);
CREATE INDEX reference_item_area ON reference_item (dataset, area);
