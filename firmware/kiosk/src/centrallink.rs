//! The link to a configured central service, from `[central]`: what is
//! wrong with it before anything starts (one [`LinkProblem`] per
//! problem: what, which file, what to do), and the [`LinkSecurity`] the
//! client uses (TLS trust and client certificate, pin, SM2 signer,
//! gateway headers). `kiosk` refuses to start its journeys on any problem;
//! `kiosk doctor` reports the same problems without starting.
//!
//! Rules: an `https://` URL needs readable certificate files that fit
//! together; a plain `http://` URL is allowed only to loopback (a
//! reference centre on this machine); the `none` signer only there too;
//! every key file is the kiosk user's alone (0600).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiosk_sync::client::LinkSecurity;
use kiosk_sync::gateway::{GatewayDigest, GatewayHeaders, GatewaySettings};
use kiosk_sync::link::{LinkProblem, TlsSettings, is_loopback_http};
use kiosk_sync::signing::{NoSigner, Signer, Sm2Signer};

use crate::config::CentralConfig;

fn problem(setting: &str, file: Option<&Path>, what: &str, todo: &str) -> LinkProblem {
    LinkProblem {
        setting: setting.to_string(),
        file: file.map(Path::to_path_buf),
        what: what.to_string(),
        todo: todo.to_string(),
    }
}

/// The TLS part of `[central]`.
pub fn tls_settings(config: &CentralConfig) -> TlsSettings {
    TlsSettings {
        ca_file: config.ca_file.clone(),
        client_cert: config.client_cert.clone(),
        client_key: config.client_key.clone(),
        pin_sha256: config.pin_sha256.clone(),
    }
}

/// The link's security for a configured `url`, or every problem found.
pub fn security(config: &CentralConfig, url: &str) -> Result<LinkSecurity, Vec<LinkProblem>> {
    let mut problems = Vec::new();
    let https = url.starts_with("https://");
    let loopback_http = is_loopback_http(url);
    if !https && !url.starts_with("http://") {
        problems.push(problem(
            "[central] url",
            None,
            &format!("“{url}”不是 http:// 或 https:// 地址"),
            "填写省平台提供的 https:// 地址",
        ));
    } else if !https && !loopback_http {
        problems.push(problem(
            "[central] url",
            None,
            &format!("“{url}”是未加密的 http:// 地址"),
            "生产环境只能用 https:// 连接省平台（http:// 仅限本机 127.0.0.1 上的参考服务）",
        ));
    }
    let settings = tls_settings(config);
    let tls = if https {
        match settings.load() {
            Ok(link) => Some(link),
            Err(found) => {
                problems.extend(found);
                None
            }
        }
    } else {
        if settings != TlsSettings::default() {
            problems.push(problem(
                "[central] url",
                None,
                "配置了证书（ca_file / client_cert / pin_sha256），但地址是 http://",
                "把 url 改为省平台的 https:// 地址，或删去证书配置",
            ));
        }
        None
    };
    let signer_name = config
        .signer
        .clone()
        .unwrap_or_else(|| if loopback_http { "none" } else { "sm2" }.to_string());
    let signer: Option<Arc<dyn Signer>> = match signer_name.as_str() {
        "none" if loopback_http => Some(Arc::new(NoSigner)),
        "none" => {
            problems.push(problem(
                "[central] signer",
                None,
                "“none”（报文不签名）只能用于本机的参考服务",
                "设为 signer = \"sm2\" 并配置 key_file（kiosk keygen 生成）",
            ));
            None
        }
        "sm2" => match &config.key_file {
            None => {
                problems.push(problem(
                    "[central] key_file",
                    None,
                    "报文签名需要终端密钥，但没有配置 key_file",
                    "执行 kiosk keygen --out /etc/kiosk 生成密钥，把公钥交省平台登记，再设置 key_file",
                ));
                None
            }
            Some(path) => match Sm2Signer::from_file(path) {
                Ok(s) => Some(Arc::new(s)),
                Err(p) => {
                    problems.push(p);
                    None
                }
            },
        },
        other => {
            problems.push(problem(
                "[central] signer",
                None,
                &format!("不认识的签名方式“{other}”"),
                "设为 \"sm2\"（或仅限本机参考服务的 \"none\"）",
            ));
            None
        }
    };
    let gateway = match &config.gateway {
        None => None,
        Some(g) => match GatewayDigest::parse(&g.digest) {
            None => {
                problems.push(problem(
                    "[central.gateway] digest",
                    None,
                    &format!("不认识的摘要算法“{}”", g.digest),
                    "设为 \"sha256\" 或 \"sm3\"（按省平台网关的要求）",
                ));
                None
            }
            Some(digest) => {
                let settings = GatewaySettings {
                    service_id: g.service_id.clone(),
                    secret_file: g.secret_file.clone(),
                    digest,
                    headers: GatewayHeaders {
                        service_id: g.header_service_id.clone(),
                        timestamp: g.header_timestamp.clone(),
                        nonce: g.header_nonce.clone(),
                        signature: g.header_signature.clone(),
                    },
                };
                match settings.load() {
                    Ok(s) => Some(s),
                    Err(p) => {
                        problems.push(p);
                        None
                    }
                }
            }
        },
    };
    match (problems.is_empty(), signer) {
        (true, Some(signer)) => Ok(LinkSecurity {
            tls,
            signer,
            gateway,
            device_safe_info: config.device_safe_info.clone(),
        }),
        _ => Err(problems),
    }
}

/// Every problem of `[central]`, without connecting (none when the
/// built-in reference centre is used).
pub fn problems(config: &CentralConfig) -> Vec<LinkProblem> {
    match &config.url {
        None => Vec::new(),
        Some(url) => security(config, url).err().unwrap_or_default(),
    }
}

/// The files `kiosk keygen` writes into `dir`: the private key (0600)
/// and the public key to register with the province.
pub fn keygen(dir: &Path) -> Result<(PathBuf, PathBuf, String), String> {
    let private = dir.join("terminal-sm2.key");
    let public = dir.join("terminal-sm2.pub.pem");
    for path in [&private, &public] {
        if path.exists() {
            return Err(format!(
                "{} 已存在：不覆盖已有的终端密钥（已在省平台登记的密钥被覆盖后本终端将无法签名）；如确需更换，先移走旧文件",
                path.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (private_pem, public_pem, key_id) =
        kiosk_sync::signing::generate_sm2_key().map_err(|e| e.to_string())?;
    write_private(&private, &private_pem)?;
    std::fs::write(&public, public_pem).map_err(|e| format!("{}: {e}", public.display()))?;
    Ok((private, public, key_id))
}

/// Creates a file readable by its owner only, then writes it.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> CentralConfig {
        CentralConfig {
            url: Some(url.into()),
            ..CentralConfig::default()
        }
    }

    #[test]
    fn loopback_http_needs_nothing_and_signs_nothing() {
        let security = security(&config("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        let security = security.unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(security.signer.signtype(), "");
    }

    #[test]
    fn plain_http_elsewhere_is_refused_and_so_is_an_unsigned_link() {
        let p = problems(&config("http://10.1.2.3:8080"));
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p.len(), 2, "{text:#?}");
        assert!(text[0].contains("未加密的 http://"));
        assert!(text[1].contains("key_file"));
    }

    #[test]
    fn keygen_writes_a_private_key_for_the_owner_only_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (private, public, key_id) = keygen(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(key_id.len(), 16);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&private)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600);
        }
        assert!(Sm2Signer::from_file(&private).is_ok());
        let pem = std::fs::read_to_string(&public).unwrap_or_default();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(keygen(dir.path()).is_err());
    }
}
