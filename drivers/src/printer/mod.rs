//! ESC/POS thermal printer: a command builder ([`escpos`]), document
//! layouts that turn the core's documents into commands ([`layout`]), glyphs
//! for characters the printer lacks ([`glyphs`]), the
//! link to the printer over TCP, serial or USB ([`link`]), real-time
//! status ([`status`]), and the print journal's executor ([`spool`]).

pub mod escpos;
pub mod glyphs;
pub mod layout;
pub mod link;
pub mod spool;
pub mod status;

pub use escpos::{Align, Charset, EscPos, Job, Paper, PrinterProfile};
pub use glyphs::FontGlyphs;
pub use link::{PrinterLink, PrinterUri};
pub use status::{PrinterState, PrinterStatus};
