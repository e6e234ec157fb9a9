//! The reference centre's chronic / special-disease transactions (seed 000
//! A6 门诊特殊疾病病种待遇变更, A7 门诊慢性病病种待遇变更): KS17 lists the
//! person's registered diseases with their designated hospital and
//! pharmacy; KS18 changes one of the two, at once (即办件), under the
//! region profile's rules: the new institution is a designated one of the
//! certification's city and of the right kind, a special disease's
//! hospital has at least the region's grade (二级), and the region must
//! offer the change at all.

use rusqlite::{Connection, params};
use serde_json::Value;

use kiosk_sync::envelope::Request;
use kiosk_sync::wire::{
    ChronicChangeInput, ChronicChangeOutput, ChronicCondition, ChronicQueryInput,
    ChronicQueryOutput,
};

use kiosk_core::session::chronic::grade;

use super::{Central, Handled, bad, not_found, ok, parse, rule};
use crate::data::DemoInstitution;
use crate::db::db_error;

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

impl Central {
    fn institution(&self, code: &str) -> Option<&DemoInstitution> {
        self.data.institution(code)
    }

    fn condition(&self, row: Row) -> (String, ChronicCondition) {
        let (cert_no, psn_no, kind, disease, admdvs, certified_on, hosp, phar) = row;
        let name = |code: &str| {
            self.institution(code)
                .map(|i| i.name.clone())
                .unwrap_or_default()
        };
        (
            psn_no,
            ChronicCondition {
                hosp_name: name(&hosp),
                phar_name: name(&phar),
                cert_no,
                kind,
                disease,
                admdvs,
                certified_on,
                hosp_code: hosp,
                phar_code: phar,
            },
        )
    }

    fn conditions(&self, conn: &Connection, clause: &str, key: &str) -> Handled2 {
        let sql = format!(
            "SELECT cert_no, psn_no, kind, disease, admdvs, certified_on, hosp_code, phar_code
             FROM chronic_condition WHERE {clause} ORDER BY certified_on DESC, cert_no"
        );
        let mut stmt = conn.prepare(&sql).map_err(db_error)?;
        let rows = stmt
            .query_map([key], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(db_error)?
            .collect::<Result<Vec<Row>, _>>()
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|r| self.condition(r)).collect())
    }

    /// KS17: the person's registered chronic and special diseases.
    pub(super) fn chronic_query(&self, input: &Value) -> Handled {
        let Some(q) = parse::<ChronicQueryInput>(input) else {
            return Ok(bad("KS17 输入格式错误"));
        };
        if self.person(&q.psn_no).is_none() {
            return Ok(not_found());
        }
        let conn = self.conn();
        let conditions = self
            .conditions(&conn, "psn_no = ?1", &q.psn_no)?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        Ok(ok(ChronicQueryOutput { conditions }))
    }

    /// KS18: changes the designated hospital or pharmacy of a registered
    /// disease.
    pub(super) fn chronic_change(&self, tx: &Connection, request: &Request<Value>) -> Handled {
        let Some(q) = parse::<ChronicChangeInput>(&request.input) else {
            return Ok(bad("KS18 输入格式错误"));
        };
        if self.person(&q.psn_no).is_none() {
            return Ok(not_found());
        }
        let Some(min_grade) = self.options.filing_limits.chronic() else {
            return Ok(rule(
                "本地区不在自助终端办理门诊慢特病定点医药机构变更，请到医保服务大厅办理",
            ));
        };
        let found = self
            .conditions(tx, "cert_no = ?1", &q.cert_no)?
            .into_iter()
            .next();
        let Some((_, condition)) = found.filter(|(owner, _)| *owner == q.psn_no) else {
            return Ok(rule("未找到该门诊慢特病认定记录"));
        };
        if !q.agnter.is_empty() && q.agnt_authz.is_empty() {
            return Ok(rule("代办须提供参保人的书面委托，请由工作人员核验后再提交"));
        }
        let (kind, column, current) = match q.slot.as_str() {
            "hospital" => ("hospital", "hosp_code", &condition.hosp_code),
            "pharmacy" => ("pharmacy", "phar_code", &condition.phar_code),
            _ => return Ok(bad("KS18 slot 须为 hospital 或 pharmacy")),
        };
        let Some(new) = self.institution(&q.fixmedins_code) else {
            return Ok(rule("所选机构不是定点医药机构"));
        };
        if new.kind != kind {
            return Ok(rule(if kind == "hospital" {
                "所选机构不是定点医疗机构，请选择医院"
            } else {
                "所选机构不是定点零售药店，请选择药店"
            }));
        }
        if new.area.get(..4) != condition.admdvs.get(..4) {
            return Ok(rule(
                "所选机构不在认定地统筹区内，请选择本统筹区的定点医药机构",
            ));
        }
        if kind == "hospital" && condition.kind == "special" && grade(&new.level) < min_grade {
            return Ok(rule(&format!(
                "门诊特殊疾病须在{}级及以上定点医疗机构治疗，所选医院不符合",
                ["", "一", "二", "三"][usize::from(min_grade.min(3))]
            )));
        }
        if *current == new.code {
            return Ok(rule("所选机构与现在的定点机构相同，无需变更"));
        }
        let count: i64 = tx
            .query_row("SELECT COUNT(*) FROM chronic_change", [], |r| r.get(0))
            .map_err(db_error)?;
        let change_no = format!("MT{}{:06}", self.clock.today().format("%Y%m%d"), count + 1);
        let now = self.now_text();
        tx.execute(
            &format!(
                "UPDATE chronic_condition SET {column} = ?2, updated_at = ?3 WHERE cert_no = ?1"
            ),
            params![q.cert_no, new.code, now],
        )
        .map_err(db_error)?;
        tx.execute(
            "INSERT INTO chronic_change (change_no, cert_no, slot, old_code, new_code, agnter,
                 agnt_authz, msgid, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                change_no,
                q.cert_no,
                q.slot,
                current,
                new.code,
                q.agnter,
                q.agnt_authz,
                request.msgid,
                now
            ],
        )
        .map_err(db_error)?;
        let changed = self
            .conditions(tx, "cert_no = ?1", &q.cert_no)?
            .into_iter()
            .next()
            .map(|(_, c)| c);
        match changed {
            Some(condition) => Ok(ok(ChronicChangeOutput {
                change_no,
                condition,
            })),
            None => Ok(rule("未找到该门诊慢特病认定记录")),
        }
    }
}

type Handled2 = Result<Vec<(String, ChronicCondition)>, crate::Error>;
