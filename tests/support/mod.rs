//! Starting the real `kiosk` binary, headless, and driving it through its
//! automation API, as a field tester would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any wait in these tests may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running kiosk, killed on drop.
pub struct Kiosk {
    child: Child,
    /// Base URL of the automation API.
    pub api: String,
    /// Everything the kiosk printed on stdout up to the API line.
    pub stdout: Vec<String>,
    /// What it prints on stdout after the API line, read as it comes (so
    /// the kiosk never blocks on a full pipe); see [`Kiosk::wait_for_stdout`].
    later: std::sync::Mutex<mpsc::Receiver<String>>,
    stderr_path: PathBuf,
    dir: tempfile::TempDir,
    http: reqwest::blocking::Client,
}

impl Kiosk {
    /// Starts `kiosk` headless with a free automation port and the given
    /// configuration file text (empty: simulation mode). Each kiosk has its
    /// own temporary directory, and in it its own store (the default store
    /// directory, `$XDG_DATA_HOME/kiosk/`, points there), so tests never
    /// share state.
    pub fn start(config: &str) -> Kiosk {
        Kiosk::start_in(tempfile::tempdir().unwrap(), config)
    }

    /// As [`Kiosk::start`], in a directory of an earlier kiosk (see
    /// [`Kiosk::stop`]): the same store, so a restart sees what the
    /// earlier run kept.
    pub fn start_in(dir: tempfile::TempDir, config: &str) -> Kiosk {
        Kiosk::start_with(dir, config, &[], None)
    }

