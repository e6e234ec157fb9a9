//! Layouts of the records journeys (issue 15): the contribution record
//! 参保缴费明细, one page per year of months, for 58 and 80 mm.
//!
//! 58 mm (32 cells): `月 状态 个人 单位 划入`, the contribution base on its
//! own line whenever it changes; 80 mm (48 cells) adds the base as a
//! column. Columns are padded with spaces (one byte each), so a page of
//! twelve months stays well inside the certificate's 2 KB budget.

use kiosk_core::institutions::{InstitutionKind, InstitutionList};
use kiosk_core::records::{ContributionRecord, MonthState};

use super::{Doc, qr_module};
use crate::printer::escpos::{Align, Job, Paper, PrinterProfile, cell_width};

/// The state as printed (short enough for the column).
fn state(s: MonthState) -> &'static str {
    match s {
        MonthState::Paid => "已缴",
        MonthState::AssessedUnpaid => "欠缴",
        MonthState::NotAssessed => "未核定",
    }
}

/// `text` padded on the left to `cells`.
pub(super) fn right(text: &str, cells: usize) -> String {
    format!(
        "{}{text}",
        " ".repeat(cells.saturating_sub(cell_width(text)))
    )
}

/// `text` padded on the right to `cells`.
pub(super) fn left(text: &str, cells: usize) -> String {
    format!(
        "{text}{}",
        " ".repeat(cells.saturating_sub(cell_width(text)))
    )
}

/// The contribution record as one page (one cut) for `profile`.
pub fn contribution_record(r: &ContributionRecord, profile: &PrinterProfile) -> Job {
    let mut d = Doc::new(profile);
    let wide = d.paper == Paper::Mm80;
    d.title(&r.title);
    d.job.align(Align::Left);
    d.pair("编号", &r.number);
    d.pair(
        "打印时间",
        &r.issued_at.format("%Y-%m-%d %H:%M").to_string(),
    );
    d.rule('=');
    d.pair("姓名", &r.name);
    d.pair("证件号码", &r.id_number_masked);
    d.pair("险种", &r.insurance_type);
    if !r.pooling_area.is_empty() {
        d.pair("参保地", &r.pooling_area);
    }
    if let (Some(first), Some(last)) = (r.months.first(), r.months.last()) {
        d.pair(
            "缴费期间",
            &format!("{}至{}", first.month.dashed(), last.month.dashed()),
        );
    }
    d.rule('-');
    let amount = |m: &kiosk_core::records::ContributionMonth, y: kiosk_core::money::Yuan| {
        if m.state == MonthState::NotAssessed {
            "-".to_string()
        } else {
            y.plain()
        }
    };
    if wide {
        d.job.line(&format!(
            "{}{}{}{}{}{}",
            left("月份", 8),
            left("状态", 7),
            right("基数", 9),
            right("个人", 8),
            right("单位", 8),
            right("划入", 8)
        ));
    } else {
        d.job.line(&format!(
            "{}{}{}{}{}",
            left("月", 3),
            left("状态", 7),
            right("个人", 7),
            right("单位", 8),
            right("划入", 7)
        ));
    }
    let mut base = None;
    for m in &r.months {
        if wide {
            d.job.line(&format!(
                "{}{}{}{}{}{}",
                left(&m.month.dashed(), 8),
                left(state(m.state), 7),
                right(&amount(m, m.base), 9),
                right(&amount(m, m.personal), 8),
                right(&amount(m, m.employer), 8),
                right(&amount(m, m.account), 8)
            ));
        } else {
            if m.state != MonthState::NotAssessed && base != Some(m.base) {
                base = Some(m.base);
                d.job.line(&format!(
                    "缴费基数 {}（{}月起）",
                    m.base.plain(),
                    m.month.month
                ));
            }
            d.job.line(&format!(
                "{}{}{}{}{}",
                left(&format!("{:02}", m.month.month), 3),
                left(state(m.state), 7),
                right(&amount(m, m.personal), 7),
                right(&amount(m, m.employer), 8),
                right(&amount(m, m.account), 7)
            ));
        }
    }
    d.rule('-');
    match r.totals() {
        Ok(t) => {
            d.pair("本期已缴月数", &format!("{}个月", t.paid_months));
            if t.unpaid_months > 0 {
                d.pair("本期欠缴月数", &format!("{}个月", t.unpaid_months));
            }
            d.pair("个人缴纳合计", &t.personal.plain());
            d.pair("单位缴纳合计", &t.employer.plain());
            d.pair("划入个人账户合计", &t.account.plain());
        }
        Err(_) => {
            d.job.line("合计超出范围，请到人工窗口核对");
        }
    }
    d.pair("累计缴费月数", &format!("{}个月", r.cumulative_months));
    if !r.gaps.is_empty() {
        d.rule('-');
        d.job.line("断缴说明：");
        for gap in &r.gaps {
            d.paragraph(gap, 0);
        }
    }
    d.proxy(r.proxy.as_deref());
    d.paragraph("本明细由医保经办机构核定，以经办机构记录为准。", 0);
    d.rule('=');
    d.job.align(Align::Centre);
    d.job.qr(&r.verification, qr_module(d.paper));
    d.job.line(&format!("扫码核验 {}", r.number));
    d.job.line(&r.issuer);
    d.job.line(&format!("终端 {}", r.terminal_id));
    d.finish()
}

