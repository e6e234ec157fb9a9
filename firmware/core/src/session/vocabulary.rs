//! The session's vocabulary: the screens it shows, the taps, events and
//! commands it understands, the documents it prints and the voice prompts
//! it plays. The decisions are in [`super::Session`].

use std::sync::Arc;

use crate::documents::{BusinessSlip, CommitmentLetterCopy, EnrollmentCertificate, FilingReceipt};
use crate::enrollment::{InsuranceType, InsuredPerson};
use crate::identity::Credential;
use crate::region::CertificateLayout;
use crate::{tr, tr_mark};

use super::filing::{FiledRecord, FilingSubmission, Institution, Place};
use super::records::{RecordsCommand, RecordsEvent};
use crate::records::ContributionRecord;

/// Which screen is showing. The id strings are what the UI and the
/// automation API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Invitation to present a credential (and the service guides).
    Home,
    /// A credential was presented; the centre is being asked.
    Querying,
    /// The person's enrollment, with what they can do next.
    Enrollment,
    /// The region's rule does not allow a certificate now: why, and what to do.
    CertificateRefused,
    /// The centre is issuing the certificate.
    Issuing,
    /// The certificate preview, exactly as it will print.
    Certificate,
    /// A document is being printed.
    Printing,
    /// The printer stopped mid-job (paper out, cover open …): what
    /// happened; the job is reprinted whole when the printer is ready.
    PrintPending,
    /// The document is printed: take it (and the card); rate the service.
    Printed,
    /// Leaving after a transaction without a print: rate the service, or
    /// skip (好差评 after every transaction).
    Rate,
    /// At start: print jobs a power cut interrupted, for staff to print or drop.
    RecoverPrints,
    /// Remote-care filing: choose the category.
    FilingCategory,
    /// Remote-care filing: the form.
    FilingForm,
    /// Remote-care filing: pick the province of care.
    FilingProvince,
    /// Remote-care filing: pick the city of care.
    FilingCity,
    /// Remote-care filing: type a phone number on the keypad.
    FilingPhone,
    /// Remote-care filing: pick designated institutions.
    FilingInstitutions,
    /// Remote-care filing: the commitment letter, tick and signature.
    FilingLetter,
    /// Remote-care filing: being submitted.
    FilingSubmitting,
    /// My filings (我的备案): list with change, extend, cancel.
    Filings,
    /// My filings: being loaded, or a change or cancellation being sent.
    FilingsLoading,
    /// My filings: change a filing's area of care or phone (KS13).
    FilingChange,
    /// My filings: extend a dated filing (KS13 with a new end date).
    FilingExtend,
    /// Proxy path (代办), step 1: present the insured person's credential.
    ProxyStart,
    /// Proxy path, step 2: the proxy places their own ID card.
    ProxyId,
    /// Proxy path, step 3: the written authorisation (书面委托) is
    /// photographed (document camera) or checked by staff, who tick it.
    ProxyAuthorisation,
    /// The service guides (办事指南): list and search.
    Guides,
    /// One service guide.
    Guide,
    /// The session is over but the card is still in the reader.
    TakeCard,
    /// Something went wrong: what happened and what to do next.
    Error,
    /// Contribution history 缴费明细 (session/records.rs).
    Contributions,
    /// A records query or signature is under way (the message says which).
    RecordsLoading,
    /// Designated institutions 定点医药机构查询 (session/institutions.rs).
    Institutions,
    /// Registered chronic / special diseases and their designated
    /// institutions (session/chronic.rs).
    Chronic,
    /// Pick the new designated hospital or pharmacy.
    ChronicPick,
    /// Confirm the change.
    ChronicConfirm,
    /// The personal account statement 个人账户明细 (session/ledger.rs).
    Account,
    /// The settlement records 就医结算记录, a page of them.
    Settlements,
    /// One settlement in full, printable.
    Settlement,
    /// The year's resident premium: standard, subsidy, amount due
    /// (session/premium.rs).
    PremiumDue,
    /// The payment QR code, waiting for the phone.
    PremiumPay,
}

