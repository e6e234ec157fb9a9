//! Document layouts: the core's documents as ESC/POS jobs, for 58 mm and
//! 80 mm paper. Tested without a printer.

use kiosk_core::documents::BusinessSlip;

use super::escpos::{Align, EscPos, Paper, cell_width};

/// `label` on the left and `value` on the right of one line, or on two
/// lines when both do not fit.
fn pair(job: &mut EscPos, paper: Paper, label: &str, value: &str) {
    let width = paper.cells();
    let used = cell_width(label) + cell_width(value);
    if used < width {
        let gap = " ".repeat(width - used);
        job.line(&format!("{label}{gap}{value}"));
    } else {
        job.line(label);
        let pad = width.saturating_sub(cell_width(value));
        job.line(&format!("{}{value}", " ".repeat(pad)));
    }
}

fn rule(job: &mut EscPos, paper: Paper, c: char) {
    job.line(&c.to_string().repeat(paper.cells()));
}

/// Wraps `text` into lines of at most `width` cells.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = if c.is_ascii() { 1 } else { 2 };
        if used + w > width {
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

/// A centred title: double width and height when it fits on one line,
/// double height only when it does not (a wrapped title looks broken).
fn title(job: &mut EscPos, paper: Paper, text: &str) {
    let width = if cell_width(text) * 2 <= paper.cells() {
        2
    } else {
        1
    };
    job.align(Align::Centre).bold(true).size(width, 2);
    job.line(text);
    job.size(1, 1).bold(false);
}

/// The business slip (业务办理单) of an enrollment query.
pub fn business_slip(slip: &BusinessSlip, paper: Paper) -> Vec<u8> {
    let mut job = EscPos::new();
    title(&mut job, paper, &slip.title);
    job.line(&slip.business);
    job.align(Align::Left);
    rule(&mut job, paper, '=');
    pair(&mut job, paper, "流水号", &slip.serial);
    pair(
        &mut job,
        paper,
        "打印时间",
        &slip.printed_at.format("%Y-%m-%d %H:%M").to_string(),
    );
    pair(
        &mut job,
        paper,
        "办理渠道",
        &format!("自助终端 {}", slip.terminal_id),
    );
    rule(&mut job, paper, '-');
    pair(&mut job, paper, "姓名", &slip.name);
    pair(&mut job, paper, "证件号码", &slip.id_number_masked);
    for e in &slip.enrollments {
        rule(&mut job, paper, '-');
        job.bold(true).line(&e.insurance_type).bold(false);
        pair(&mut job, paper, "参保状态", &e.status);
        pair(&mut job, paper, "参保日期", &e.enrolled_from);
        if let Some(date) = &e.suspended_from {
            pair(&mut job, paper, "暂停/终止日期", date);
        }
        pair(&mut job, paper, "参保地", &e.pooling_area);
        pair(&mut job, paper, "人员类别", &e.person_category);
        if let Some(employer) = &e.employer {
            pair(&mut job, paper, "参保单位", employer);
        }
        pair(&mut job, paper, "缴费状态", &e.payment);
        pair(
            &mut job,
            paper,
            "累计缴费",
            &format!("{}个月", e.paid_months),
        );
        pair(
            &mut job,
            paper,
            "个人账户余额",
            &format!("{}元", e.balance.display_digits()),
        );
    }
    rule(&mut job, paper, '=');
    for note in &slip.notes {
        for line in wrap(note, paper.cells()) {
            job.line(&line);
        }
    }
    job.align(Align::Centre);
    job.line(&slip.hall_name);
    job.feed(3).cut();
    job.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut job = EscPos::new();
        pair(&mut job, Paper::Mm58, "姓名", "李秀兰");
        let bytes = &job.as_bytes()[4..];
        let (text, _, _) = encoding_rs::GB18030.decode(bytes);
        let line = text.trim_end_matches('\n');
        assert_eq!(cell_width(line), 32);
    }
}