/// The short list of designated institutions (定点医药机构名单): name,
/// kind and level, address, phone; the filter and the list's version on top.
pub fn institution_list(l: &InstitutionList, profile: &PrinterProfile) -> Job {
    let mut d = Doc::new(profile);
    d.title(&l.title);
    d.job.align(Align::Left);
    d.pair(
        "打印时间",
        &l.printed_at.format("%Y-%m-%d %H:%M").to_string(),
    );
    d.paragraph(&format!("条件：{}", l.criteria), 0);
    d.pair(
        "结果",
        &if l.total > l.rows.len() {
            format!("共{}家，列出前{}家", l.total, l.rows.len())
        } else {
            format!("共{}家", l.total)
        },
    );
    d.rule('=');
    for (n, i) in l.rows.iter().enumerate() {
        d.job.bold(true);
        d.paragraph(&format!("{}. {}", n + 1, i.name), 0);
        d.job.bold(false);
        let mut kind = vec![match i.kind {
            InstitutionKind::Hospital => "医院",
            InstitutionKind::Pharmacy => "药店",
            InstitutionKind::Clinic => "诊所",
        }];
        if !i.level.is_empty() {
            kind.push(&i.level);
        }
        kind.push(if i.cross_province {
            "可跨省直接结算"
        } else {
            "未开通跨省直接结算"
        });
        d.paragraph(&kind.join(" "), 0);
        if !i.address.is_empty() {
            d.paragraph(&format!("地址：{}", i.address), 0);
        }
        if !i.phone.is_empty() {
            d.job.line(&format!("电话：{}", i.phone));
        }
        d.rule('-');
    }
    d.proxy(l.proxy.as_deref());
    d.paragraph("名单以医保部门公布为准，就医前可电话确认。", 0);
    d.job
        .line(&format!("名单版本 {}  终端 {}", l.version, l.terminal_id));
    d.job.align(Align::Centre).line(&l.issuer);
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_core::enrollment::InsuranceType;
    use kiosk_core::money::Yuan;
    use kiosk_core::records::{ContributionMonth, YearMonth};

    /// A full year with a base change and a gap: the heaviest page.
    pub(crate) fn sample() -> ContributionRecord {
        let months = (1..=12)
            .map(|m| ContributionMonth {
                month: YearMonth::new(2025, m).unwrap(),
                insurance_type: InsuranceType::EmployeeBasic,
                base: Yuan::from_fen(if m < 4 { 520_000 } else { 1_256_000 }).unwrap(),
                personal: Yuan::from_fen(25_120).unwrap(),
                employer: Yuan::from_fen(100_480).unwrap(),
                account: Yuan::from_fen(25_120).unwrap(),
                state: if (6..=8).contains(&m) {
                    MonthState::AssessedUnpaid
                } else {
                    MonthState::Paid
                },
            })
            .collect();
        ContributionRecord {
            title: "参保缴费明细".into(),
            number: "220200-2026-J0001".into(),
            issued_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
                .unwrap()
                .and_hms_opt(10, 30, 0)
                .unwrap(),
            name: "王建国".into(),
            id_number_masked: "220203********2046".into(),
            insurance_type: "职工基本医疗保险".into(),
            pooling_area: "吉林市".into(),
            months,
            cumulative_months: 219,
            gaps: vec!["2025-06至2025-08断缴3个月：中断3个月，未超过3个月：在3个月内（含）足额补缴的，中断期间的待遇可追溯享受；如未补缴，请到人工窗口咨询。".into()],
            terminal_id: "JL-0001".into(),
            issuer: "吉林省医疗保障局".into(),
            verification: format!("KCR1|220200-2026-J0001|{}", "A".repeat(43)),
            proxy: None,
        }
    }

    #[test]
    fn a_year_page_fits_the_certificate_budget_on_both_papers() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let job = contribution_record(&sample(), &PrinterProfile::new(paper));
            assert!(
                job.bytes.len() <= 2048,
                "{paper:?}: {} bytes",
                job.bytes.len()
            );
            // The figure BENCHMARKS.md records (`-- --nocapture`).
            eprintln!("{paper:?}: {} bytes", job.bytes.len());
            let text = encoding_rs::GB18030.decode(&job.bytes).0;
            assert!(text.contains("欠缴"));
            assert!(text.contains("断缴说明"));
            assert!(job.substitutions.is_empty());
        }
    }

    #[test]
    fn month_lines_fit_the_paper() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let job = contribution_record(&sample(), &PrinterProfile::new(paper));
            let text = encoding_rs::GB18030.decode(&job.bytes).0;
            for line in text
                .lines()
                .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            {
                let printable: String = line.chars().filter(|c| !c.is_control()).collect();
                assert!(
                    cell_width(&printable) <= paper.cells(),
                    "{paper:?}: {printable}"
                );
            }
        }
    }
}