impl Screen {
    /// The stable id of the screen.
    pub fn id(self) -> &'static str {
        match self {
            Screen::Home => "home",
            Screen::Querying => "querying",
            Screen::Enrollment => "enrollment",
            Screen::CertificateRefused => "certificate-refused",
            Screen::Issuing => "issuing",
            Screen::Certificate => "certificate",
            Screen::Printing => "printing",
            Screen::PrintPending => "print-pending",
            Screen::Printed => "printed",
            Screen::Rate => "rate",
            Screen::RecoverPrints => "recover-prints",
            Screen::FilingCategory => "filing-category",
            Screen::FilingForm => "filing-form",
            Screen::FilingProvince => "filing-province",
            Screen::FilingCity => "filing-city",
            Screen::FilingPhone => "filing-phone",
            Screen::FilingInstitutions => "filing-institutions",
            Screen::FilingLetter => "filing-letter",
            Screen::FilingSubmitting => "filing-submitting",
            Screen::Filings => "filings",
            Screen::FilingsLoading => "filings-loading",
            Screen::FilingChange => "filing-change",
            Screen::FilingExtend => "filing-extend",
            Screen::ProxyStart => "proxy-start",
            Screen::ProxyId => "proxy-id",
            Screen::ProxyAuthorisation => "proxy-authorisation",
            Screen::Guides => "guides",
            Screen::Guide => "guide",
            Screen::TakeCard => "take-card",
            Screen::Error => "error",
            Screen::Contributions => "contributions",
            Screen::RecordsLoading => "records-loading",
            Screen::Institutions => "institutions",
            Screen::Chronic => "chronic",
            Screen::ChronicPick => "chronic-pick",
            Screen::ChronicConfirm => "chronic-confirm",
            Screen::Account => "account",
            Screen::Settlements => "settlements",
            Screen::Settlement => "settlement",
            Screen::PremiumDue => "premium",
            Screen::PremiumPay => "premium-pay",
        }
    }

    /// Whether the kiosk is working for the citizen (no idle timeout).
    pub(crate) fn busy(self) -> bool {
        matches!(
            self,
            Screen::Querying
                | Screen::Issuing
                | Screen::Printing
                | Screen::FilingSubmitting
                | Screen::FilingsLoading
                | Screen::RecordsLoading
                | Screen::PremiumPay
        )
    }
}

/// A tap on an actionable element, by meaning rather than by label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print the business slip of the enrollment on screen.
    PrintSlip,
    /// End the session and go back to the home screen.
    Home,
    /// Show the full ID number for a few seconds.
    RevealIdNumber,
    /// Ask for the enrollment certificate (参保凭证).
    Certificate,
    /// Show the certificate in another layout.
    ChooseLayout(CertificateLayout),
    /// Print the certificate on screen.
    PrintCertificate,
    /// Print the last document again.
    Reprint,
    /// One step back (certificate → enrollment, guide → guide list).
    Back,
    /// Open the service guides.
    Guides,
    /// Open one service guide by item code.
    OpenGuide(String),
    /// Filter the guide list ("" shows every item).
    SearchGuides(String),
    /// Rate the service: index into the rating levels.
    Rate(usize),
    /// Give a reason with a rating: index into [`RATING_REASONS`], or
    /// `None` to skip.
    RateReason(Option<usize>),
    /// Keep the session going (the idle countdown's button).
    Continue,
    /// Start the proxy path (代办).
    Proxy,
    /// A tap on the written-authorisation step of the proxy path:
    /// `proxy-auth-tick` (staff tick), `proxy-auth-photo` (document
    /// camera), `proxy-auth-confirm`.
    ProxyAuthorisation(String),
    /// Staff: print (`true`) or drop the jobs a power cut interrupted.
    ResolvePrints(bool),
    /// Start a remote-care filing.
    Filing,
    /// Show my filings (我的备案).
    MyFilings,
    /// Leave the rating screen without rating (跳过).
    SkipRating,
    /// An action on one of my filings: `cancel:<no>`, `change:<no>`, `extend:<no>`.
    Filed(String),
    /// A step inside the filing journey (the UI's action id, e.g.
    /// `province:46`, `key:7`, `stroke:x,y;…`).
    FilingStep(String),
    /// A tap of the records journeys (session/records.rs): `contributions`,
    /// `contrib-type:310`, `contrib-year:2025`, `contrib-print`.
    Records(String),
    /// A tap of the chronic / special-disease institution change
    /// (session/chronic.rs): `chronic`, `chronic-change:<i>:hospital`,
    /// `chronic-pick:<code>`, `chronic-next`, `chronic-prev`,
    /// `chronic-submit`.
    Chronic(String),
    /// A tap of the resident premium payment (session/premium.rs):
    /// `premium`, `premium-pay`, `premium-cancel`, `premium-print`.
    Premium(String),
}

