//! Layouts of the account statement 个人账户明细 and the settlement slip
//! 就医结算记录单 (issue 15 journeys 3 and 4), for 58 and 80 mm.
//!
//! The statement prints oldest first, one line per entry: `MM-dd 类别
//! 金额 余额` (58 mm, 32 cells) or with the detail on the same line when
//! it fits (80 mm, 48 cells); the institution goes on its own line below
//! on 58 mm. Amounts are printed with their sign; the closing balance in
//! figures and 大写.

use kiosk_core::ledger::{EntryKind, SettlementSlip, StatementPrint};
use kiosk_core::records::YearMonth;

use super::Doc;
use super::records::{left, right};
use crate::printer::escpos::{Align, Job, Paper, PrinterProfile, cell_width};

/// The account statement as one job for `profile`.
pub fn account_statement(p: &StatementPrint, profile: &PrinterProfile) -> Job {
    let s = &p.statement;
    let mut d = Doc::new(profile);
    d.title("个人账户明细");
    d.job.align(Align::Left);
    d.pair("姓名", &p.name);
    d.pair("证件号码", &p.id_number_masked);
    d.pair(
        "查询期间",
        &format!("{} 至 {}", s.from.dashed(), s.to.dashed()),
    );
    d.pair("期初余额", &format!("¥{}", s.opening.display_digits()));
    d.rule('=');
    let wide = d.paper == Paper::Mm80;
    // 日期 5, 类别 8 (four CJK), 金额 10, 余额 rest.
    // 58 mm: no thousands separators, so a five-digit balance still fits.
    let (amount_cells, balance_cells) = if wide { (12, 12) } else { (9, 8) };
    let digits = |y: kiosk_core::money::Yuan| {
        if wide { y.display_digits() } else { y.plain() }
    };
    d.job.line(&format!(
        "{}{}{}{}",
        left("日期", 6),
        left("类别", 9),
        right("金额", amount_cells),
        right("余额", balance_cells)
    ));
    d.rule('-');
    for e in &s.entries {
        let amount = if e.amount.is_negative() {
            digits(e.amount)
        } else {
            format!("+{}", digits(e.amount))
        };
        d.job.line(&format!(
            "{}{}{}{}",
            left(&e.date.format("%m-%d").to_string(), 6),
            left(e.kind.label(), 9),
            right(&amount, amount_cells),
            right(&digits(e.balance), balance_cells)
        ));
        let detail = match e.kind {
            EntryKind::Credit => YearMonth::parse_compact(&e.detail)
                .map(|m| format!("{}月缴费划入", m.dashed()))
                .unwrap_or_else(|| e.detail.clone()),
            EntryKind::MutualAid if !e.relation.is_empty() => {
                format!("为{}支付 {}", e.relation, e.detail)
            }
            _ => e.detail.clone(),
        };
        if !detail.is_empty() && cell_width(&detail) > 0 {
            d.paragraph(&format!("  {detail}"), 2);
        }
    }
    d.rule('-');
    d.pair("本期划入", &format!("¥{}", s.credits.display_digits()));
    d.pair("本期支出", &format!("¥{}", s.debits.display_digits()));
    d.pair("期末余额", &format!("¥{}", s.closing().display_digits()));
    d.paragraph(&format!("（大写）{}", s.closing().to_capital()), 0);
    d.pair("当前余额", &format!("¥{}", s.balance.display_digits()));
    d.rule('=');
    d.proxy(p.proxy.as_deref());
    d.paragraph("本明细仅供查询参考，以医保部门记录为准。", 0);
    d.job.line(&format!(
        "打印 {}  终端 {}",
        p.printed_at.format("%Y-%m-%d %H:%M"),
        p.terminal_id
    ));
    d.job.align(Align::Centre).line(&p.issuer);
    d.finish()
}

