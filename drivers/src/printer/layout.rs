//! Document layouts: the core's documents as ESC/POS jobs, for 58 mm
//! (32 cells) and 80 mm (48 cells) paper and GB18030 or GBK printers.
//! Tested without a printer.
//!
//! Label/value lines put the label on the left and the value flush right;
//! the gap is an `ESC $` absolute position (4 bytes) rather than a run of
//! spaces, which keeps the transfer certificate under 2 KB on the wire.

use kiosk_core::documents::{
    BusinessSlip, CommitmentLetterCopy, EnrollmentCertificate, FilingReceipt, format_date,
};
use kiosk_core::region::CertificateLayout;

use super::escpos::{Align, EscPos, Job, Paper, PrinterProfile, cell_width, char_cells};

mod ledger;
mod records;
pub use ledger::{account_statement, settlement_slip};
pub use records::{contribution_record, institution_list};

/// Dots per half-width cell.
const CELL_DOTS: usize = 12;

/// A job on `profile` with the paper width at hand.
struct Doc {
    job: EscPos,
    paper: Paper,
}

impl Doc {
    fn new(profile: &PrinterProfile) -> Doc {
        Doc {
            job: EscPos::for_profile(profile),
            paper: profile.paper,
        }
    }

    fn cells(&self) -> usize {
        self.paper.cells()
    }

    /// `label` on the left and `value` flush right on one line; when both
    /// do not fit, the label on its own line and the value wrapped below
    /// it, each line flush right.
    fn pair(&mut self, label: &str, value: &str) {
        let width = self.cells();
        let label = self.job.prepare(label);
        let value = self.job.prepare(value);
        let used = cell_width(&label) + cell_width(&value);
        if used < width {
            self.job.text(&label);
            self.gap_to(width - cell_width(&value), cell_width(&label));
            self.job.line(&value);
        } else {
            self.job.line(&label);
            for line in wrap(&value, width) {
                let w = cell_width(&line);
                if w < width {
                    self.gap_to(width - w, 0);
                }
                self.job.line(&line);
            }
        }
    }

    /// `label` and `value` on one line when they fit exactly (for labels
    /// that end in a bracket, which already separates them), else as
    /// [`Doc::pair`].
    fn pair_tight(&mut self, label: &str, value: &str) {
        let printable = self.job.printable(&format!("{label}{value}"));
        if cell_width(&printable) == self.cells() {
            let printable = self.job.prepare(&format!("{label}{value}"));
            self.job.line(&printable);
        } else {
            self.pair(label, value);
        }
    }

    /// Moves the print position from cell `from` to cell `to`: spaces when
    /// that is shorter than `ESC $`.
    fn gap_to(&mut self, to: usize, from: usize) {
        let gap = to.saturating_sub(from);
        if gap <= 4 {
            self.job.text(&" ".repeat(gap));
        } else {
            self.job
                .position(u16::try_from(to * CELL_DOTS).unwrap_or(u16::MAX));
        }
    }

    /// A paragraph wrapped to the paper, continuation lines indented by
    /// `indent` cells (a hanging indent for numbered notes).
    fn paragraph(&mut self, text: &str, indent: usize) {
        let width = self.cells();
        let text = self.job.prepare(text);
        let mut first = true;
        let mut rest: &str = &text;
        // Each round consumes at least one character: bounded.
        while !rest.is_empty() {
            let avail = if first { width } else { width - indent };
            let take = keep_punctuation(rest, fit(rest, avail));
            let (head, tail) = rest.split_at(take);
            if !first && indent > 0 {
                self.job.text(&" ".repeat(indent));
            }
            self.job.line(head);
            rest = tail;
            first = false;
        }
    }

    /// The proxy (代办人) who did the business, when there is one: every
    /// document printed in a proxy's session names them (masked).
    fn proxy(&mut self, proxy: Option<&str>) {
        if let Some(proxy) = proxy {
            self.pair("代办人", proxy);
        }
    }

    fn rule(&mut self, c: char) {
        let n = self.cells() / char_cells(c);
        self.job.line(&c.to_string().repeat(n));
    }

    fn heading(&mut self, text: &str) {
        self.job.bold(true).line(text).bold(false);
    }

