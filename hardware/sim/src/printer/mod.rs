//! Simulated ESC/POS printer on TCP that renders the paper roll to PNG.