impl Action {
    /// Decodes the action id the UI sends.
    pub fn from_id(id: &str) -> Option<Action> {
        if let Some(code) = id.strip_prefix("guide:") {
            return Some(Action::OpenGuide(code.to_string()));
        }
        if let Some(query) = id.strip_prefix("search:") {
            return Some(Action::SearchGuides(query.to_string()));
        }
        if matches!(
            id,
            "contributions" | "institutions" | "account" | "settlements"
        ) || id.starts_with("contrib-")
            || id.starts_with("acct-")
            || id.starts_with("setl")
            || id.starts_with("inst-")
        {
            return Some(Action::Records(id.to_string()));
        }
        if id == "chronic" || id.starts_with("chronic-") {
            return Some(Action::Chronic(id.to_string()));
        }
        if id == "premium" || id.starts_with("premium-") {
            return Some(Action::Premium(id.to_string()));
        }
        if id.starts_with("proxy-auth-") {
            return Some(Action::ProxyAuthorisation(id.to_string()));
        }
        if let Some(n) = id.strip_prefix("rate:") {
            return n.parse().ok().map(Action::Rate);
        }
        if let Some(n) = id.strip_prefix("reason:") {
            return Some(Action::RateReason(n.parse().ok()));
        }
        if [
            "cancel:",
            "change:",
            "extend:",
            "print-filing:",
            "print-letter:",
            "suspend:",
            "resume:",
        ]
        .iter()
        .any(|p| id.starts_with(p))
        {
            return Some(Action::Filed(id.to_string()));
        }
        const FILING_PREFIXES: [&str; 8] = [
            "category:",
            "province:",
            "city:",
            "institution:",
            "key:",
            "address:",
            "stroke:",
            "extend-by:",
        ];
        if FILING_PREFIXES.iter().any(|p| id.starts_with(p))
            || matches!(
                id,
                "filing-area"
                    | "filing-phone1"
                    | "filing-phone2"
                    | "filing-institutions"
                    | "filing-institutions-done"
                    | "filing-next"
                    | "agree"
                    | "sign-clear"
                    | "filing-submit"
                    | "change-submit"
            )
        {
            return Some(Action::FilingStep(id.to_string()));
        }
        match id {
            "print-slip" => Some(Action::PrintSlip),
            "home" => Some(Action::Home),
            "reveal-id" => Some(Action::RevealIdNumber),
            "certificate" => Some(Action::Certificate),
            "layout:simple" => Some(Action::ChooseLayout(CertificateLayout::Simple)),
            "layout:transfer" => Some(Action::ChooseLayout(CertificateLayout::Transfer)),
            "print-certificate" => Some(Action::PrintCertificate),
            "reprint" => Some(Action::Reprint),
            "back" => Some(Action::Back),
            "guides" => Some(Action::Guides),
            "continue" => Some(Action::Continue),
            "proxy" => Some(Action::Proxy),
            "recover-print" => Some(Action::ResolvePrints(true)),
            "recover-drop" => Some(Action::ResolvePrints(false)),
            "filing" => Some(Action::Filing),
            "my-filings" => Some(Action::MyFilings),
            "skip-rating" => Some(Action::SkipRating),
            _ => None,
        }
    }
}

/// Reasons offered after a 一般 / 不满意 rating (optional).
/// Recorded in Chinese; shown through [`tr_str`](crate::texts::tr_str).
pub const RATING_REASONS: [&str; 4] = [
    tr_mark!("等候时间长"),
    tr_mark!("操作不方便"),
    tr_mark!("信息有误"),
    tr_mark!("打印有问题"),
];

/// The rating levels when the region profile names none (好差评, 003).
/// Recorded in Chinese; shown through [`tr_str`](crate::texts::tr_str).
pub const DEFAULT_RATING_LEVELS: [&str; 4] = [
    tr_mark!("非常满意"),
    tr_mark!("满意"),
    tr_mark!("一般"),
    tr_mark!("不满意"),
];

