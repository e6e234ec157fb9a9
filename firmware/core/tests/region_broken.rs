//! A broken profile gives an error naming the file, the line and the field.
//! Each test edits a copy of a real profile.

mod region_support;

use kiosk_core::Error;
use kiosk_core::region::RegionProfile;
use region_support::profile_text;

/// Parses `text` as `file` and returns (line, field, reason) of the error.
fn broken(file: &str, text: &str) -> (usize, String, String) {
    match RegionProfile::parse(file, text) {
        Ok(_) => panic!("{file}: the broken profile loaded"),
        Err(Error::RegionProfile {
            file: reported,
            line,
            field,
            reason,
        }) => {
            assert_eq!(reported, file);
            (line, field, reason)
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// 1-based line of the first occurrence of `needle` (after `after`).
fn line_of(text: &str, needle: &str, after: usize) -> usize {
    let start = text.lines().take(after).map(|l| l.len() + 1).sum::<usize>();
    let offset = text[start..]
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"))
        + start;
    text[..offset].matches('\n').count() + 1
}

/// Replaces the first occurrence, checking it exists.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from} not in text");
    text.replacen(from, to, 1)
}

#[test]
fn wrong_type_names_line_and_field() {
    let text = profile_text("jilin.toml");
    let edited = replace_once(&text, "version = 1\n", "version = \"one\"\n");
    let (line, field, reason) = broken("jilin-copy.toml", &edited);
    assert_eq!(line, line_of(&edited, "version = \"one\"", 0));
    assert_eq!(field, "version");
    assert!(reason.contains("invalid type"), "{reason}");

    // Inside an array of tables.
    let edited = replace_once(&text, "working_days = 22\n", "working_days = \"22\"\n");
    let (line, field, _) = broken("jilin-copy.toml", &edited);
    assert_eq!(line, line_of(&edited, "working_days = \"22\"", 0));
    assert_eq!(
        field, "items[34].working_days",
        "JL33 comes after JL31A/B and JL32A/B"
    );
}

#[test]
fn bad_enum_value_names_the_element() {
    let text = profile_text("yunnan.toml");
    let edited = replace_once(&text, "kiosk = [\"print\"]", "kiosk = [\"fly\"]");
    let (line, field, reason) = broken("yunnan.toml", &edited);
    assert_eq!(line, line_of(&edited, "kiosk = [\"fly\"]", 0));
    assert_eq!(field, "items[12].kiosk[0]");
    assert!(reason.contains("fly"), "{reason}");
}

#[test]
fn unknown_field_names_line_and_field() {
    let text = profile_text("linkou.toml");
    let anchor = "name = \"参保人员参保信息查询\"\n";
    let edited = replace_once(&text, anchor, &format!("{anchor}colour = \"red\"\n"));
    let (line, field, reason) = broken("linkou.toml", &edited);
    assert_eq!(line, line_of(&edited, "colour = \"red\"", 0));
    assert_eq!(field, "items[7].colour");
    assert!(reason.contains("unknown field"), "{reason}");

    // In a nested table.
    let edited = replace_once(&text, "[certificate]\n", "[certificate]\nseal = true\n");
    let (line, field, _) = broken("linkou.toml", &edited);
    assert_eq!(line, line_of(&edited, "seal = true", 0));
    assert_eq!(field, "certificate.seal");
}

#[test]
fn duplicate_item_code_names_line_and_field() {
    let text = profile_text("jilin.toml");
    let edited = replace_once(&text, "code = \"JL02\"", "code = \"JL01\"");
    let (line, field, reason) = broken("jilin.toml", &edited);
    let first = line_of(&edited, "code = \"JL01\"", 0);
    assert_eq!(line, line_of(&edited, "code = \"JL01\"", first));
    assert_eq!(field, "items[1].code");
    assert!(reason.contains("duplicate item code `JL01`"), "{reason}");
}

#[test]
fn missing_field_names_the_field() {
    let text = profile_text("yunnan.toml");
    let edited = replace_once(
        &text,
        "service_object = \"机关、事业单位、企业、社会团体、民办非企业等用人单位\"\n",
        "",
    );
    let (line, field, reason) = broken("yunnan.toml", &edited);
    assert_eq!(field, "items[0].service_object");
    assert!(reason.contains("missing field"), "{reason}");
    // The line is inside the first item's table.
    let start = line_of(&edited, "code = \"YN01\"", 0);
    let end = line_of(&edited, "code = \"YN02\"", 0);
    assert!(
        (start - 1..end).contains(&line),
        "{line} not in {start}..{end}"
    );
}

#[test]
fn undefined_office_reference_is_refused() {
    let text = profile_text("linkou.toml");
    let edited = replace_once(
        &text,
        "offices = [\"lk-hospital\"]",
        "offices = [\"lk-nowhere\"]",
    );
    let (line, field, reason) = broken("linkou.toml", &edited);
    assert_eq!(line, line_of(&edited, "offices = [\"lk-nowhere\"]", 0));
    assert_eq!(field, "items[15].offices[0]");
    assert!(reason.contains("lk-nowhere"), "{reason}");
}

#[test]
fn undeclared_seed_and_malformed_source_are_refused() {
    let text = profile_text("jilin.toml");
    let edited = replace_once(&text, "source = \"000:L77\"", "source = \"009:L77\"");
    let (line, field, reason) = broken("jilin.toml", &edited);
    assert_eq!(line, line_of(&edited, "source = \"009:L77\"", 0));
    assert_eq!(field, "items[0].source");
    assert!(reason.contains("009"), "{reason}");

    let edited = replace_once(&text, "source = \"000:L77\"", "source = \"see the guide\"");
    let (_, field, _) = broken("jilin.toml", &edited);
    assert_eq!(field, "items[0].source");

    // An item source must be a seed line, not a default.
    let edited = replace_once(
        &text,
        "source = \"000:L77\"",
        "source = \"national default: none\"",
    );
    let (_, field, reason) = broken("jilin.toml", &edited);
    assert_eq!(field, "items[0].source");
    assert!(reason.contains("seed line"), "{reason}");
}

#[test]
fn lock_period_above_the_national_cap_is_refused() {
    let text = profile_text("jilin.toml");
    let edited = replace_once(
        &text,
        "lock_period_months = { value = 6,",
        "lock_period_months = { value = 7,",
    );
    let (line, field, reason) = broken("jilin.toml", &edited);
    assert_eq!(
        line,
        line_of(&edited, "lock_period_months = { value = 7,", 0)
    );
    assert_eq!(field, "filing.lock_period_months.value");
    assert!(reason.contains("6 months"), "{reason}");
}

#[test]
fn certificate_item_must_exist() {
    let text = profile_text("yunnan.toml");
    let edited = replace_once(&text, "item = \"YN13\"", "item = \"YN99\"");
    let (line, field, _) = broken("yunnan.toml", &edited);
    assert_eq!(line, line_of(&edited, "item = \"YN99\"", 0));
    assert_eq!(field, "certificate.item");
}

#[test]
fn guide_cannot_be_combined_with_actions() {
    let text = profile_text("jilin.toml");
    let edited = replace_once(
        &text,
        "kiosk = [\"print\"]",
        "kiosk = [\"print\", \"guide\"]",
    );
    let (line, field, _) = broken("jilin.toml", &edited);
    assert_eq!(line, line_of(&edited, "kiosk = [\"print\", \"guide\"]", 0));
    assert_eq!(field, "items[17].kiosk");
}

#[test]
fn bad_opening_time_names_the_period() {
    let text = profile_text("jilin.toml");
    let edited = replace_once(&text, "open = \"09:00\"", "open = \"9 o'clock\"");
    let (line, field, reason) = broken("jilin.toml", &edited);
    assert_eq!(line, line_of(&edited, "9 o'clock", 0));
    assert_eq!(field, "offices[1].hours.periods[0].open");
    assert!(reason.contains("HH:MM"), "{reason}");
}

#[test]
fn syntax_error_names_the_line() {
    let text = profile_text("linkou.toml");
    let edited = replace_once(&text, "name = \"单位参保登记\"", "name = \"单位参保登记");
    let (line, field, _) = broken("linkou.toml", &edited);
    assert_eq!(line, line_of(&edited, "name = \"单位参保登记", 0));
    assert_eq!(field, "(syntax)");
}

#[test]
fn user_message_is_chinese_and_names_the_place() {
    let err = RegionProfile::parse("x.toml", "version = 0\n").unwrap_err();
    let message = err.user_message();
    assert!(message.contains("x.toml"));
    assert!(message.contains("区域配置"));
}
