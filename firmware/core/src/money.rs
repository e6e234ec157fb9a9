//! Money: amounts in yuan (exactly 2 decimals, i.e. whole fen) and the
//! capital numerals 大写 printed on certificates and slips.
//!
//! [`Yuan`] never rounds silently: a value with a third non-zero decimal is an
//! error, not a rounded amount. The supported range is
//! −999,999,999,999.99 to 999,999,999,999.99 yuan (twelve integer digits, up
//! to 千亿), which covers the wire's `decimal(16,2)` balances; everything
//! outside is an error at construction, so every `Yuan` can be written in
//! capital numerals.
//!
//! # Capital numerals (大写金额)
//!
//! [`Yuan::to_capital`] follows 中国人民银行《支付结算办法》附件一
//! 《正确填写票据和结算凭证的基本规定》. Where that text allows two
//! spellings, this module picks one, always the same:
//!
//! * Digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟, group units 万 亿, then 元角分.
//! * 壹拾 is always written in full, also at the start (10.00 → 壹拾元整,
//!   150,000.00 → 壹拾伍万元整), as the banking rule requires for amounts
//!   starting with 10–19 ("壹拾几"的"壹"字一定要写).
//! * 整 follows 元 only: it is written when there are neither jiao nor fen.
//!   After 角 the rule makes 整 optional; this module does **not** write it
//!   (0.50 → 伍角, 1,010.10 → 壹仟零壹拾元零壹角). After 分 it is never written.
//! * A run of zeros between two non-zero digits is written as one 零
//!   (6,007.14 → 陆仟零柒元壹角肆分), except when the run only consists of the
//!   trailing zeros of a 万 or 亿 group: the group unit then stands alone and
//!   no 零 follows it (107,000.53 → 壹拾万柒仟元…, not 壹拾万零柒仟元…; the
//!   rule allows both). A lower group that starts with zeros, or a whole zero
//!   group in the middle, gives one 零 (100,010,000.00 → 壹亿零壹万元整,
//!   100,001,000.00 → 壹亿零壹仟元整, 1,000,000,001.00 → 壹拾亿零壹元整).
//! * No 零 is written before a group unit or before 元 (壹亿元整, not 壹亿零元整).
//! * When the yuan part ends in 0 and there are jiao, 零 follows 元
//!   (1,680.32 → 壹仟陆佰捌拾元零叁角贰分; the rule allows omitting it, this
//!   module always writes it).
//! * When jiao is 0 and fen is not, 零 follows 元 (12.05 → 壹拾贰元零伍分);
//!   this one is mandatory in the rule. Only one 零 is written even when the
//!   yuan part also ends in 0 (10.05 → 壹拾元零伍分).
//! * Below one yuan there is no 元 and no leading 零 (0.05 → 伍分,
//!   0.50 → 伍角). Zero is 零元整. Negative amounts get the prefix 负.
//!
//! The prefix 人民币 and the ¥ sign belong to the printed layout, not here.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// The largest supported magnitude, in fen: 999,999,999,999.99 yuan.
pub const MAX_FEN: i64 = 99_999_999_999_999;

/// Capital digits 零 to 玖.
const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// An amount of money in yuan with exactly two decimals (whole fen).
///
/// The inner decimal always has scale 2 and lies within ±[`MAX_FEN`] fen;
/// there is no negative zero. Serialised as a string with two decimals
/// (`"1234.50"`), never as a JSON number, so no float ever touches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Yuan(Decimal);

impl Yuan {
    /// Zero yuan.
    pub const ZERO: Yuan = Yuan(Decimal::from_parts(0, 0, 0, false, 2));

    /// Builds an amount from a decimal. A value with more than two decimal
    /// places (after dropping trailing zeros: `1.230` is fine, `1.234` is not)
    /// is [`Error::AmountPrecision`]; nothing is rounded. A value beyond
    /// ±999,999,999,999.99 is [`Error::AmountOutOfRange`].
    pub fn new(value: Decimal) -> Result<Yuan, Error> {
        let normalised = value.normalize();
        let scale = normalised.scale();
        if scale > 2 {
            return Err(Error::AmountPrecision);
        }
        // scale is 0, 1 or 2 and the mantissa is below 2^96: no overflow.
        let factor: i128 = if scale == 0 {
            100
        } else if scale == 1 {
            10
        } else {
            1
        };
        let fen = normalised.mantissa() * factor;
        let fen = i64::try_from(fen).map_err(|_| Error::AmountOutOfRange)?;
        Yuan::from_fen(fen)
    }