/// A document the kiosk prints.
#[derive(Debug, Clone)]
pub enum Document {
    /// 业务办理单 of an enrollment query.
    Slip(Box<BusinessSlip>),
    /// 参保凭证.
    Certificate(Box<EnrollmentCertificate>),
    /// 异地就医备案回执 and the copy of the signed commitment letter.
    Filing {
        /// The receipt.
        receipt: Box<FilingReceipt>,
        /// The letter copy.
        letter: Box<CommitmentLetterCopy>,
    },
    /// 异地就医备案信息单: one of my filings as the centre holds it (after
    /// a look-up, a change, an extension or a cancellation).
    FilingSlip(Box<FilingReceipt>),
    /// The signed commitment letter reprinted from the centre's archive.
    ArchivedLetter {
        /// The filing it belongs to.
        filing_number: String,
        /// The letter as archived.
        letter: Box<crate::letter::SignedLetter>,
        /// The proxy (代办人) of the session that reprints it, masked.
        proxy: Option<String>,
    },
    /// 参保缴费明细 (one year of one insurance type, signed by the centre).
    ContributionRecord(Box<ContributionRecord>),
    /// 定点医药机构名单 (a short printed list).
    InstitutionList(Box<crate::institutions::InstitutionList>),
    /// 业务办理单 of a chronic / special-disease institution change.
    ChronicSlip(Box<BusinessSlip>),
    /// 个人账户明细 of a range of months.
    AccountStatement(Box<crate::ledger::StatementPrint>),
    /// 就医结算记录单 of one settlement.
    SettlementSlip(Box<crate::ledger::SettlementSlip>),
    /// 城乡居民基本医疗保险缴费凭证 of a payment the centre confirmed.
    PremiumReceipt(Box<BusinessSlip>),
}

impl Document {
    /// What the citizen calls it.
    pub fn label(&self) -> &'static str {
        match self {
            Document::Slip(_) => tr!("业务办理单"),
            Document::Certificate(_) => tr!("参保凭证"),
            Document::Filing { .. } => tr!("备案回执和承诺书"),
            Document::FilingSlip(_) => tr!("备案信息单"),
            Document::ArchivedLetter { .. } => tr!("个人承诺书"),
            Document::ContributionRecord(_) => tr!("参保缴费明细"),
            Document::InstitutionList(_) => tr!("定点医药机构名单"),
            Document::ChronicSlip(_) => tr!("业务办理单"),
            Document::AccountStatement(_) => tr!("个人账户明细"),
            Document::SettlementSlip(_) => tr!("就医结算记录单"),
            Document::PremiumReceipt(_) => tr!("缴费凭证"),
        }
    }

    /// Puts the proxy (代办人, masked as [`Proxy::masked`]) on the paper:
    /// every document printed in a proxy's session carries them (issue
    /// 19 item 7). Printed texts stay Chinese.
    pub fn stamp_proxy(&mut self, masked: &str) {
        let proxy = Some(masked.to_string());
        match self {
            Document::Slip(slip) | Document::ChronicSlip(slip) | Document::PremiumReceipt(slip) => {
                slip.proxy = proxy
            }
            Document::Certificate(cert) => cert.proxy = proxy,
            Document::Filing { receipt, letter } => {
                stamp_notes(&mut receipt.notes, masked);
                letter.proxy = proxy;
            }
            Document::FilingSlip(slip) => stamp_notes(&mut slip.notes, masked),
            Document::ArchivedLetter { proxy: p, .. } => *p = proxy,
            Document::ContributionRecord(record) => record.proxy = proxy,
            Document::InstitutionList(list) => list.proxy = proxy,
            Document::AccountStatement(doc) => doc.proxy = proxy,
            Document::SettlementSlip(doc) => doc.proxy = proxy,
        }
    }

    /// The transaction it completes (for the rating).
    pub fn transaction(&self) -> &'static str {
        match self {
            Document::Slip(_) => "enrollment_query",
            Document::Certificate(_) => "certificate",
            Document::Filing { .. } => "filing",
            Document::FilingSlip(_) => "filing_query",
            Document::ArchivedLetter { .. } => "filing_query",
            Document::ContributionRecord(_) => "contribution_record",
            Document::InstitutionList(_) => "institution_lookup",
            Document::ChronicSlip(_) => "chronic_change",
            Document::AccountStatement(_) => "account_statement",
            Document::SettlementSlip(_) => "settlement_query",
            Document::PremiumReceipt(_) => super::premium::TRANSACTION,
        }
    }
}

