//! Device simulators that speak the real wire protocols: ID card reader on a pty, ESC/POS printer on TCP.