    /// A centred title: double width and height when it fits on one line,
    /// else double height only, wrapped and centred line by line.
    fn title(&mut self, text: &str) {
        let width = self.cells();
        // Double width only with a margin left: a title touching both
        // edges of the paper looks cut off.
        let wide = cell_width(text) * 2 + 4 <= width;
        self.job
            .align(Align::Centre)
            .bold(true)
            .size(if wide { 2 } else { 1 }, 2);
        if wide {
            self.job.line(text);
        } else {
            for line in wrap_balanced(text, width) {
                self.job.line(&line);
            }
        }
        self.job.size(1, 1).bold(false);
    }

    fn finish(mut self) -> Job {
        self.job.feed(3).cut();
        self.job.finish()
    }
}

/// How many bytes of `text` fit in `width` cells (at least one character).
fn fit(text: &str, width: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = char_cells(c);
        if used + w > width && i > 0 {
            return i;
        }
        used += w;
    }
    text.len()
}

/// Moves the break at byte `take` of `text` one character back when the
/// next line would start with closing punctuation (。，、；：！？）》」 …),
/// so that the mark stays with its word (Chinese line-breaking rule 避头).
fn keep_punctuation(text: &str, take: usize) -> usize {
    const CLOSING: &str = "。，、；：！？）》」』】”’．,.;:!?)";
    let next = text[take..].chars().next();
    if next.is_some_and(|c| CLOSING.contains(c))
        && let Some((last, _)) = text[..take].char_indices().next_back()
        && last > 0
    {
        return last;
    }
    take
}

/// Wraps `text` into lines of at most `width` cells.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_cells(c);
        if used + w > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push(c);
        used += w;
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Wraps a title into the fewest lines of at most `width` cells, with
/// lengths as even as possible (a title is not left with one orphan
/// character on its last line).
fn wrap_balanced(text: &str, width: usize) -> Vec<String> {
    let total = cell_width(text);
    let lines = total.div_ceil(width.max(1)).max(1);
    // Rounded up to whole full-width characters.
    let target = total.div_ceil(lines).next_multiple_of(2).max(2);
    wrap(text, target.min(width))
}

