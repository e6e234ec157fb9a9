//! Simulated ID card reader (GA 467 SAM) on a pseudo-terminal.