/// The proxy line of a receipt's notes, once.
fn stamp_notes(notes: &mut Vec<String>, masked: &str) {
    let line = format!("代办人：{masked}"); // printed: stays Chinese
    if !notes.contains(&line) {
        notes.push(line);
    }
}

/// A voice prompt (played when voice prompts are on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// 请出示社保卡、身份证或医保电子凭证.
    PresentCredential,
    /// 正在查询，请稍候.
    Querying,
    /// 查询完成，请选择要办理的业务.
    ChooseService,
    /// 正在打印，请稍候.
    Printing,
    /// 打印完成，请取走单据.
    TakeDocument,
    /// 请取走您的卡.
    TakeCard,
    /// 操作即将超时.
    IdleWarning,
    /// 暂时无法办理.
    Problem,
    /// 请代办人放置本人身份证.
    ProxyId,
    /// The written authorisation: staff check it (or photograph it).
    ProxyAuthorisation,
    /// 请对本次服务进行评价.
    Rate,
    /// Filing: choose the category.
    FilingCategory,
    /// Filing: the form (area of care, phone).
    FilingForm,
    /// Filing: read, tick and sign the commitment letter.
    FilingLetter,
    /// My filings: the list.
    Filings,
    /// A rule does not allow what was asked: read the screen.
    Refused,
    /// The contribution history is on screen (session/records.rs).
    Contributions,
    /// The designated-institutions lookup is on screen.
    InstitutionSearch,
    /// The registered chronic / special diseases are on screen.
    Chronic,
    /// Pick the new designated institution.
    ChronicPick,
    /// The personal account statement is on screen (session/ledger.rs).
    Account,
    /// The settlement records are on screen.
    Settlements,
    /// The year's resident premium is on screen (session/premium.rs).
    Premium,
    /// The payment QR code is on screen.
    PremiumPay,
}