    /// Builds an amount from a whole number of fen (1 yuan = 100 fen).
    /// Beyond ±[`MAX_FEN`] is [`Error::AmountOutOfRange`].
    pub fn from_fen(fen: i64) -> Result<Yuan, Error> {
        if !(-MAX_FEN..=MAX_FEN).contains(&fen) {
            return Err(Error::AmountOutOfRange);
        }
        Ok(Yuan(Decimal::new(fen, 2)))
    }

    /// The amount in fen.
    pub fn fen(&self) -> i64 {
        // The scale is always 2 and |fen| <= MAX_FEN (see the constructors),
        // so the mantissa is the fen count and fits an i64.
        i64::try_from(self.0.mantissa()).unwrap_or(0)
    }

    /// The amount as a decimal with scale 2.
    pub fn to_decimal(&self) -> Decimal {
        self.0
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.fen() == 0
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.fen() < 0
    }

    /// The absolute amount (always in range, because the range is symmetric).
    pub fn abs(&self) -> Yuan {
        Yuan(Decimal::new(self.fen().abs(), 2))
    }

    /// `self + other`, or [`Error::AmountOutOfRange`] when the sum leaves the range.
    pub fn checked_add(self, other: Yuan) -> Result<Yuan, Error> {
        Yuan::from_fen(self.fen() + other.fen())
    }

    /// `self - other`, or [`Error::AmountOutOfRange`] when the difference leaves the range.
    pub fn checked_sub(self, other: Yuan) -> Result<Yuan, Error> {
        Yuan::from_fen(self.fen() - other.fen())
    }

