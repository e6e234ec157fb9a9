//! The document camera (高拍仪) that would photograph a proxy's written
//! authorisation (代办 书面委托). This build has no driver for any camera:
//! a camera configured under `[devices] document_camera` is reported at
//! start (a degraded line of the start-up report) and, when the citizen's
//! helper taps 拍摄委托书, [`Absent::capture`] answers with a message
//! saying so and asking staff to check the paper and tick it instead. No
//! photo is ever made up. A driver implements [`DocumentCamera`].

/// What the proxy step needs from a document camera.
pub trait DocumentCamera: Send + Sync {
    /// Takes one photo of what lies under the camera (an encoded image).
    /// `Err` is the message for the citizen: what happened, what to do.
    fn capture(&self) -> Result<Vec<u8>, String>;
}

/// The configured camera this build cannot drive.
#[derive(Debug, Clone)]
pub struct Absent {
    /// The configured device (not logged: it names hardware only, but
    /// the message does not need it).
    pub device: String,
}

impl DocumentCamera for Absent {
    fn capture(&self) -> Result<Vec<u8>, String> {
        tracing::warn!("document camera configured but this build has no driver for it");
        Err(kiosk_core::tr!(
            "本机的文件拍摄仪（高拍仪）暂不可用，无法拍摄书面委托。请工作人员核验书面委托原件后，勾选“已核验”再确认。"
        )
        .to_string())
    }
}

/// The camera of `[devices] document_camera`, if one is configured.
pub fn configured(device: Option<&str>) -> Option<std::sync::Arc<dyn DocumentCamera>> {
    device.map(|d| {
        std::sync::Arc::new(Absent {
            device: d.to_string(),
        }) as std::sync::Arc<dyn DocumentCamera>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_camera_says_so_and_makes_no_photo() {
        let camera = configured(Some("/dev/video0"));
        let Some(camera) = camera else {
            panic!("configured camera expected")
        };
        let Err(message) = camera.capture() else {
            panic!("no photo without a driver")
        };
        assert!(
            message.contains("高拍仪") && message.contains("勾选"),
            "{message}"
        );
        assert!(configured(None).is_none());
    }
}