/// Splits `parts` over lines of at most `width` cells, breaking only
/// between parts (a part longer than a line is wrapped).
fn join_parts(parts: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for part in parts {
        if !current.is_empty() && cell_width(&current) + cell_width(part) > width {
            lines.push(std::mem::take(&mut current));
        }
        current.push_str(part);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.into_iter().flat_map(|l| wrap(&l, width)).collect()
}

/// The business slip (业务办理单) of an enrollment query.
pub fn business_slip(slip: &BusinessSlip, paper: Paper) -> Vec<u8> {
    business_slip_job(slip, &PrinterProfile::new(paper)).bytes
}

/// The business slip as a job for `profile`.
pub fn business_slip_job(slip: &BusinessSlip, profile: &PrinterProfile) -> Job {
    let mut d = Doc::new(profile);
    d.title(&slip.title);
    d.job.line(&slip.business);
    d.job.align(Align::Left);
    d.rule('=');
    d.pair("流水号", &slip.serial);
    d.pair(
        "打印时间",
        &slip.printed_at.format("%Y-%m-%d %H:%M").to_string(),
    );
    d.pair("办理渠道", &format!("自助终端 {}", slip.terminal_id));
    d.rule('-');
    d.pair("姓名", &slip.name);
    d.pair("证件号码", &slip.id_number_masked);
    d.proxy(slip.proxy.as_deref());
    for e in &slip.enrollments {
        d.rule('-');
        d.heading(&e.insurance_type);
        d.pair("参保状态", &e.status);
        d.pair("参保日期", &e.enrolled_from);
        if let Some(date) = &e.suspended_from {
            d.pair("暂停/终止日期", date);
        }
        d.pair("参保地", &e.pooling_area);
        d.pair("人员类别", &e.person_category);
        if let Some(employer) = &e.employer {
            d.pair("参保单位", employer);
        }
        d.pair("缴费状态", &e.payment);
        d.pair("累计缴费", &format!("{}个月", e.paid_months));
        // Digits with 元, as this slip has always printed them (the e2e
        // journey checks it); needs no replacement on GBK printers.
        d.pair("个人账户余额", &format!("{}元", e.balance.display_digits()));
    }
    if !slip.facts.is_empty() {
        d.rule('-');
        for (label, value) in &slip.facts {
            d.pair(label, value);
        }
    }
    d.rule('=');
    for note in &slip.notes {
        d.paragraph(note, 0);
    }
    d.job.align(Align::Centre);
    d.job.line(&slip.hall_name);
    d.finish()
}

/// Printed under a name with a character shown as 〓 on the certificate.
pub const NAME_AS_ON_DOCUMENT: &str = "（姓名以证件为准）";

/// Module size of the verification QR code: as large as reads well on
/// each paper (about 25 mm on 58 mm paper, 30 mm on 80 mm).
fn qr_module(paper: Paper) -> u8 {
    match paper {
        Paper::Mm58 => 5,
        Paper::Mm80 => 6,
    }
}

/// The enrollment certificate 基本医疗保险参保凭证 in its layout (seed 000
/// §D.7: simple, or transfer with certificate number, agency block and
/// notes), with the verification QR code at the bottom.
pub fn certificate(cert: &EnrollmentCertificate, profile: &PrinterProfile) -> Job {
    let mut d = Doc::new(profile);
    let f = &cert.facts;
    let transfer = cert.layout == CertificateLayout::Transfer;
    d.title(&cert.title);
    d.job.align(Align::Left);
    if transfer {
        let parts = f.number.printed_parts();
        let label = "凭证号：";
        let all: String = parts.concat();
        if cell_width(label) + cell_width(&all) <= d.cells() {
            d.job.line(&format!("{label}{all}"));
        } else {
            d.job.line(label);
            for line in join_parts(&parts, d.cells()) {
                d.job.align(Align::Right).line(&line);
            }
            d.job.align(Align::Left);
        }
    }
    d.pair("生成日期", &format_date(f.generated_on));
    d.rule('=');
    d.heading("基本信息");
    let before = d.job.substitution_count();
    d.pair("参保人姓名", &f.name);
    if d.job.substitution_count() > before {
        // A character of the name could not be printed (〓): the
        // receiving agency goes by the identity document.
        d.job.align(Align::Right).line(NAME_AS_ON_DOCUMENT);
        d.job.align(Align::Left);
    }
    d.pair("身份证件号码", &f.id_number);
    d.pair("户籍所在地", &f.hukou_place);
    d.pair("户籍类型", &f.hukou_type);
    d.rule('-');
    d.heading("参保信息");
    d.pair("基本医疗保险类型", &f.insurance_type);
    d.pair(if transfer { "转出地" } else { "统筹区" }, &f.area);
    d.pair(
        "参保时间",
        &format!("起{} 止{}", cert.from_text(), cert.to_text()),
    );
    d.pair("其中累计实际缴费月数", &format!("{}月", f.paid_months));
    d.job.line("个人账户余额");
    d.pair_tight("（大写）", &cert.balance_capital());
    d.pair_tight("（小写）", &cert.balance_digits());
    if let (true, Some(agency)) = (transfer, &f.agency) {
        d.rule('-');
        d.heading(&cert.agency_heading);
        d.pair("机构名称", &agency.name);
        // Room for the agency's seal (盖章): pre-stamped stock or an
        // electronic seal; the kiosk prints the place for it.
        d.job.align(Align::Right).line("（盖章）");
        d.job.align(Align::Left).feed(1);
        d.pair("地址", &agency.address);
        d.pair("行政区划代码", &agency.area_code);
        d.pair("邮政编码", &agency.postcode);
        d.pair("联系人", &agency.contact);
        d.pair("联系电话", &agency.phone);
    }
    if !cert.notes.is_empty() {
        d.rule('-');
        d.job.line("注意事项：");
        for (i, note) in cert.notes.iter().enumerate() {
            let number = format!("{}.", i + 1);
            d.paragraph(&format!("{number}{note}"), number.len());
        }
    }
    if cert.proxy.is_some() {
        d.rule('-');
        d.proxy(cert.proxy.as_deref());
    }
    d.rule('=');
    d.job.align(Align::Centre);
    d.job.qr(&cert.verification, qr_module(d.paper));
    d.job.line(&format!("扫码核验 {}", f.number.machine()));
    d.job.line(&cert.issuer);
    d.finish()
}

/// The remote-care filing receipt (异地就医备案回执).
pub fn filing_receipt(r: &FilingReceipt, profile: &PrinterProfile) -> Job {
    let mut d = Doc::new(profile);
    d.title(&r.title);
    d.job.align(Align::Left);
    d.rule('=');
    d.pair("备案编号", &r.filing_number);
    d.pair("办理时间", &r.filed_at.format("%Y-%m-%d %H:%M").to_string());
    d.pair("办理渠道", &format!("自助终端 {}", r.terminal_id));
    d.rule('-');
    d.pair("姓名", &r.name);
    d.pair("证件号码", &r.id_number_masked);
    d.pair("参保地", &r.insured_area);
    d.pair("备案类别", &r.category);
    d.pair("就医地", &r.area_of_care);
    d.pair("生效日期", &format_date(r.effective_on));
    d.job.line("有效期");
    d.paragraph(&r.validity, 0);
    // A filing slip of an existing record has no institutions listed.
    if !r.institutions.is_empty() {
        d.rule('-');
        d.heading("就医机构");
        for (i, inst) in r.institutions.iter().enumerate() {
            let number = format!("{}.", i + 1);
            d.paragraph(&format!("{number}{inst}"), number.len());
        }
    }
    d.rule('=');
    if !r.notes.is_empty() {
        d.heading("温馨提示");
        for note in &r.notes {
            d.paragraph(note, 0);
        }
    }
    d.job.align(Align::Centre);
    d.job.line(&r.hall_name);
    d.finish()
}

/// The signed personal commitment letter reprinted from the centre's
/// archive (KS15): the text as signed, the signature drawn again from its
/// strokes, and the archive's number, hash and retention date.
pub fn archived_letter(
    filing_number: &str,
    letter: &kiosk_core::letter::SignedLetter,
    proxy: Option<&str>,
    profile: &PrinterProfile,
) -> Job {
    let mut d = Doc::new(profile);
    let mut lines = letter.text.lines();
    d.title(lines.next().unwrap_or("个人承诺书"));
    d.job.line("（存档件重印）");
    d.job.align(Align::Left);
    d.rule('=');
    d.pair("备案编号", filing_number);
    for line in lines {
        d.paragraph(line, 0);
    }
    d.rule('-');
    d.job.line("本人签字：");
    if let Some(signature) = letter.signature_bitmap() {
        d.job.align(Align::Centre);
        d.job.raster(&signature, d.paper.dots() * 3 / 4);
        d.job.align(Align::Left);
    }
    d.pair("签字日期", &format_date(letter.signed_on));
    d.rule('=');
    d.pair("文本版本", &letter.version);
    d.pair("校验值", &letter.sha256[..letter.sha256.len().min(16)]);
    d.pair("存档至", &format_date(letter.keep_until()));
    d.proxy(proxy);
    d.paragraph(
        "本件由医保经办机构存档系统重印，与参保人签署的原件一致。",
        0,
    );
    d.finish()
}

/// The copy of the signed personal commitment letter (个人承诺书（副本）),
/// with the signature as a raster image.
pub fn commitment_letter(c: &CommitmentLetterCopy, profile: &PrinterProfile) -> Job {
    let mut d = Doc::new(profile);
    d.title(&c.title);
    d.job.line("（副本）");
    d.job.align(Align::Left);
    d.rule('=');
    d.pair("备案编号", &c.filing_number);
    d.pair("姓名", &c.name);
    d.pair("性别", &c.sex);
    d.pair("联系电话", &c.phone_masked);
    d.pair("身份证号", &c.id_number_masked);
    d.pair("参保地", &c.insured_area);
    d.pair("就医地", &c.area_of_care);
    d.pair("人员类别", &c.category);
    d.rule('-');
    d.heading("本人承诺：");
    for (i, u) in c.undertakings.iter().enumerate() {
        let number = format!("{}.", i + 1);
        d.paragraph(&format!("{number}{u}"), number.len());
    }
    d.rule('-');
    d.job.line("本人签字：");
    d.job.align(Align::Centre);
    // The signature at most three quarters of the paper wide.
    d.job.raster(&c.signature, d.paper.dots() * 3 / 4);
    d.job.align(Align::Left);
    d.pair("签字日期", &format_date(c.signed_on));
    d.proxy(c.proxy.as_deref());
    d.rule('=');
    d.paragraph(&c.archive_note, 0);
    d.paragraph("本副本由参保人留存，原件由医保经办机构存档。", 0);
    d.finish()
}

/// What the test page prints about the kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPageInfo {
    /// Terminal id.
    pub terminal_id: String,
    /// When (already formatted: the caller owns the clock).
    pub printed_at: String,
    /// The printer URI (no personal data).
    pub printer: String,
}