    /// Plain digits with two decimals and no separators: `"1234.56"`, `"-3.00"`.
    pub fn plain(&self) -> String {
        let fen = self.fen();
        let sign = if fen < 0 { "-" } else { "" };
        let abs = fen.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Digits with thousands separators, as printed next to the capital form
    /// (小写): `"1,234.56"`, `"-1,234,567.00"`, `"0.05"`.
    pub fn display_digits(&self) -> String {
        let fen = self.fen();
        let abs = fen.unsigned_abs();
        let integer = (abs / 100).to_string();
        let mut grouped = String::with_capacity(integer.len() + integer.len() / 3 + 4);
        if fen < 0 {
            grouped.push('-');
        }
        let len = integer.len();
        for (i, c) in integer.chars().enumerate() {
            if i > 0 && (len - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{grouped}.{:02}", abs % 100)
    }

    /// The amount in capital numerals (大写金额) following the rules in the
    /// [module documentation](self): `1680.32` → `壹仟陆佰捌拾元零叁角贰分`,
    /// `10.00` → `壹拾元整`, `0.50` → `伍角`, `0` → `零元整`, `-0.05` → `负伍分`.
    pub fn to_capital(&self) -> String {
        let fen = self.fen();
        if fen == 0 {
            return "零元整".to_string();
        }
        let mut out = String::new();
        if fen < 0 {
            out.push('负');
        }
        let abs = fen.unsigned_abs();
        let yuan = abs / 100;
        let jiao = (abs / 10 % 10) as usize;
        let fen_digit = (abs % 10) as usize;

        if yuan > 0 {
            write_capital_integer(yuan, &mut out);
            out.push('元');
        }
        if jiao > 0 {
            // 零 between 元 and 角 when the yuan part ends in 0.
            if yuan > 0 && yuan.is_multiple_of(10) {
                out.push('零');
            }
            out.push(DIGITS[jiao]);
            out.push('角');
        } else if fen_digit > 0 && yuan > 0 {
            // Zero jiao before non-zero fen: 元零X分 (mandatory).
            out.push('零');
        }
        if fen_digit > 0 {
            out.push(DIGITS[fen_digit]);
            out.push('分');
        } else if jiao == 0 {
            // Only reachable with yuan > 0: the amount ends at 元.
            out.push('整');
        }
        out
    }
}

/// Writes a positive integer below 10^12 in capital numerals, without 元.
///
/// Works group by group (亿, 万, units), four digits each. `started` records
/// that a non-zero digit has been written; a zero after that opens a pending
/// 零, which the next non-zero digit writes and a written group unit
/// (万 / 亿) cancels.
fn write_capital_integer(value: u64, out: &mut String) {
    const SMALL_UNITS: [(u64, Option<char>); 4] = [
        (1000, Some('仟')),
        (100, Some('佰')),
        (10, Some('拾')),
        (1, None),
    ];
    let groups = [
        (value / 100_000_000 % 10_000, Some('亿')),
        (value / 10_000 % 10_000, Some('万')),
        (value % 10_000, None),
    ];
    let mut started = false;
    let mut zero_pending = false;
    for (group, group_unit) in groups {
        for (place, unit) in SMALL_UNITS {
            let digit = (group / place % 10) as usize;
            if digit == 0 {
                if started {
                    zero_pending = true;
                }
                continue;
            }
            if zero_pending {
                out.push('零');
                zero_pending = false;
            }
            out.push(DIGITS[digit]);
            if let Some(unit) = unit {
                out.push(unit);
            }
            started = true;
        }
        if group != 0 {
            if let Some(unit) = group_unit {
                out.push(unit);
            }
            // The group unit absorbs the group's trailing zeros.
            zero_pending = false;
        }
    }
}

impl fmt::Display for Yuan {
    /// Same as [`Yuan::plain`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.plain())
    }
}

impl FromStr for Yuan {
    type Err = Error;

    /// Parses `-?[0-9]+(\.[0-9]+)?` (surrounding white space ignored):
    /// `"1234.5"`, `"-3.00"`, `"12"`. No `+`, no exponent, no separators,
    /// no bare `"."`. Trailing zeros beyond two decimals are accepted
    /// (`"1.230"`); a third non-zero decimal is [`Error::AmountPrecision`].
    fn from_str(text: &str) -> Result<Yuan, Error> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (integer, fraction) = match unsigned.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(integer) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(Error::AmountSyntax);
        }
        let fraction = fraction.unwrap_or("").trim_end_matches('0');
        if fraction.len() > 2 {
            return Err(Error::AmountPrecision);
        }
        let integer = integer.trim_start_matches('0');
        if integer.len() > 12 {
            return Err(Error::AmountOutOfRange);
        }
        // At most 12 + 2 digits: fits an i64 comfortably.
        let mut fen: i64 = 0;
        for b in integer.bytes() {
            fen = fen * 10 + i64::from(b - b'0');
        }
        let mut decimals = fraction.bytes();
        for _ in 0..2 {
            let digit = decimals.next().map_or(0, |b| i64::from(b - b'0'));
            fen = fen * 10 + digit;
        }
        Yuan::from_fen(if negative { -fen } else { fen })
    }
}

impl TryFrom<Decimal> for Yuan {
    type Error = Error;

    fn try_from(value: Decimal) -> Result<Yuan, Error> {
        Yuan::new(value)
    }
}

impl From<Yuan> for Decimal {
    fn from(value: Yuan) -> Decimal {
        value.0
    }
}

impl Serialize for Yuan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.plain())
    }
}

impl<'de> Deserialize<'de> for Yuan {
    /// Accepts a string only (see [`Yuan::from_str`]); a JSON number is
    /// refused so that a float can never sneak in.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Yuan, D::Error> {
        struct YuanVisitor;

