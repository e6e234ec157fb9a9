//! ESC/POS thermal printer: a command builder ([`escpos`]), document
//! layouts that turn the core's documents into commands ([`layout`]), and
//! the link to the printer ([`link`]).

pub mod escpos;
pub mod layout;
pub mod link;

pub use escpos::{Align, EscPos, Paper};
pub use link::PrinterLink;
