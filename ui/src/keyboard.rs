//! The in-app pinyin keyboard of the address field (screens/keyboard.slint):
//! the pinyin table and the keyboard's state, driven by `kbd:…` taps. It is
//! presentation, like paging: the session only hears the finished address
//! (`address:…`, sent by the keyboard's 完成输入).
//!
//! The table is the `pinyin` crate's character → reading data reversed
//! (every reading of every character of the CJK Unified Ideographs block),
//! so no table is typed in here. Candidates come most common first: the
//! characters of an address (省市县区镇乡村路号楼单元室 …) lead their
//! syllable, then GB 2312 level 1 (the 3 755 characters of common use),
//! level 2, then the rest of GBK, then everything else; within a level in
//! Unicode order.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;
use slint::{ModelRc, SharedString, VecModel};

use crate::{KeyboardData, KioskWindow};

/// Candidates shown at once.
pub const PAGE: usize = 8;
/// The longest address the keyboard builds (the session keeps 60).
pub const MAX_CHARS: usize = 60;
/// The longest pinyin spelled before a character is picked.
const MAX_LETTERS: usize = 6;

/// Characters an address needs most: first among their syllable's
/// candidates.
const ADDRESS_CHARS: &str =
    "省市县区镇乡村路号楼单元室街道巷弄栋幢层组社屯里庄园小苑府城东西南北中";

/// Syllable (plain letters, ü as v) → characters, most common first.
fn table() -> &'static BTreeMap<String, Vec<char>> {
    static TABLE: OnceLock<BTreeMap<String, Vec<char>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: BTreeMap<String, Vec<char>> = BTreeMap::new();
        for code in 0x4E00u32..=0x9FFF {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let Some(readings) = c.to_pinyin_multi() else {
                continue;
            };
            for reading in readings {
                let syllable = reading.plain().replace('ü', "v");
                let list = table.entry(syllable).or_default();
                if !list.contains(&c) {
                    list.push(c);
                }
            }
        }
        for list in table.values_mut() {
            list.sort_by_key(|c| order(*c));
        }
        table
    })
}

/// The candidates' order: by [`rank`], address characters in the order
/// of [`ADDRESS_CHARS`], the rest in Unicode order.
fn order(c: char) -> (u8, usize, char) {
    let place = ADDRESS_CHARS.chars().position(|a| a == c).unwrap_or(0);
    (rank(c), place, c)
}

/// How common a character is: 0 address, 1 GB 2312 level 1, 2 level 2,
/// 3 other GBK, 4 the rest.
fn rank(c: char) -> u8 {
    if ADDRESS_CHARS.contains(c) {
        return 0;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    match bytes.as_ref() {
        _ if unmappable => 4,
        [lead, trail] if (0xB0..=0xD7).contains(lead) && *trail >= 0xA1 => 1,
        [lead, trail] if (0xD8..=0xF7).contains(lead) && *trail >= 0xA1 => 2,
        [_, _] => 3,
        _ => 4,
    }
}

/// The candidates for `letters`: characters read exactly so first, then
/// those of the syllables `letters` begins (so "zh" already offers 镇, 中).
pub fn candidates(letters: &str) -> Vec<char> {
    let letters = letters.to_ascii_lowercase();
    if letters.is_empty() {
        return Vec::new();
    }
    let table = table();
    let mut out: Vec<char> = table.get(&letters).cloned().unwrap_or_default();
    let mut longer: Vec<char> = table
        .range(letters.clone()..)
        .take_while(|(syllable, _)| syllable.starts_with(&letters))
        .filter(|(syllable, _)| **syllable != letters)
        .flat_map(|(_, chars)| chars.iter().copied())
        .filter(|c| !out.contains(c))
        .collect();
    longer.sort_by_key(|c| order(*c));
    longer.dedup();
    out.extend(longer);
    out
}

/// The keyboard's state between taps (the window only holds what it shows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyboard {
    /// Open or not.
    pub open: bool,
    /// The address typed so far.
    pub text: String,
    /// Letters not yet turned into a character.
    pub letters: String,
    /// First candidate on the page shown.
    pub offset: usize,
}

impl Keyboard {
    /// Applies one tap (`open`, `letter:x`, `pick:N`, `char:X`, `back`,
    /// `clear`, `next`, `prev`, `done`, `cancel`); `current` is the address
    /// the session holds (the text when the keyboard opens). False for a
    /// tap that is not the keyboard's.
    pub fn apply(&mut self, tap: &str, current: &str) -> bool {
        let room = |text: &str| text.chars().count() < MAX_CHARS;
        match tap {
            "open" => {
                *self = Keyboard {
                    open: true,
                    text: current.to_string(),
                    ..Keyboard::default()
                };
            }
            "done" | "cancel" => *self = Keyboard::default(),
            "back" => {
                if self.letters.pop().is_none() {
                    self.text.pop();
                }
                self.offset = 0;
            }
            "clear" => {
                self.text.clear();
                self.letters.clear();
                self.offset = 0;
            }
            "next" => {
                if self.offset + PAGE < candidates(&self.letters).len() {
                    self.offset += PAGE;
                }
            }
            "prev" => self.offset = self.offset.saturating_sub(PAGE),
            _ => {
                if let Some(letter) = tap.strip_prefix("letter:") {
                    let mut spelled = self.letters.clone();
                    spelled.push_str(letter);
                    // Only letters that still spell something.
                    if letter.len() == 1
                        && letter.bytes().all(|b| b.is_ascii_lowercase())
                        && spelled.len() <= MAX_LETTERS
                        && !candidates(&spelled).is_empty()
                    {
                        self.letters = spelled;
                        self.offset = 0;
                    }
                } else if let Some(index) = tap.strip_prefix("pick:") {
                    let Ok(index) = index.parse::<usize>() else {
                        return true;
                    };
                    if let Some(c) = candidates(&self.letters).get(self.offset + index)
                        && room(&self.text)
                    {
                        self.text.push(*c);
                        self.letters.clear();
                        self.offset = 0;
                    }
                } else if let Some(c) = tap.strip_prefix("char:") {
                    if room(&self.text) && c.chars().count() == 1 {
                        self.text.push_str(c);
                    }
                } else {
                    return false;
                }
            }
        }
        true
    }

