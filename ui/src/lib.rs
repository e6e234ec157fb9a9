//! Slint touch UI of the kiosk, headless platform, screenshots and element inspection.