/// The slip of one settlement for `profile`.
pub fn settlement_slip(p: &SettlementSlip, profile: &PrinterProfile) -> Job {
    let s = &p.settlement;
    let mut d = Doc::new(profile);
    d.title("就医结算记录单");
    d.job.align(Align::Left);
    d.pair("姓名", &p.name);
    d.pair("证件号码", &p.id_number_masked);
    d.rule('=');
    d.pair("结算时间", &s.at.format("%Y-%m-%d %H:%M").to_string());
    d.paragraph(&format!("医药机构：{}", s.institution), 0);
    d.pair("医疗类别", s.care.label());
    d.pair("就医地", s.scope.label());
    d.rule('-');
    d.pair("医疗费总额", &format!("¥{}", s.total.display_digits()));
    d.pair("医保基金支付", &format!("¥{}", s.fund.display_digits()));
    d.pair("个人账户支付", &format!("¥{}", s.account.display_digits()));
    d.pair("个人现金支付", &format!("¥{}", s.cash.display_digits()));
    d.paragraph(&format!("（大写）总额{}", s.total.to_capital()), 0);
    d.rule('-');
    d.pair("结算状态", s.status.label());
    d.paragraph(s.status.meaning(), 0);
    d.pair("结算流水号", &s.id);
    d.rule('=');
    d.proxy(p.proxy.as_deref());
    d.paragraph("本单为结算记录查询凭据，不作报销票据使用。", 0);
    d.job.line(&format!(
        "打印 {}  终端 {}",
        p.printed_at.format("%Y-%m-%d %H:%M"),
        p.terminal_id
    ));
    d.job.align(Align::Centre).line(&p.issuer);
    d.finish()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::NaiveDate;
    use kiosk_core::ledger::{
        AccountEntry, AccountStatement, CareKind, Scope, Settlement, SettlementStatus,
    };
    use kiosk_core::money::Yuan;

    fn y(fen: i64) -> Yuan {
        Yuan::from_fen(fen).unwrap()
    }

    /// Three months of a statement: credits, pharmacy, outpatient and
    /// family mutual aid.
    pub(crate) fn statement() -> StatementPrint {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let opening = 352_140 - 11_200 * 3 + 2_550 + 8_640 + 12_000;
        let mut balance = opening;
        let mut entries = Vec::new();
        let mut push = |date, kind, amount: i64, detail: &str, relation: &str| {
            balance += amount;
            entries.push(AccountEntry {
                date,
                kind,
                amount: y(amount),
                balance: y(balance),
                detail: detail.into(),
                relation: relation.into(),
            });
        };
        push(day(9, 15), EntryKind::Credit, 11_200, "202609", "");
        push(
            day(9, 22),
            EntryKind::Pharmacy,
            -2_550,
            "吉林大药房（重庆路店）",
            "",
        );
        push(day(10, 15), EntryKind::Credit, 11_200, "202610", "");
        push(
            day(10, 28),
            EntryKind::Outpatient,
            -8_640,
            "吉林大学第一医院",
            "",
        );
        push(
            day(11, 6),
            EntryKind::MutualAid,
            -12_000,
            "长春市中医院",
            "母亲",
        );
        push(day(11, 15), EntryKind::Credit, 11_200, "202611", "");
        let statement = AccountStatement::new(
            YearMonth::new(2026, 9).unwrap(),
            YearMonth::new(2026, 11).unwrap(),
            y(352_140),
            y(opening),
            entries,
        )
        .unwrap();
        StatementPrint {
            statement,
            name: "李秀兰".into(),
            id_number_masked: "220203********2046".into(),
            printed_at: day(11, 20).and_hms_opt(9, 30, 0).unwrap(),
            terminal_id: "K2201-A001".into(),
            issuer: "长春市医疗保障局".into(),
            proxy: None,
        }
    }

    pub(crate) fn slip() -> SettlementSlip {
        SettlementSlip {
            settlement: Settlement {
                id: "110000202610150001".into(),
                at: NaiveDate::from_ymd_opt(2026, 10, 15)
                    .unwrap()
                    .and_hms_opt(10, 42, 0)
                    .unwrap(),
                institution: "北京协和医院".into(),
                area: "110101".into(),
                care: CareKind::Inpatient,
                scope: Scope::Cross,
                total: y(1_864_320),
                fund: y(1_305_024),
                account: y(120_000),
                cash: y(439_296),
                status: SettlementStatus::Clearing,
            },
            name: "李秀兰".into(),
            id_number_masked: "220203********2046".into(),
            printed_at: NaiveDate::from_ymd_opt(2026, 11, 20)
                .unwrap()
                .and_hms_opt(9, 30, 0)
                .unwrap(),
            terminal_id: "K2201-A001".into(),
            issuer: "长春市医疗保障局".into(),
            proxy: Some("张*".into()),
        }
    }

    fn profiles() -> [PrinterProfile; 2] {
        [
            PrinterProfile::new(Paper::Mm58),
            PrinterProfile::new(Paper::Mm80),
        ]
    }

    /// The printed text and its entry lines (those starting with a date).
    fn text(job: &Job) -> (String, Vec<String>) {
        let text = encoding_rs::GB18030.decode(&job.bytes).0.to_string();
        let lines = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| l.chars().filter(|c| !c.is_control()).collect())
            .collect();
        // Wrapped paragraphs read as one line.
        (text.replace('\n', ""), lines)
    }

    #[test]
    fn the_statement_fits_the_paper_and_names_the_closing_balance_in_capitals() {
        for profile in profiles() {
            let job = account_statement(&statement(), &profile);
            let (text, lines) = text(&job);
            assert!(text.contains("期末余额"), "{text}");
            assert!(text.contains("叁仟伍佰贰拾壹元肆角"), "{text}");
            assert!(text.contains("为母亲支付"), "{text}");
            assert!(text.contains("-25.50"), "{text}");
            for line in &lines {
                assert!(cell_width(line) <= profile.paper.cells(), "{line:?}");
            }
            assert!(job.bytes.len() <= 2048, "{} bytes", job.bytes.len());
            // The figure BENCHMARKS.md records (`-- --nocapture`).
            eprintln!("{:?}: {} bytes", profile.paper, job.bytes.len());
        }
    }

    #[test]
    fn the_settlement_slip_says_what_the_status_means_and_who_printed_it() {
        for profile in profiles() {
            let job = settlement_slip(&slip(), &profile);
            let (text, lines) = text(&job);
            assert!(text.contains("跨省清算中"), "{text}");
            assert!(text.contains("无需再办理报销"), "{text}");
            assert!(text.contains("代办人"), "{text}");
            assert!(text.contains("¥18,643.20"), "{text}");
            for line in &lines {
                assert!(cell_width(line) <= profile.paper.cells(), "{line:?}");
            }
            assert!(job.bytes.len() <= 2048, "{} bytes", job.bytes.len());
            // The figure BENCHMARKS.md records (`-- --nocapture`).
            eprintln!("{:?}: {} bytes", profile.paper, job.bytes.len());
        }
    }
}
