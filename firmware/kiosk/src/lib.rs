//! The kiosk: composition root, CLI, session loop, automation API.
