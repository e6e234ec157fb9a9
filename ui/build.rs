//! Compiles the .slint screens. Debug info is kept so that the automation
//! API can find elements by accessible label at run time.

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(e) = slint_build::compile_with_config("screens/main.slint", config) {
        eprintln!("Slint compilation failed: {e}");
        std::process::exit(1);
    }
}