    /// As [`Kiosk::start_in`], with extra environment variables and the
    /// automation API's token (sent with every request). A `config` that
    /// says `[simulation]` itself is used as it is (`enabled = false`:
    /// production mode).
    pub fn start_with(
        dir: tempfile::TempDir,
        config: &str,
        env: &[(&str, &str)],
        token: Option<&str>,
    ) -> Kiosk {
        kiosk_sync::link::install_crypto_provider();
        let config_path = dir.path().join("kiosk.toml");
        // A configuration file means production mode; these kiosks
        // simulate what their file leaves out.
        let config = if config.contains("[simulation]") {
            config.to_string()
        } else {
            format!("{config}\n[simulation]\nenabled = true\n")
        };
        std::fs::write(&config_path, config).unwrap();
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = kiosk_command(dir.path(), env, stderr)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start kiosk");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + WAIT;
        let mut lines = Vec::new();
        let api = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("kiosk did not print its API address: {lines:?}"));
            lines.push(line.clone());
            if let Some(addr) = line.strip_prefix("kiosk: automation API: ") {
                break addr.trim().to_string();
            }
        };
        Kiosk {
            child,
            api,
            stdout: lines,
            later: std::sync::Mutex::new(rx),
            stderr_path,
            dir,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .default_headers(
                    token
                        .map(|t| {
                            let mut headers = reqwest::header::HeaderMap::new();
                            headers.insert(
                                reqwest::header::AUTHORIZATION,
                                format!("Bearer {t}").parse().unwrap(),
                            );
                            headers
                        })
                        .unwrap_or_default(),
                )
                .build()
                .unwrap(),
        }
    }

    /// Sends SIGTERM (what `systemctl stop` does) and waits (bounded) for
    /// the kiosk to exit: its exit code, how long it took, and its
    /// directory for [`Kiosk::start_in`].
    pub fn terminate(mut self) -> (Option<i32>, Duration, tempfile::TempDir) {
        let pid = self.child.id().to_string();
        let sent = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid}");
        let code = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status.code();
            }
            assert!(
                sent.elapsed() < WAIT,
                "the kiosk did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let took = sent.elapsed();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        drop(self);
        (code, took, dir)
    }

    /// Kills the kiosk (as a power cut would) and hands back its
    /// directory, store included, for [`Kiosk::start_in`].
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        drop(self);
        dir
    }

    /// Runs `kiosk sync now` against this kiosk until nothing is pending,
    /// at most `cycles` times; whether the outbox drained.
    pub fn drain_outbox(&self, cycles: usize) -> bool {
        (0..cycles).any(|_| {
            self.cli(&["sync", "now", "--api", &self.api])
                .stdout
                .contains(" 0 still pending")
        })
    }

    /// The kiosk's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for a stdout line after the API line that starts
    /// with `prefix`; the rest of that line.
    pub fn wait_for_stdout(&self, prefix: &str) -> String {
        let later = self.later.lock().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = later
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the kiosk did not print {prefix:?}"));
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_string();
            }
        }
    }

    /// The kiosk's own cold-start figure: process start to its home
    /// screen, in ms ("kiosk: home screen ready in N ms").
    pub fn ready_ms(&self) -> u64 {
        let rest = self.wait_for_stdout("kiosk: home screen ready in ");
        rest.trim().trim_end_matches(" ms").parse().unwrap_or(0)
    }

    /// Proportional set size of the kiosk process, KiB.
    pub fn pss_kib(&self) -> u64 {
        proc_field(self.pid(), "smaps_rollup", "Pss:")
    }

    /// The store file of this kiosk (the default one).
    pub fn store_path(&self) -> PathBuf {
        self.dir.path().join("data").join("kiosk").join("kiosk.db")
    }

    /// Runs `kiosk ARGS --config <this kiosk's config>` as a separate
    /// process, with this kiosk's environment, and waits (bounded) for it.
    pub fn cli(&self, args: &[&str]) -> CliOutput {
        run_cli(self.dir.path(), args)
    }

    /// The kiosk's log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// The temporary directory of this kiosk.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// GET a JSON document with its HTTP status.
    pub fn get_with_status(&self, path: &str) -> (u16, Value) {
        let response = self.http.get(format!("{}{path}", self.api)).send().unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap())
    }

    /// GET a JSON document.
    pub fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.api))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// GET raw bytes.
    pub fn get_bytes(&self, path: &str) -> Vec<u8> {
        self.http
            .get(format!("{}{path}", self.api))
            .send()
            .unwrap()
            .bytes()
            .unwrap()
            .to_vec()
    }

    /// POST JSON; returns (status, body).
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .json(&body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    /// DELETE.
    pub fn delete(&self, path: &str) -> Value {
        self.http
            .delete(format!("{}{path}", self.api))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// The screen as the automation API reports it.
    pub fn screen(&self) -> Value {
        self.get("/v1/screen")
    }

    /// Waits (bounded) until the screen id is `id`; returns that screen.
    pub fn wait_for_screen(&self, id: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if screen["screen"] == id {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "screen {id:?} did not appear; last screen: {screen}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (bounded) until the screen id (`GET /v1/screen/id`, cheaper
    /// than the whole screen) is `id`, asking every `poll`; the moment it
    /// was seen (the benches time screens with it).
    pub fn wait_for_screen_id(&self, id: &str, poll: Duration) -> Instant {
        self.wait_for_screen_id_among(&[id], poll).1
    }

    /// As [`Kiosk::wait_for_screen_id`], until the screen is one of `ids`:
    /// which one, and when it was seen.
    pub fn wait_for_screen_id_among(&self, ids: &[&str], poll: Duration) -> (String, Instant) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.get("/v1/screen/id");
            if let Some(id) = ids.iter().find(|id| now["screen"] == **id) {
                return (id.to_string(), Instant::now());
            }
            assert!(
                Instant::now() < deadline,
                "none of the screens {ids:?} appeared; still {now}"
            );
            std::thread::sleep(poll);
        }
    }

    /// Waits (bounded) until `done` holds for the screen; returns that
    /// screen.
    pub fn wait_until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not happen; last screen: {screen}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (bounded) until `needle` is among the visible texts; returns
    /// that screen.
    pub fn wait_for_text(&self, needle: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if texts(&screen).contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} did not appear; last screen: {screen}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (bounded) until an enabled element labelled `label` can be
    /// tapped; returns that screen.
    pub fn wait_for_action(&self, label: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            let found = screen["actions"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["label"] == label && x["enabled"] == true)
            });
            if found {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{label:?} not tappable; last screen: {screen}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Taps by accessible label; panics unless the kiosk accepted the tap.
    pub fn tap(&self, label: &str) {
        let (status, body) = self.post("/v1/tap", json!({ "label": label }));
        assert_eq!(status, 200, "tap {label:?}: {body}");
    }

    /// Places a card on the simulated ID card reader.
    pub fn place_id_card(&self, card: Value) {
        let (status, body) = self.post("/v1/sim/idcard", card);
        assert_eq!(status, 200, "place card: {body}");
    }

    /// Takes the card away.
    pub fn remove_id_card(&self) {
        self.delete("/v1/sim/idcard");
    }

    /// Waits (bounded) until `needle` appears at least `count` times in the log.
    pub fn wait_for_log(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + WAIT;
        while self.logs().matches(needle).count() < count {
            assert!(
                Instant::now() < deadline,
                "{needle:?} not logged {count} times"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (bounded) until `GET /v1/health` reports `device` (e.g.
    /// `id_card_reader`, `qr_scanner`) in `state` (`ok`, `disconnected`);
    /// returns that device's entry.
    pub fn wait_for_device(&self, device: &str, state: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let health = self.get("/v1/health");
            if health[device]["state"] == state {
                return health[device].clone();
            }
            assert!(
                Instant::now() < deadline,
                "{device} not {state:?}: {health}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Waits (bounded) until the sync engine has pulled the reference
    /// dataset `name` (`GET /v1/sync/status`).
    pub fn wait_for_dataset(&self, name: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let status = self.get("/v1/sync/status");
            let pulled = status["datasets"].as_array().is_some_and(|sets| {
                sets.iter()
                    .any(|d| d["name"] == name && !d["pulled_at"].is_null())
            });
            if pulled {
                return;
            }
            assert!(Instant::now() < deadline, "{name} not pulled: {status}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Takes the card away and waits until the reader has noticed.
    pub fn remove_id_card_and_wait(&self) {
        let before = self.logs().matches("credential removed").count();
        self.remove_id_card();
        self.wait_for_log("credential removed", before + 1);
    }

    /// Waits (bounded) until the simulated printer has `n` receipts.
    pub fn wait_for_receipts(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        loop {
            let list = self.get("/v1/sim/receipts");
            let receipts = list.as_array().cloned().unwrap_or_default();
            if receipts.len() >= n {
                return receipts;
            }
            assert!(Instant::now() < deadline, "no receipt {n}: {list}");
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first number after `key` in `/proc/PID/<file>` (0 when absent).
pub fn proc_field(pid: u32, file: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A loopback port nobody listens on.
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `kiosk` binary the tests start: this build's, or `KIOSK_BIN` (a
/// long campaign runs a copy, so that rebuilding the tree meanwhile does
/// not change the program under test halfway).
pub fn kiosk_binary() -> PathBuf {
    std::env::var_os("KIOSK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kiosk")))
}

/// The command [`Kiosk::start_with`] runs in `dir` (its `kiosk.toml`,
/// its store under `dir/data`, receipts in `dir/receipts`), stderr to
/// `stderr`; stdout is left to the caller.
pub fn kiosk_command(dir: &Path, env: &[(&str, &str)], stderr: std::fs::File) -> Command {
    let mut command = Command::new(kiosk_binary());
    command
        .arg("--config")
        .arg(dir.join("kiosk.toml"))
        .arg("--headless")
        .arg("--automation-port")
        .arg("0")
        .arg("--receipts-dir")
        .arg(dir.join("receipts"))
        .env("KIOSK_LOG", "debug")
        .env("XDG_DATA_HOME", dir.join("data"))
        .envs(env.iter().copied())
        .current_dir(dir)
        .stderr(stderr);
    command
}

/// All visible texts of a screen, joined.
pub fn texts(screen: &Value) -> String {
    screen["texts"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The resident ID card of a demo person (data/demo/people.toml).
/// 张德福: resident scheme (data/demo/people.toml), 2027 standard ¥400.00
/// with a ¥200.00 subsidy (低收入家庭60周岁以上老年人).
pub fn zhang_defu_card() -> Value {
    json!({
        "kind": "resident", "name": "张德福", "sex": "1", "nation": 10,
        "birth": "19520311", "address": "吉林省长春市朝阳区西安大路808号",
        "id_number": "220104195203110010", "issuer": "长春市公安局朝阳分局",
        "valid_from": "20100120", "valid_to": "长期"
    })
}

pub fn li_xiulan_card() -> Value {
    json!({
        "kind": "resident", "name": "李秀兰", "sex": "2", "nation": 1,
        "birth": "19850823", "address": "吉林省吉林市龙潭区遵义东路56号",
        "id_number": "220203198508232046", "issuer": "吉林市公安局龙潭分局",
        "valid_from": "20190311", "valid_to": "20390311"
    })
}

/// The resident ID card of 欧阳𡒄: a name with a CJK Extension B character
/// outside GBK and outside Noto Sans CJK (data/demo/people.toml).
pub fn ouyang_card() -> Value {
    json!({
        "kind": "resident", "name": "欧阳𡒄", "sex": "2", "nation": 1,
        "birth": "19920315", "address": "吉林省长春市朝阳区西安大路808号",
        "id_number": "220104199203152024", "issuer": "长春市公安局朝阳分局",
        "valid_from": "20160420", "valid_to": "20360420"
    })
}

/// A resident ID card with a valid number that no demo person has.
pub fn stranger_card() -> Value {
    json!({
        "kind": "resident", "name": "测试样例", "sex": "2", "nation": 1,
        "birth": "19491231", "address": "北京市西城区演示路1号",
        "id_number": "11010519491231002X", "issuer": "北京市公安局西城分局",
        "valid_from": "20200101", "valid_to": "长期"
    })
}

/// The resident ID card of 杨丽华: Yunnan employee, coverage suspended
/// since 2026-09-01 (data/demo/people.toml).
pub fn yang_lihua_card() -> Value {
    json!({
        "kind": "resident", "name": "杨丽华", "sex": "2", "nation": 7,
        "birth": "19880909", "address": "云南省昆明市五华区青年路201号",
        "id_number": "530102198809094522", "issuer": "昆明市公安局五华分局",
        "valid_from": "20180214", "valid_to": "20380214"
    })
}

/// The resident ID card of 段志明: Yunnan retiree with a long-term filing
/// from 2025-03-01 (unlocked: it can be changed or cancelled).
pub fn duan_zhiming_card() -> Value {
    json!({
        "kind": "resident", "name": "段志明", "sex": "1", "nation": 14,
        "birth": "19550402", "address": "云南省昆明市官渡区关上中路66号",
        "id_number": "530111195504022117", "issuer": "昆明市公安局官渡分局",
        "valid_from": "20111130", "valid_to": "长期"
    })
}

/// The resident ID card of 刘海燕: Jilin employee (coverage suspended)
/// with a temporary-trip filing ending 2027-03-31 (it can be extended).
pub fn liu_haiyan_card() -> Value {
    json!({
        "kind": "resident", "name": "刘海燕", "sex": "2", "nation": 1,
        "birth": "19781230", "address": "吉林省四平市铁西区英雄大路12号",
        "id_number": "220302197812300087", "issuer": "四平市公安局铁西分局",
        "valid_from": "20140818", "valid_to": "20340818"
    })
}

/// On the filing form: Haikou, 海南省人民医院, phone 13812345678, the
/// address, then the commitment letter ticked, signed and submitted.
pub fn fill_filing_form_and_sign(kiosk: &Kiosk) {
    kiosk.tap("就医地");
    kiosk.wait_for_screen("filing-province");
    kiosk.tap("海南省");
    kiosk.wait_for_screen("filing-city");
    // The cities come from the synced area codes.
    kiosk.wait_for_action("海口市");
    kiosk.tap("海口市");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap("就医机构");
    kiosk.wait_for_screen("filing-institutions");
    kiosk.wait_for_action("海南省人民医院");
    kiosk.tap("海南省人民医院");
    kiosk.tap("完成");
    kiosk.wait_for_screen("filing-form");
    kiosk.tap("联系电话1");
    kiosk.wait_for_screen("filing-phone");
    for d in "13812345678".chars() {
        kiosk.tap(&d.to_string());
    }
    kiosk.wait_for_text("13812345678");
    kiosk.tap("确定");
    kiosk.wait_for_screen("filing-form");
    kiosk.wait_for_text("13812345678");
    kiosk.wait_for_text("海南省海口市");
    let (status, body) = kiosk.post(
        "/v1/input",
        serde_json::json!({ "label": "异地联系地址", "text": "海口市美兰区演示路1号" }),
    );
    assert_eq!(status, 200, "{body}");
    kiosk.wait_for_text("海口市美兰区演示路1号");
    kiosk.tap("下一步：阅读承诺书");
    let letter = kiosk.wait_for_screen("filing-letter");
    assert!(texts(&letter).contains("基本医疗保险异地就医备案个人承诺书"));
    kiosk.tap("☐ 本人已阅读并承诺以上内容");
    kiosk.wait_for_action("☑ 本人已阅读并承诺以上内容");
    let (status, body) = kiosk.post(
        "/v1/draw",
        serde_json::json!({
            "label": "签名框",
            "points": [[120, 200], [200, 120], [280, 240], [360, 110], [440, 230], [560, 150]]
        }),
    );
    assert_eq!(status, 200, "{body}");
    // The submit button enables once the stroke reached the session.
    kiosk.wait_for_action("提交备案");
    kiosk.tap("提交备案");
}

/// The labels of the actionable elements of a screen.
pub fn actions(screen: &Value) -> Vec<String> {
    screen["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["label"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What a `kiosk` command printed.
#[derive(Debug)]
pub struct CliOutput {
    /// Exit code.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `kiosk ARGS --config DIR/kiosk.toml` with `XDG_DATA_HOME` in `dir`
/// (the store of a kiosk started there), killed after [`WAIT`].
pub fn run_cli(dir: &Path, args: &[&str]) -> CliOutput {
    let out_path = dir.join("cli-stdout.txt");
    let err_path = dir.join("cli-stderr.txt");
    let mut child = Command::new(kiosk_binary())
        .args(args)
        .arg("--config")
        .arg(dir.join("kiosk.toml"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("KIOSK_LOG", "warn")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start kiosk cli");
    let deadline = Instant::now() + WAIT + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kiosk {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    CliOutput {
        code: status.code(),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    }
}

/// On the filing-category screen: a long-term residence filing to Haikou
/// (海南省人民医院, phone 13812345678, an address typed in), the commitment
/// letter ticked and signed, submitted.
pub fn submit_long_term_filing(kiosk: &Kiosk) {
    kiosk.tap("异地长期居住人员");
    kiosk.wait_for_screen("filing-form");
    fill_filing_form_and_sign(kiosk);
}