        impl serde::de::Visitor<'_> for YuanVisitor {
            type Value = Yuan;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an amount in yuan as a string with at most two decimals, e.g. \"1234.50\"",
                )
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Yuan, E> {
                text.parse::<Yuan>().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(YuanVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn yuan(text: &str) -> Yuan {
        text.parse().unwrap()
    }

    /// The tricky cases. Each comment says which rule the case exercises.
    const TABLE: &[(&str, &str)] = &[
        // Zero and amounts below one yuan: no 元, no leading 零.
        ("0.00", "零元整"),
        ("0.01", "壹分"),
        ("0.05", "伍分"),
        ("0.10", "壹角"),
        // 角 is not followed by 整 (the rule makes it optional; we omit it).
        ("0.50", "伍角"),
        ("0.55", "伍角伍分"),
        ("1.00", "壹元整"),
        // Zero jiao before non-zero fen: 元零X分 (mandatory).
        ("1.01", "壹元零壹分"),
        ("1.10", "壹元壹角"),
        // 壹拾 is always written in full.
        ("10.00", "壹拾元整"),
        ("15.00", "壹拾伍元整"),
        // Yuan ends in 0 and jiao is 0 with fen: still only one 零.
        ("10.05", "壹拾元零伍分"),
        // Yuan ends in 0 and there are jiao: 元零X角.
        ("10.50", "壹拾元零伍角"),
        ("12.05", "壹拾贰元零伍分"),
        ("100.00", "壹佰元整"),
        // A zero in the middle: one 零.
        ("101.00", "壹佰零壹元整"),
        // Trailing zeros are not written; 壹拾 inside a number keeps 壹.
        ("110.00", "壹佰壹拾元整"),
        ("1001.00", "壹仟零壹元整"),
        ("1010.10", "壹仟零壹拾元零壹角"),
        // The worked examples of 《正确填写票据和结算凭证的基本规定》.
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        // 万 group boundaries.
        ("10000.00", "壹万元整"),
        ("10001.00", "壹万零壹元整"),
        ("10010.00", "壹万零壹拾元整"),
        ("100000.00", "壹拾万元整"),
        ("100000.05", "壹拾万元零伍分"),
        ("1000000.00", "壹佰万元整"),
        // Trailing zeros of the 万 group are absorbed by 万: no 零 after it.
        ("1001000.00", "壹佰万壹仟元整"),
        // The lower group starts with zeros: 零 between the groups.
        ("1000100.00", "壹佰万零壹佰元整"),
        ("10000000.00", "壹仟万元整"),
        ("50000.50", "伍万元零伍角"),
        // 亿 group boundaries.
        ("100000000.00", "壹亿元整"),
        ("100010000.00", "壹亿零壹万元整"),
        // A whole zero 万 group in the middle: one 零, no 万.
        ("100001000.00", "壹亿零壹仟元整"),
        ("110000000.00", "壹亿壹仟万元整"),
        ("200000300.00", "贰亿零叁佰元整"),
        ("20000000.20", "贰仟万元零贰角"),
        ("1000000001.00", "壹拾亿零壹元整"),
        ("1000000000.10", "壹拾亿元零壹角"),
        ("1200000000.00", "壹拾贰亿元整"),
        ("1010101010.10", "壹拾亿壹仟零壹拾万壹仟零壹拾元零壹角"),
        ("100000000000.00", "壹仟亿元整"),
        // The range limits.
        (
            "999999999999.99",
            "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
        (
            "-999999999999.99",
            "负玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
        // Negatives: 负 prefix, same body.
        ("-0.05", "负伍分"),
        ("-1680.32", "负壹仟陆佰捌拾元零叁角贰分"),
        // Negative zero is zero.
        ("-0.00", "零元整"),
    ];

    #[test]
    fn capital_table() {
        for (digits, capital) in TABLE {
            let amount = yuan(digits);
            assert_eq!(amount.to_capital(), *capital, "amount {digits}");
            assert_eq!(
                reference_capital(amount.fen()),
                *capital,
                "reference, amount {digits}"
            );
            assert_eq!(
                parse_capital(capital),
                Some(amount.fen()),
                "parse back {capital}"
            );
        }
        assert!(TABLE.len() >= 30);
    }

    #[test]
    fn construction_never_rounds() {
        assert_eq!(Yuan::new(dec!(1.5)).unwrap().fen(), 150);
        assert_eq!(Yuan::new(dec!(1.230)).unwrap().fen(), 123);
        assert_eq!(Yuan::new(dec!(-3)).unwrap().plain(), "-3.00");
        assert_eq!(Yuan::new(dec!(1.234)), Err(Error::AmountPrecision));
        assert_eq!(Yuan::new(dec!(0.001)), Err(Error::AmountPrecision));
        assert_eq!(Yuan::new(dec!(999999999999.99)).unwrap().fen(), MAX_FEN);
        assert_eq!(Yuan::new(dec!(1000000000000)), Err(Error::AmountOutOfRange));
        assert_eq!(
            Yuan::new(dec!(-1000000000000.00)),
            Err(Error::AmountOutOfRange)
        );
        assert_eq!(Yuan::new(Decimal::MAX), Err(Error::AmountOutOfRange));
        assert_eq!(Yuan::from_fen(MAX_FEN + 1), Err(Error::AmountOutOfRange));
        assert_eq!(Yuan::from_fen(-MAX_FEN - 1), Err(Error::AmountOutOfRange));
        assert_eq!(Yuan::from_fen(i64::MIN), Err(Error::AmountOutOfRange));
        assert_eq!(Yuan::from_fen(123_456).unwrap().to_decimal(), dec!(1234.56));
        assert_eq!(Yuan::from_fen(123_456).unwrap().to_decimal().scale(), 2);
        assert_eq!(Yuan::ZERO.to_decimal().scale(), 2);
        assert_eq!(Yuan::new(dec!(-0.00)).unwrap(), Yuan::ZERO);
    }

    #[test]
    fn parsing() {
        assert_eq!(yuan("1234.5").fen(), 123_450);
        assert_eq!(yuan("-3.00").fen(), -300);
        assert_eq!(yuan("12").fen(), 1200);
        assert_eq!(yuan("007.10").fen(), 710);
        assert_eq!(yuan(" 12.30 ").fen(), 1230);
        assert_eq!(yuan("1.2300000000000000000000000000000").fen(), 123);
        assert_eq!(yuan("-0.00"), Yuan::ZERO);
        assert!(!yuan("-0.00").is_negative());
        for bad in [
            "", "-", ".", "1.", ".5", "+1", "1e3", "1_000", "1,000", "１２", "1.2.3", "--1", "¥1",
        ] {
            assert_eq!(bad.parse::<Yuan>(), Err(Error::AmountSyntax), "{bad:?}");
        }
        assert_eq!("1.234".parse::<Yuan>(), Err(Error::AmountPrecision));
        assert_eq!(
            "1000000000000".parse::<Yuan>(),
            Err(Error::AmountOutOfRange)
        );
        assert_eq!(
            "99999999999999999999999999999999999".parse::<Yuan>(),
            Err(Error::AmountOutOfRange)
        );
        assert_eq!(yuan("000000000000000999999999999.99").fen(), MAX_FEN);
    }

    #[test]
    fn formatting() {
        assert_eq!(yuan("1234.56").display_digits(), "1,234.56");
        assert_eq!(yuan("1234.56").plain(), "1234.56");
        assert_eq!(yuan("-1234567").display_digits(), "-1,234,567.00");
        assert_eq!(yuan("999").display_digits(), "999.00");
        assert_eq!(yuan("1000").display_digits(), "1,000.00");
        assert_eq!(yuan("100000").display_digits(), "100,000.00");
        assert_eq!(yuan("0.05").display_digits(), "0.05");
        assert_eq!(yuan("-0.05").plain(), "-0.05");
        assert_eq!(
            yuan("999999999999.99").display_digits(),
            "999,999,999,999.99"
        );
        assert_eq!(yuan("1234.5").to_string(), "1234.50");
    }

    #[test]
    fn serde_uses_strings() {
        let amount = yuan("1234.5");
        assert_eq!(serde_json::to_string(&amount).unwrap(), "\"1234.50\"");
        assert_eq!(serde_json::from_str::<Yuan>("\"1234.50\"").unwrap(), amount);
        assert_eq!(serde_json::from_str::<Yuan>("\"-3\"").unwrap().fen(), -300);
        assert!(serde_json::from_str::<Yuan>("\"1.234\"").is_err());
        assert!(serde_json::from_str::<Yuan>("1234.5").is_err());
        assert!(serde_json::from_str::<Yuan>("12").is_err());
    }

    #[test]
    fn arithmetic_stays_in_range() {
        let max = Yuan::from_fen(MAX_FEN).unwrap();
        let cent = Yuan::from_fen(1).unwrap();
        assert_eq!(max.checked_add(cent), Err(Error::AmountOutOfRange));
        assert_eq!(max.checked_sub(cent).unwrap().fen(), MAX_FEN - 1);
        assert_eq!(
            yuan("0.10").checked_add(yuan("0.20")).unwrap(),
            yuan("0.30")
        );
        assert_eq!(yuan("-5").abs(), yuan("5"));
        assert!(yuan("-5") < yuan("0.01"));
    }

    // ---------------------------------------------------------------------
    // An independent formulation, for the property tests.
    //
    // Deliberately structured differently from `write_capital_integer`: one
    // pass over 14 digit positions (12 integer digits, jiao, fen) with an
    // explicit state machine, units looked up per position, and the zero
    // handling expressed as state transitions rather than group arithmetic.
    // ---------------------------------------------------------------------

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum State {
        /// Nothing written yet.
        Nothing,
        /// The last thing written was a digit with its unit (or a group unit).
        AfterDigit,
        /// Zeros seen since the last written digit; one 零 is owed.
        OwesZero,
    }

    /// Unit after a non-zero digit at integer position `i` (0 = yuan units).
    fn position_unit(i: usize) -> &'static str {
        ["", "拾", "佰", "仟"][i % 4]
    }

    fn reference_capital(fen: i64) -> String {
        const NAMES: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];
        let abs = fen.unsigned_abs();
        // positions[0] = fen, positions[1] = jiao, positions[2 + i] = integer digit i.
        let positions: Vec<usize> = (0..14)
            .map(|p| (abs / 10u64.pow(p as u32) % 10) as usize)
            .collect();
        let mut out = String::new();
        let mut state = State::Nothing;
        let mut group_has_digit = false;
        let mut any_integer_digit = false;
        for i in (0..12).rev() {
            let d = positions[2 + i];
            if d == 0 {
                if state == State::AfterDigit {
                    state = State::OwesZero;
                }
            } else {
                if state == State::OwesZero {
                    out.push('零');
                }
                out.push_str(NAMES[d]);
                out.push_str(position_unit(i));
                state = State::AfterDigit;
                group_has_digit = true;
                any_integer_digit = true;
            }
            if i == 8 || i == 4 {
                if group_has_digit {
                    out.push_str(if i == 8 { "亿" } else { "万" });
                    // The group unit settles any zeros owed inside the group.
                    state = State::AfterDigit;
                }
                group_has_digit = false;
            }
        }
        if any_integer_digit {
            // 元 does not settle owed zeros: they show up before 角 or 分.
            out.push('元');
        }
        let (jiao, fen_digit) = (positions[1], positions[0]);
        for (d, unit) in [(jiao, "角"), (fen_digit, "分")] {
            if d == 0 {
                if state == State::AfterDigit {
                    state = State::OwesZero;
                }
            } else {
                if state == State::OwesZero {
                    out.push('零');
                }
                out.push_str(NAMES[d]);
                out.push_str(unit);
                state = State::AfterDigit;
            }
        }
        if out.is_empty() {
            return "零元整".to_string();
        }
        if jiao == 0 && fen_digit == 0 {
            out.push('整');
        }
        if fen < 0 {
            out.insert(0, '负');
        }
        out
    }

    /// Parses a capital amount back to fen. Returns `None` on anything it
    /// does not understand (so a malformed output fails the round trip).
    fn parse_capital(text: &str) -> Option<i64> {
        let (negative, body) = match text.strip_prefix('负') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut total: i64 = 0; // in fen
        let mut section: i64 = 0; // below 万, in yuan
        let mut digit: Option<i64> = None;
        let mut ended = false;
        for c in body.chars() {
            if ended {
                return None;
            }
            if let Some(d) = DIGITS.iter().position(|&x| x == c) {
                if d == 0 {
                    continue; // 零 carries no value
                }
                if digit.is_some() {
                    return None; // two digits without a unit in between
                }
                digit = Some(d as i64);
                continue;
            }
            match c {
                '拾' | '佰' | '仟' => {
                    let unit = match c {
                        '拾' => 10,
                        '佰' => 100,
                        _ => 1000,
                    };
                    section += digit.take()? * unit;
                }
                '万' => {
                    section += digit.take().unwrap_or(0);
                    total += section * 10_000 * 100;
                    section = 0;
                }
                '亿' => {
                    section += digit.take().unwrap_or(0);
                    total += section * 100_000_000 * 100;
                    section = 0;
                }
                '元' => {
                    section += digit.take().unwrap_or(0);
                    total += section * 100;
                    section = 0;
                }
                '角' => total += digit.take()? * 10,
                '分' => total += digit.take()?,
                '整' => ended = true,
                _ => return None,
            }
        }
        if digit.is_some() || section != 0 {
            return None;
        }
        Some(if negative { -total } else { total })
    }

    /// Amounts across the whole range with many zeros, so that zero runs at
    /// every position and across group boundaries are common.
    fn zero_rich_fen() -> impl Strategy<Value = i64> {
        (
            any::<bool>(),
            proptest::collection::vec(prop_oneof![3 => Just(0i64), 2 => 1i64..=9], 14),
        )
            .prop_map(|(negative, digits)| {
                let fen = digits.iter().fold(0i64, |acc, d| acc * 10 + d);
                if negative { -fen } else { fen }
            })
    }

    fn any_fen() -> impl Strategy<Value = i64> {
        prop_oneof![-MAX_FEN..=MAX_FEN, zero_rich_fen(), -100_000i64..=100_000]
    }

    const ALLOWED: &str = "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整负";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_with_the_state_machine(fen in any_fen()) {
            let amount = Yuan::from_fen(fen).unwrap();
            prop_assert_eq!(amount.to_capital(), reference_capital(fen));
        }

        #[test]
        fn parses_back_to_the_same_amount(fen in any_fen()) {
            let capital = Yuan::from_fen(fen).unwrap().to_capital();
            prop_assert_eq!(parse_capital(&capital), Some(fen), "{}", capital);
        }

        #[test]
        fn output_shape(fen in any_fen()) {
            let amount = Yuan::from_fen(fen).unwrap();
            let capital = amount.to_capital();
            let abs = fen.unsigned_abs();
            let (jiao, fen_digit) = (abs / 10 % 10, abs % 10);
            // Only the allowed characters.
            prop_assert!(capital.chars().all(|c| ALLOWED.contains(c)), "{}", capital);
            if fen == 0 {
                prop_assert_eq!(capital.as_str(), "零元整");
                return Ok(());
            }
            // 整 iff no jiao and no fen (we never write 整 after 角), and only at the end.
            prop_assert_eq!(capital.contains('整'), jiao == 0 && fen_digit == 0);
            prop_assert!(!capital.contains('整') || capital.ends_with('整'));
            // 负 iff negative, only as a prefix.
            prop_assert_eq!(capital.starts_with('负'), fen < 0);
            prop_assert_eq!(capital.matches('负').count(), usize::from(fen < 0));
            // Never two 零 in a row; no 零 before a unit; never ending in 零.
            prop_assert!(!capital.contains("零零"));
            for unit in ["零万", "零亿", "零元", "零角", "零分", "零整", "零拾", "零佰", "零仟"] {
                prop_assert!(!capital.contains(unit), "{} in {}", unit, capital);
            }
            prop_assert!(!capital.ends_with('零'));
            // No leading 零 (only zero itself, handled above, starts with 零).
            prop_assert!(!capital.trim_start_matches('负').starts_with('零'));
            // 壹拾 always in full: every 拾 follows a non-zero digit.
            let chars: Vec<char> = capital.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                if matches!(c, '拾' | '佰' | '仟' | '角' | '分') {
                    prop_assert!(i > 0 && DIGITS[1..].contains(&chars[i - 1]), "{}", capital);
                }
            }
            // 元 present iff at least one yuan.
            prop_assert_eq!(capital.contains('元'), abs >= 100);
            // Sign symmetry.
            let negated = Yuan::from_fen(-fen).unwrap().to_capital();
            if fen > 0 {
                prop_assert_eq!(negated, format!("负{capital}"));
            }
        }

        #[test]
        fn text_round_trips(fen in any_fen()) {
            let amount = Yuan::from_fen(fen).unwrap();
            prop_assert_eq!(amount.plain().parse::<Yuan>().unwrap(), amount);
            prop_assert_eq!(amount.display_digits().replace(',', "").parse::<Yuan>().unwrap(), amount);
            prop_assert_eq!(Yuan::new(amount.to_decimal()).unwrap(), amount);
            let json = serde_json::to_string(&amount).unwrap();
            prop_assert_eq!(serde_json::from_str::<Yuan>(&json).unwrap(), amount);
        }

        #[test]
        fn third_decimal_is_always_refused(fen in -MAX_FEN / 10..=MAX_FEN / 10, milli in 1i64..=9) {
            let value = Decimal::new(fen * 10 + milli, 3);
            prop_assert_eq!(Yuan::new(value), Err(Error::AmountPrecision));
            prop_assert_eq!(value.to_string().parse::<Yuan>(), Err(Error::AmountPrecision));
        }
    }
}