    /// What the window shows.
    pub fn data(&self) -> KeyboardData {
        let all = candidates(&self.letters);
        let page: Vec<SharedString> = all
            .iter()
            .skip(self.offset)
            .take(PAGE)
            .map(|c| SharedString::from(c.to_string()))
            .collect();
        KeyboardData {
            open: self.open,
            text: self.text.as_str().into(),
            letters: self.letters.as_str().into(),
            candidates: ModelRc::new(VecModel::from(page)),
            more: self.offset + PAGE < all.len(),
            less: self.offset > 0,
        }
    }
}

thread_local! {
    /// The keyboard of the window on this (the UI) thread.
    static KEYBOARD: std::cell::RefCell<Keyboard> = std::cell::RefCell::default();
}

/// Handles a `kbd:…` tap on the UI thread; false when `id` is not one.
pub fn handle(window: &KioskWindow, id: &str) -> bool {
    let Some(tap) = id.strip_prefix("kbd:") else {
        return false;
    };
    let current = window.get_filing().address.to_string();
    KEYBOARD.with(|keyboard| {
        let mut keyboard = keyboard.borrow_mut();
        keyboard.apply(tap, &current);
        window.set_keyboard(keyboard.data());
    });
    true
}

/// Closes the keyboard (the screen changed under it).
pub fn close(window: &KioskWindow) {
    KEYBOARD.with(|keyboard| {
        let mut keyboard = keyboard.borrow_mut();
        if keyboard.open {
            *keyboard = Keyboard::default();
            window.set_keyboard(keyboard.data());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use slint::Model;

    #[test]
    fn address_characters_lead_their_syllable_then_common_ones() {
        assert_eq!(candidates("shi").first(), Some(&'市'));
        assert_eq!(candidates("lu").first(), Some(&'路'));
        assert_eq!(candidates("hao").first(), Some(&'号'));
        let xian = candidates("xian");
        // 县 on the first page (省 has a rare reading xian too).
        assert!(xian[..PAGE].contains(&'县'), "{:?}", &xian[..PAGE]);
        // Common characters before rare ones: 先 (GB 2312 level 1) before
        // 跹 (level 2).
        let common = xian.iter().position(|c| *c == '先');
        let rare = xian.iter().position(|c| *c == '跹');
        assert!(common < rare, "{common:?} {rare:?}");
        assert!(candidates("jilin").is_empty(), "one syllable at a time");
        assert!(candidates("").is_empty());
    }

    #[test]
    fn a_prefix_offers_the_syllables_it_begins() {
        let zh = candidates("zh");
        assert!(zh.contains(&'镇'), "镇 zhen");
        assert!(zh.contains(&'中'), "中 zhong");
        // ü is typed as v.
        assert!(candidates("lv").contains(&'绿'));
    }

    #[test]
    fn spelling_picking_paging_and_deleting() {
        let mut k = Keyboard::default();
        assert!(k.apply("open", "吉林省"));
        assert!(k.open);
        assert_eq!(k.text, "吉林省");
        for tap in ["letter:c", "letter:h", "letter:a", "letter:n", "letter:g"] {
            k.apply(tap, "");
        }
        assert_eq!(k.letters, "chang");
        // A letter that spells nothing is refused.
        k.apply("letter:q", "");
        assert_eq!(k.letters, "chang");
        let first = candidates("chang")[0];
        k.apply("pick:0", "");
        assert_eq!(k.text, format!("吉林省{first}"));
        assert_eq!(k.letters, "");
        k.apply("char:市", "");
        k.apply("char:5", "");
        assert!(k.text.ends_with("市5"));
        k.apply("back", "");
        assert!(k.text.ends_with('市'));
        // Paging through the candidates of "yi".
        k.apply("letter:y", "");
        k.apply("letter:i", "");
        let page1 = k.data().candidates.iter().count();
        assert_eq!(page1, PAGE);
        k.apply("next", "");
        assert_eq!(k.offset, PAGE);
        assert!(k.data().less);
        k.apply("pick:1", "");
        assert!(k.text.ends_with(candidates("yi")[PAGE + 1]));
        k.apply("clear", "");
        assert_eq!(k.text, "");
        assert!(!k.apply("nonsense", ""));
        k.apply("done", "");
        assert!(!k.open);
    }

    #[test]
    fn the_text_is_bounded() {
        let mut k = Keyboard::default();
        k.apply("open", "");
        for _ in 0..100 {
            k.apply("char:号", "");
        }
        assert_eq!(k.text.chars().count(), MAX_CHARS);
    }
}