impl Prompt {
    /// The prompt's id (file name of its recording).
    pub fn id(self) -> &'static str {
        match self {
            Prompt::PresentCredential => "present-credential",
            Prompt::Querying => "querying",
            Prompt::ChooseService => "choose-service",
            Prompt::Printing => "printing",
            Prompt::TakeDocument => "take-document",
            Prompt::TakeCard => "take-card",
            Prompt::IdleWarning => "idle-warning",
            Prompt::Problem => "problem",
            Prompt::ProxyId => "proxy-id",
            Prompt::ProxyAuthorisation => "proxy-authorisation",
            Prompt::Rate => "rate",
            Prompt::FilingCategory => "filing-category",
            Prompt::FilingForm => "filing-form",
            Prompt::FilingLetter => "filing-letter",
            Prompt::Filings => "filings",
            Prompt::Refused => "refused",
            Prompt::Contributions => "contributions",
            Prompt::InstitutionSearch => "institution-search",
            Prompt::Chronic => "chronic",
            Prompt::ChronicPick => "chronic-pick",
            Prompt::Account => "account",
            Prompt::Settlements => "settlements",
            Prompt::Premium => "premium",
            Prompt::PremiumPay => "premium-pay",
        }
    }

    /// What the prompt says.
    pub fn text(self) -> &'static str {
        match self {
            Prompt::PresentCredential => tr!("请插入社保卡，或放置身份证，或出示医保电子凭证"),
            Prompt::Querying => tr!("正在查询，请稍候"),
            Prompt::ChooseService => tr!("查询完成，请选择您要办理的业务"),
            Prompt::Printing => tr!("正在打印，请稍候"),
            Prompt::TakeDocument => tr!("打印完成，请从出纸口取走单据"),
            Prompt::TakeCard => tr!("请取走您的卡，以免遗失"),
            Prompt::IdleWarning => tr!("您还在办理吗？如需继续，请点击继续办理"),
            Prompt::Problem => tr!("暂时无法办理，请查看屏幕提示"),
            Prompt::ProxyId => tr!("请代办人将本人身份证放在感应区"),
            Prompt::ProxyAuthorisation => {
                tr!("请将参保人的书面委托交工作人员核验，核验后勾选确认")
            }
            Prompt::Rate => tr!("请对本次服务进行评价，也可以点击跳过"),
            Prompt::FilingCategory => tr!("请选择您的异地就医备案类别"),
            Prompt::FilingForm => tr!("请选择就医地，并填写联系电话"),
            Prompt::FilingLetter => tr!("请阅读个人承诺书，勾选同意后，在签名框内签名"),
            Prompt::Filings => tr!("这是您的异地就医备案，请选择要办理的事项"),
            Prompt::Refused => tr!("这项业务现在不能办理，请查看屏幕上的说明"),
            Prompt::Contributions => {
                tr!("这是您的缴费明细，点击年份可查看其他年度，标红的月份为未缴费")
            }
            Prompt::InstitutionSearch => {
                tr!("可按地区和类型筛选，或点击字母输入机构名称的拼音首字母")
            }
            Prompt::Chronic => {
                tr!("这是您已认定的门诊慢特病，可以变更定点医院或定点药店")
            }
            Prompt::ChronicPick => tr!("请选择新的定点机构，确认后即时生效"),
            Prompt::Account => {
                tr!("这是您的个人账户明细，可以选择查看近三个月、半年或一年")
            }
            Prompt::Settlements => tr!("这是您近一年的就医结算记录，点击一条可查看详情"),
            Prompt::Premium => tr!("请核对缴费年度和应缴金额，确认后点击生成缴费二维码"),
            Prompt::PremiumPay => {
                tr!("请用手机微信、支付宝或医保应用扫描屏幕上的二维码完成支付")
            }
        }
    }

    /// Every prompt.
    pub const ALL: [Prompt; 24] = [
        Prompt::PresentCredential,
        Prompt::Querying,
        Prompt::ChooseService,
        Prompt::Printing,
        Prompt::TakeDocument,
        Prompt::TakeCard,
        Prompt::IdleWarning,
        Prompt::Problem,
        Prompt::ProxyId,
        Prompt::ProxyAuthorisation,
        Prompt::Rate,
        Prompt::FilingCategory,
        Prompt::FilingForm,
        Prompt::FilingLetter,
        Prompt::Filings,
        Prompt::Refused,
        Prompt::Contributions,
        Prompt::InstitutionSearch,
        Prompt::Chronic,
        Prompt::ChronicPick,
        Prompt::Account,
        Prompt::Settlements,
        Prompt::Premium,
        Prompt::PremiumPay,
    ];
}

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A device read a credential.
    CredentialPresented(Credential),
    /// A device failed to read a credential; the message says what to do.
    CredentialReadFailed {
        /// Chinese message for the citizen.
        message: String,
    },
    /// The physical credential (ID card, social security card) was taken away.
    CredentialRemoved,
    /// The centre answered a person query.
    PersonLoaded {
        /// The request number from [`Command::QueryPerson`].
        request: u64,
        /// The person.
        person: Box<InsuredPerson>,
    },
    /// The person query failed.
    PersonFailed {
        /// The request number from [`Command::QueryPerson`].
        request: u64,
        /// Chinese message for the citizen.
        message: String,
    },
    /// The centre issued a certificate; `preview` is a PNG of the paper.
    CertificateIssued {
        /// The request number from [`Command::IssueCertificate`].
        request: u64,
        /// The certificate.
        certificate: Box<EnrollmentCertificate>,
        /// PNG of the certificate as the printer will print it.
        preview: Arc<Vec<u8>>,
    },
    /// The cities of a province, from the synced area codes.
    CitiesLoaded {
        /// The province code.
        province: String,
        /// Its cities.
        cities: Vec<Place>,
    },
    /// The designated institutions of an area, from the synced list.
    InstitutionsLoaded {
        /// The area code.
        area: String,
        /// The institutions.
        institutions: Vec<Institution>,
    },
    /// The filing is safely in the outbox; `filing_number` is the centre's
    /// number when it already answered.
    FilingQueued {
        /// The kiosk's tracking number.
        tracking_no: String,
        /// The centre's filing number, if it answered in time.
        filing_number: Option<String>,
    },
    /// My filings, from the centre and the outbox.
    FilingsLoaded {
        /// The request number from [`Command::QueryFilings`].
        request: u64,
        /// Newest first.
        records: Vec<FiledRecord>,
    },
    /// My filings could not be loaded.
    FilingsFailed {
        /// The request number.
        request: u64,
        /// Chinese message for the citizen.
        message: String,
    },
    /// The archived commitment letter of a filing, or why there is none.
    LetterLoaded {
        /// The request number.
        request: u64,
        /// The filing number.
        number: String,
        /// The letter, or the message for the citizen.
        letter: Result<Box<crate::letter::SignedLetter>, String>,
    },
    /// A cancellation was sent (or refused).
    FilingUpdated {
        /// Result: the message for the citizen either way.
        message: String,
    },
    /// The centre refused the filing (final: the message says why and
    /// what to do).
    FilingFailed {
        /// Chinese message for the citizen.
        message: String,
    },
    /// The filing could not be written to the outbox (a full store, say):
    /// nothing was kept or sent, and the citizen's signed form stays on
    /// the letter screen for another try.
    FilingNotSaved {
        /// Chinese message for the citizen.
        message: String,
    },
    /// The certificate could not be issued.
    CertificateFailed {
        /// The request number from [`Command::IssueCertificate`].
        request: u64,
        /// Chinese message for the citizen.
        message: String,
    },
    /// The citizen tapped something the session decides.
    Action(Action),
    /// The citizen touched the screen for something the UI handled by
    /// itself (paging, elderly mode): it keeps the session alive.
    Touched,
    /// The print job finished.
    PrintFinished,
    /// The printer stopped mid-job; the job waits for it (message: what
    /// happened and what to do).
    PrintPending {
        /// Chinese message for the citizen.
        message: String,
    },
    /// At start: jobs a power cut interrupted (their document labels).
    PrintsRecovered {
        /// What each job prints.
        labels: Vec<String>,
    },
    /// The recovered jobs were printed or dropped.
    PrintsResolved,
    /// The print job failed.
    PrintFailed {
        /// Chinese message for the citizen.
        message: String,
    },
    /// The document camera answered (proxy path, written authorisation):
    /// the photo, or why there is none (the message says what to do).
    AuthorisationPhoto(Result<Arc<Vec<u8>>, String>),
    /// Time passed (drives timeouts).
    Tick,
    /// An answer for the records journeys (session/records.rs).
    Records(RecordsEvent),
    /// An answer for the chronic / special-disease change (session/chronic.rs).
    Chronic(super::chronic::ChronicEvent),
    /// An answer for the resident premium payment (session/premium.rs).
    Premium(super::premium::PremiumEvent),
    /// Staff changed the kiosk's settings remotely (session/settings.rs).
    Settings(Box<super::settings::Settings>),
}

