//! The proxy path's written authorisation (代办 书面委托): after the
//! insured person's credential and the proxy's own ID card, the paper that
//! authorises the proxy is captured before anything is done for the
//! insured person. With a document camera configured the kiosk offers to
//! photograph it; without one (or when the camera fails) staff check the
//! paper and tick 已核验 on the screen. Either way the capture goes into
//! [`Command::RecordProxy`] (the sealed audit upload) and into a filing
//! the proxy submits; the region's own proxy rule is shown on the step.

use std::sync::Arc;

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use super::{Authorisation, Command, Prompt, Screen, Session};
use crate::tr;

impl Session {
    /// Whether a document camera is configured for the written
    /// authorisation.
    pub fn document_camera(&self) -> bool {
        self.document_camera
    }

    /// Whether staff ticked 已核验 on the authorisation step.
    pub fn proxy_ticked(&self) -> bool {
        self.proxy_ticked
    }

    /// How the written authorisation of this session's proxy was captured.
    pub fn authorisation(&self) -> Option<&Authorisation> {
        self.authorisation.as_ref()
    }

    /// A tap on the authorisation step.
    pub(super) fn authorisation_action(&mut self, id: &str, wall: NaiveDateTime) -> Vec<Command> {
        if self.screen != Screen::ProxyAuthorisation {
            return Vec::new();
        }
        match id {
            "proxy-auth-tick" => {
                self.proxy_ticked = !self.proxy_ticked;
                self.note.clear();
                Vec::new()
            }
            "proxy-auth-photo" if self.document_camera => {
                self.note = tr!("正在拍摄书面委托，请保持委托书平放不动").into();
                vec![Command::CaptureAuthorisation]
            }
            "proxy-auth-confirm" if self.proxy_ticked => {
                self.authorised(Authorisation::StaffConfirmed { at: wall })
            }
            "proxy-auth-confirm" => {
                self.note =
                    tr!("请工作人员核验参保人的书面委托和代办人身份证后，勾选“已核验”再确认。")
                        .into();
                vec![Command::Say(Prompt::ProxyAuthorisation)]
            }
            _ => Vec::new(),
        }
    }

    /// The document camera answered.
    pub(super) fn authorisation_photo(
        &mut self,
        result: Result<Arc<Vec<u8>>, String>,
        wall: NaiveDateTime,
    ) -> Vec<Command> {
        if self.screen != Screen::ProxyAuthorisation {
            return Vec::new();
        }
        match result {
            Ok(image) if !image.is_empty() => {
                let sha256 = Sha256::digest(image.as_slice())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                self.authorised(Authorisation::Photo {
                    image,
                    sha256,
                    at: wall,
                })
            }
            Ok(_) => {
                self.note =
                    tr!("没有拍到书面委托。请重新拍摄，或由工作人员核验后勾选确认。").into();
                vec![Command::Say(Prompt::Problem)]
            }
            Err(message) => {
                self.note = message;
                vec![Command::Say(Prompt::Problem)]
            }
        }
    }

    /// The authorisation is captured: record the proxy, then serve the
    /// insured person.
    fn authorised(&mut self, authorisation: Authorisation) -> Vec<Command> {
        let (Some(person), Some(proxy)) = (&self.person, &self.proxy) else {
            return Vec::new();
        };
        let command = Command::RecordProxy {
            person_number: person.person_number.clone(),
            proxy: proxy.clone(),
            authorisation: authorisation.clone(),
        };
        self.authorisation = Some(authorisation);
        self.note.clear();
        self.screen = Screen::Enrollment;
        self.transaction_done(super::rating::transaction::ENROLLMENT_QUERY);
        vec![command, Command::Say(Prompt::ChooseService)]
    }
}
