//! Technicians' command-line tools on the `kiosk` binary.

use clap::Args;

use kiosk_core::region::{KioskAction, ServiceItem};

use crate::app::load_region;
use crate::config::Config;
use crate::error::Error;

/// `kiosk guides`.
#[derive(Debug, Args)]
pub struct GuidesArgs {
    /// Region id (jilin, linkou, yunnan); default: the configured one.
    #[arg(long)]
    pub region: Option<String>,
    /// Print one item (its profile code or seed code) in full.
    #[arg(long)]
    pub item: Option<String>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn actions(item: &ServiceItem) -> String {
    item.kiosk
        .iter()
        .map(|a| match a {
            KioskAction::Query => "可查询",
            KioskAction::Print => "可打印",
            KioskAction::File => "可办理",
            KioskAction::Guide => "仅指南",
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Lists or prints service guides.
pub fn guides(config: &Config, args: &GuidesArgs) -> Result<(), Error> {
    let mut config = config.clone();
    if let Some(region) = &args.region {
        config.terminal.region = region.clone();
        config.terminal.region_file = None;
    }
    let profile = load_region(&config)?;
    match &args.item {
        Some(code) => {
            let item = profile.item(code).ok_or_else(|| Error::Config {
                file: profile.id().to_string(),
                reason: format!("no service item {code:?} in region {}", profile.id()),
            })?;
            if args.json {
                println!("{}", json(item));
                return Ok(());
            }
            println!("{}  {}", item.code, item.name);
            println!("办理方式: {}", actions(item));
            println!("服务对象: {}", item.service_object);
            if let Some(p) = item.processing {
                println!("办件类型: {}", p.label());
            }
            println!("办理时限: {}", item.time_limit);
            if let Some(c) = &item.conditions {
                println!("受理条件: {c}");
            }
            println!("申请材料:");
            for m in &item.materials {
                println!("  - {m}");
            }
            for case in &item.material_cases {
                println!("  [{}]", case.case);
                for m in &case.materials {
                    println!("    - {m}");
                }
            }
            if let Some(proxy) = &item.proxy {
                println!("代办: {proxy}");
            }
            if !item.process.is_empty() {
                println!("办理流程:");
                for s in &item.process {
                    println!(
                        "  {}{}",
                        s.step,
                        s.text
                            .as_deref()
                            .map(|t| format!("：{t}"))
                            .unwrap_or_default()
                    );
                }
            }
            if !item.channels.is_empty() {
                println!("办理渠道: {}", item.channels.join("；"));
            }
            if let Some(fees) = &item.fees {
                println!("收费: {fees}");
            }
            for office in profile.offices_for(item) {
                println!("办理地点: {} {}", office.area, office.address);
            }
            for basis in &item.legal_basis {
                println!("设定依据: {basis}");
            }
            println!("来源: {}", item.source);
        }
        None => {
            if args.json {
                println!("{}", json(profile.items()));
                return Ok(());
            }
            println!(
                "{} 办事指南，共 {} 项",
                profile.name(),
                profile.items().len()
            );
            for item in profile.items() {
                println!("{:<8} {}  [{}]", item.code, item.name, actions(item));
            }
        }
    }
    Ok(())
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
