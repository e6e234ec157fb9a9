//! ESC/POS thermal printer: command builder, links, document layouts.