/// Something the edges must do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Ask the centre who this is.
    QueryPerson {
        /// Request number; the answer must carry it back.
        request: u64,
        /// The credential.
        credential: Credential,
    },
    /// Ask the centre for a certificate number and signature, then build
    /// the certificate and its preview.
    IssueCertificate {
        /// Request number; the answer must carry it back.
        request: u64,
        /// 人员编号.
        person_number: String,
        /// The insurance type the certificate covers.
        insurance_type: InsuranceType,
        /// The layout.
        layout: CertificateLayout,
    },
    /// Print a document.
    Print(Box<Document>),
    /// Look up the cities of a province (synced area codes).
    LoadCities {
        /// Two-digit province code.
        province: String,
    },
    /// Look up the designated institutions of an area (synced list).
    LoadInstitutions {
        /// Area code.
        area: String,
    },
    /// Write the filing to the outbox and send it.
    SubmitFiling(Box<FilingSubmission>),
    /// Load the person's filings (centre and outbox).
    QueryFilings {
        /// Request number; the answer must carry it back.
        request: u64,
        /// 人员编号.
        person_number: String,
    },
    /// Cancel a filing (outbox first).
    CancelFiling {
        /// 人员编号.
        person_number: String,
        /// The filing number.
        number: String,
    },
    /// Fetch the archived commitment letter of a filing (KS15) to reprint it.
    LoadLetter {
        /// Request number (answers to an older one are dropped).
        request: u64,
        /// 人员编号.
        person_number: String,
        /// The filing number.
        number: String,
    },
    /// Suspend (or resume) a filing (KS16, outbox first).
    SuspendFiling {
        /// 人员编号.
        person_number: String,
        /// The filing number.
        number: String,
        /// Resume a suspended filing instead.
        resume: bool,
    },
    /// Change a filing (KS13): only the fields given change.
    ChangeFiling {
        /// 人员编号.
        person_number: String,
        /// The filing number.
        number: String,
        /// New area of care.
        area: Option<Place>,
        /// New contact phone.
        phone: Option<String>,
        /// New end date (an extension).
        end: Option<chrono::NaiveDate>,
    },
    /// Queue a satisfaction rating for the centre.
    SubmitRating {
        /// 人员编号 (may be empty when no person was identified).
        person_number: String,
        /// What was rated (`enrollment_query`, `certificate`).
        transaction: &'static str,
        /// The level's label (非常满意 …).
        level: String,
        /// The level on the centre's scale: 5 (best) to 1.
        score: u8,
        /// The optional reason.
        reason: Option<String>,
    },
    /// Play a voice prompt.
    Say(Prompt),
    /// The session ended while its print job waited for the printer:
    /// give the job up (never print for nobody).
    AbandonPrint,
    /// Print (`true`) or drop the jobs recovered at start.
    ResolvePrints(bool),
    /// Record that a proxy acts for the insured person (both identities,
    /// kept encrypted in the store's outbox as an audit record).
    RecordProxy {
        /// The insured person's 人员编号.
        person_number: String,
        /// The proxy's document.
        proxy: Proxy,
        /// How the written authorisation was captured.
        authorisation: Authorisation,
    },
    /// Photograph the written authorisation with the document camera.
    CaptureAuthorisation,
    /// Ask the centre for a record (session/records.rs).
    Records(RecordsCommand),
    /// Query or change a chronic / special disease (session/chronic.rs).
    Chronic(super::chronic::ChronicCommand),
    /// Resident premium payment: due, order, poll, cancel, give up
    /// (session/premium.rs).
    Premium(super::premium::PremiumCommand),
}