/// A test page for technicians: paper and charset, a cell ruler with
/// CJK alignment, alignment and sizes, Chinese text (with a 4-byte
/// GB18030 character that a GBK profile replaces), a QR code, and a cut.
pub fn test_page(profile: &PrinterProfile, info: &TestPageInfo) -> Job {
    let mut d = Doc::new(profile);
    let cells = d.cells();
    d.title("打印测试页");
    d.job.line("PRINTER TEST PAGE");
    d.job.align(Align::Left);
    d.rule('=');
    d.pair("终端", &info.terminal_id);
    d.pair("时间", &info.printed_at);
    d.pair("打印机", &info.printer);
    d.pair(
        "纸宽",
        &format!(
            "{} mm / {} 点 / {} 格",
            if d.paper == Paper::Mm58 { 58 } else { 80 },
            d.paper.dots(),
            cells
        ),
    );
    d.pair(
        "字符集",
        match profile.charset {
            super::escpos::Charset::Gb18030 => "GB18030",
            super::escpos::Charset::Gbk => "GBK",
        },
    );
    d.heading("对齐标尺（每格12点，汉字占2格）");
    let ruler: String = (0..cells)
        .map(|i| {
            if (i + 1) % 10 == 0 {
                char::from_digit(((i + 1) / 10 % 10) as u32, 10).unwrap_or('|')
            } else if (i + 1) % 5 == 0 {
                '+'
            } else {
                '.'
            }
        })
        .collect();
    d.job.line(&ruler);
    let digits: String = (0..cells)
        .map(|i| char::from_digit((i % 10) as u32, 10).unwrap_or('0'))
        .collect();
    d.job.line(&digits);
    let cjk: String = "一二三四五六七八九十"
        .chars()
        .cycle()
        .take(cells / 2)
        .collect();
    d.job.line(&cjk);
    d.pair("左对齐标签", "右对齐值");
    d.rule('-');
    d.job.align(Align::Left).line("左对齐 LEFT");
    d.job.align(Align::Centre).line("居中 CENTRE");
    d.job.align(Align::Right).line("右对齐 RIGHT");
    d.job.align(Align::Left);
    d.job.bold(true).line("粗体 医疗保障").bold(false);
    d.job.size(2, 2).line("倍宽倍高").size(1, 1);
    d.rule('-');
    d.heading("中文字符");
    d.paragraph(
        "医疗保障自助服务终端：参保凭证、业务办理单、异地就医备案。",
        0,
    );
    d.pair("（大写）", "壹仟陆佰捌拾元零叁角贰分");
    d.pair("（小写）", "¥1,680.32");
    d.pair("四字节GB18030", "𠮷");
    d.rule('-');
    d.job.align(Align::Centre);
    d.job.qr(
        &format!("KIOSK-TEST|{}|{}", info.terminal_id, info.printed_at),
        qr_module(d.paper),
    );
    d.job.line("二维码由打印机绘制");
    d.job.line("测试结束，下方切纸");
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::escpos::has_non_gbk_text;

    #[test]
    fn wrap_respects_cells() {
        let lines = wrap("本单据仅记录本次查询结果，以医保经办机构记录为准。", 32);
        assert!(lines.iter().all(|l| cell_width(l) <= 32));
        assert_eq!(
            lines.concat(),
            "本单据仅记录本次查询结果，以医保经办机构记录为准。"
        );
    }

    #[test]
    fn pair_fills_the_line_exactly() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let mut d = Doc::new(&PrinterProfile::new(paper));
            d.pair("姓名", "李秀兰");
            let bytes = &d.job.as_bytes()[4..];
            // label, ESC $ to (cells - 6) * 12 dots, value.
            let (label, rest) = bytes.split_at(4);
            assert_eq!(encoding_rs::GB18030.decode(label).0, "姓名");
            let dots = (paper.cells() - 6) * 12;
            assert_eq!(
                &rest[..4],
                &[0x1B, 0x24, (dots & 0xFF) as u8, (dots >> 8) as u8]
            );
            assert_eq!(encoding_rs::GB18030.decode(&rest[4..]).0, "李秀兰\n");
        }
    }

    #[test]
    fn no_line_starts_with_closing_punctuation() {
        let mut d = Doc::new(&PrinterProfile::new(Paper::Mm58));
        d.paragraph(
            "3.其他跨统筹地区流动就业人员，应携带此凭证及有效证件在3个月内到指定办理机构办理相关登记手续。",
            2,
        );
        let (text, _, _) = encoding_rs::GB18030.decode(&d.job.as_bytes()[4..]);
        for line in text.lines() {
            assert!(!line.trim_start().starts_with('。'), "{text}");
            assert!(cell_width(line) <= 32);
        }
    }

    #[test]
    fn balanced_title_wraps_evenly() {
        let lines = wrap_balanced("基本医疗保险异地就医备案个人承诺书", 32);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| cell_width(l) <= 32));
    }

    #[test]
    fn number_parts_break_between_brackets() {
        let parts = [
            "（吉林省）".to_string(),
            "（长春市）".to_string(),
            "（2026）".to_string(),
            "（第0042号）".to_string(),
        ];
        let lines = join_parts(&parts, 32);
        assert_eq!(lines, vec!["（吉林省）（长春市）（2026）", "（第0042号）"]);
    }

    #[test]
    fn test_page_on_gbk_has_no_four_byte_sequences() {
        let info = TestPageInfo {
            terminal_id: "K220100001".into(),
            printed_at: "2026-11-22 09:30".into(),
            printer: "tcp://127.0.0.1:9100".into(),
        };
        let gbk = test_page(&PrinterProfile::gbk(Paper::Mm58), &info);
        assert!(!has_non_gbk_text(&gbk.bytes));
        assert_eq!(gbk.substitutions, vec!['𠮷']);
        let gb = test_page(&PrinterProfile::new(Paper::Mm80), &info);
        assert!(has_non_gbk_text(&gb.bytes));
        assert!(gb.bytes.ends_with(&[0x1D, 0x56, 0x42, 0x30]));
    }

    /// The premium receipt 缴费凭证 prints its facts as pairs: every value
    /// flush right, a value too long for its label's line (the order
    /// number on 58 mm) alone below it, never cut; within the 2 KB budget.
    #[test]
    fn premium_receipt_prints_its_facts_as_pairs_within_the_budget() {
        let fact = |l: &str, v: &str| (l.to_string(), v.to_string());
        let slip = BusinessSlip {
            title: "城乡居民基本医疗保险缴费凭证".into(),
            business: "城乡居民医保缴费".into(),
            serial: "K2201-A001-26120709225601".into(),
            printed_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
                .and_then(|d| d.and_hms_opt(9, 22, 0))
                .unwrap(),
            terminal_id: "K2201-A001".into(),
            hall_name: "长春市医疗保障服务大厅".into(),
            name: "张德福".into(),
            id_number_masked: "220104********0010".into(),
            proxy: Some("王**（220102********1234）".into()),
            enrollments: Vec::new(),
            facts: vec![
                fact("险种", "城乡居民基本医疗保险"),
                fact("缴费年度", "2027年度"),
                fact("个人缴费标准", "¥400.00"),
                fact("政府资助", "¥200.00"),
                fact("资助类别", "低收入家庭60周岁以上老年人"),
                fact("实缴金额", "¥200.00"),
                fact("金额大写", "贰佰元整"),
                fact("支付方式", "微信支付"),
                fact("缴费时间", "2026-12-07 09:22:53"),
                fact("票据号", "220100-2027-R000001"),
                fact("订单号", "K2201-A001P20261207000001"),
            ],
            notes: vec![
                "缴费结果由医保中心（税务部门）确认；电子票据以税务部门开具的为准。".into(),
            ],
        };
        for paper in [Paper::Mm58, Paper::Mm80] {
            let job = business_slip_job(&slip, &PrinterProfile::new(paper));
            let text = encoding_rs::GB18030.decode(&job.bytes).0.into_owned();
            for value in [
                "K2201-A001P20261207000001",
                "低收入家庭60周岁以上老年人",
                "贰佰元整",
            ] {
                assert!(text.contains(value), "{value} cut on {paper:?}");
            }
            println!("premium receipt on {paper:?}: {} bytes", job.bytes.len());
            assert!(job.bytes.len() <= 2048, "{} bytes", job.bytes.len());
        }
    }
}
