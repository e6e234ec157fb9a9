//! Device drivers of the kiosk: ID card reader (GA 467), social security card (CCID), QR scanner, ESC/POS printer.
