-- Version 6: resident premium payment orders (KS52). The kiosk numbers an
-- order and writes it here before the message leaves, so an order whose
-- answer is lost (network down, power cut) is never forgotten: the sync
-- engine asks the centre about it (KS53) until it is settled, and cancels
-- one nobody watches any more (KS54). No personal data: the person is a
-- keyed hash (as outbox.subject), amounts and states are not personal.
CREATE TABLE premium_order (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no    TEXT NOT NULL UNIQUE,
    subject     BLOB NOT NULL,
    year        INTEGER NOT NULL,
    amount      TEXT NOT NULL,
    -- creating | open | paid | failed | expired | cancelled | void
    state       TEXT NOT NULL,
    -- 1 when no session watches it: the sync engine cancels it if open.
    abandoned   INTEGER NOT NULL DEFAULT 0,
    receipt_no  TEXT,
    checks      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX premium_order_subject ON premium_order (subject, year);
CREATE INDEX premium_order_unsettled ON premium_order (state) WHERE state IN ('creating', 'open');