/// The proxy (代办人) of a session: their own identity document.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Name on the document.
    pub name: String,
    /// Document number.
    pub id_number: String,
}

impl Proxy {
    /// How screens and papers show the proxy: masked name and masked
    /// document number, e.g. `王**（220102********1234）`.
    pub fn masked(&self) -> String {
        format!(
            "{}（{}）",
            crate::identity::mask_name(&self.name),
            crate::identity::mask_number(&self.id_number)
        )
    }
}

/// How the proxy's written authorisation (书面委托, the region's proxy
/// rule) was captured: a photo from the document camera, or the staff's
/// tick after checking the paper. Recorded in the sealed audit upload and
/// sent with a filing.
#[derive(Clone, PartialEq, Eq)]
pub enum Authorisation {
    /// Staff checked the paper and ticked 已核验 on the screen.
    StaffConfirmed {
        /// When they confirmed (local time).
        at: chrono::NaiveDateTime,
    },
    /// The document camera photographed it.
    Photo {
        /// The image as the camera gave it.
        image: Arc<Vec<u8>>,
        /// Its SHA-256, hex.
        sha256: String,
        /// When it was taken (local time).
        at: chrono::NaiveDateTime,
    },
}

impl Authorisation {
    /// The code recorded and sent (`staff_confirmed`, `photo`).
    pub fn code(&self) -> &'static str {
        match self {
            Authorisation::StaffConfirmed { .. } => "staff_confirmed",
            Authorisation::Photo { .. } => "photo",
        }
    }

    /// When it was captured.
    pub fn at(&self) -> chrono::NaiveDateTime {
        match self {
            Authorisation::StaffConfirmed { at } | Authorisation::Photo { at, .. } => *at,
        }
    }

    /// What goes on the wire with a filing: `staff_confirmed@<time>` or
    /// `photo:<sha256>@<time>`.
    pub fn wire(&self) -> String {
        let at = self.at().format("%Y-%m-%d %H:%M:%S");
        match self {
            Authorisation::StaffConfirmed { .. } => format!("staff_confirmed@{at}"),
            Authorisation::Photo { sha256, .. } => format!("photo:{sha256}@{at}"),
        }
    }
}

impl std::fmt::Debug for Authorisation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Authorisation({})", self.code())
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Proxy({})",
            crate::identity::mask_number(&self.id_number)
        )
    }
}
