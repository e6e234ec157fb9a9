//! Compiles the .slint screens. Debug info is kept so that the automation
//! API can find elements by accessible label at run time.
//!
//! The translations in `i18n/<lang>/LC_MESSAGES/kiosk-ui.po` are bundled
//! into the screens; a text's key is its Chinese wording alone (no
//! per-component context), as in the Rust code's `tr!` — one catalogue,
//! `i18n/kiosk-ui.pot`, for both (see kiosk_core::texts).

fn main() {
    let i18n = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../i18n");
    println!("cargo:rerun-if-changed={}", i18n.display());
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations(i18n)
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(e) = slint_build::compile_with_config("screens/main.slint", config) {
        eprintln!("Slint compilation failed: {e}");
        std::process::exit(1);
    }
}
