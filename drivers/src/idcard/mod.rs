//! Resident ID card reader: GA 467 SAM protocol over a serial link.
