//! The real CCID pipe on libusb (`rusb`): finds the reader by interface
//! class 0B (smart card) or by VID:PID, claims that interface (detaching a
//! kernel driver if one holds it) and uses its bulk OUT, bulk IN and
//! interrupt IN endpoints.
//!
//! The process needs permission on the USB device node (a udev rule for
//! the reader, or membership of the group that owns it); `pcscd` must not
//! hold the reader at the same time.

use std::fmt;
use std::time::Duration;

use rusb::{Direction, GlobalContext, TransferType};

use super::ccid::BulkPipe;
use crate::Error;
use crate::error::Device;

/// USB interface class of CCID smart-card readers.
pub const CLASS_SMART_CARD: u8 = 0x0B;

/// Which reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReaderSelector {
    /// The first device with a class-0B interface.
    #[default]
    AnyCcid,
    /// This vendor and product (its class-0B interface, or the first
    /// interface with bulk IN/OUT endpoints for readers with a vendor class).
    VidPid(u16, u16),
}

impl ReaderSelector {
    /// Parses `VID:PID` in hex (e.g. `076b:3031`).
    pub fn parse(text: &str) -> Option<ReaderSelector> {
        let (vid, pid) = text.split_once(':')?;
        Some(ReaderSelector::VidPid(
            u16::from_str_radix(vid.trim(), 16).ok()?,
            u16::from_str_radix(pid.trim(), 16).ok()?,
        ))
    }
}

/// A USB CCID reader found on the bus (no handle open yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReader {
    /// Vendor id.
    pub vid: u16,
    /// Product id.
    pub pid: u16,
    /// Bus number.
    pub bus: u8,
    /// Device address on the bus.
    pub address: u8,
    /// The interface number used.
    pub interface: u8,
}

/// Lists the USB smart-card readers that match `selector`.
pub fn list_readers(selector: ReaderSelector) -> Result<Vec<FoundReader>, Error> {
    let devices = rusb::devices().map_err(usb_error)?;
    let mut found = Vec::new();
    for device in devices.iter() {
        if let Some((reader, _)) = describe(&device, selector) {
            found.push(reader);
        }
    }
    Ok(found)
}

/// Endpoints of the claimed interface.
#[derive(Debug, Clone, Copy)]
struct Endpoints {
    bulk_out: u8,
    bulk_in: u8,
    interrupt_in: Option<u8>,
}

fn describe(
    device: &rusb::Device<GlobalContext>,
    selector: ReaderSelector,
) -> Option<(FoundReader, Endpoints)> {
    let desc = device.device_descriptor().ok()?;
    if let ReaderSelector::VidPid(vid, pid) = selector
        && (desc.vendor_id(), desc.product_id()) != (vid, pid)
    {
        return None;
    }
    let config = device
        .active_config_descriptor()
        .or_else(|_| device.config_descriptor(0))
        .ok()?;
    for interface in config.interfaces() {
        for alt in interface.descriptors() {
            let class_ok = alt.class_code() == CLASS_SMART_CARD
                || matches!(selector, ReaderSelector::VidPid(..));
            if !class_ok {
                continue;
            }
            let mut bulk_out = None;
            let mut bulk_in = None;
            let mut interrupt_in = None;
            for ep in alt.endpoint_descriptors() {
                match (ep.transfer_type(), ep.direction()) {
                    (TransferType::Bulk, Direction::Out) => {
                        bulk_out = bulk_out.or(Some(ep.address()))
                    }
                    (TransferType::Bulk, Direction::In) => bulk_in = bulk_in.or(Some(ep.address())),
                    (TransferType::Interrupt, Direction::In) => {
                        interrupt_in = interrupt_in.or(Some(ep.address()))
                    }
                    _ => {}
                }
            }
            if let (Some(bulk_out), Some(bulk_in)) = (bulk_out, bulk_in) {
                return Some((
                    FoundReader {
                        vid: desc.vendor_id(),
                        pid: desc.product_id(),
                        bus: device.bus_number(),
                        address: device.address(),
                        interface: alt.interface_number(),
                    },
                    Endpoints {
                        bulk_out,
                        bulk_in,
                        interrupt_in,
                    },
                ));
            }
        }
    }
    None
}

/// An open, claimed CCID reader.
pub struct UsbPipe {
    handle: rusb::DeviceHandle<GlobalContext>,
    endpoints: Endpoints,
    reader: FoundReader,
}

impl UsbPipe {
    /// Opens the first reader matching `selector` and claims its interface.
    pub fn open(selector: ReaderSelector) -> Result<UsbPipe, Error> {
        let devices = rusb::devices().map_err(usb_error)?;
        let (device, reader, endpoints) = devices
            .iter()
            .find_map(|d| describe(&d, selector).map(|(r, e)| (d, r, e)))
            .ok_or_else(|| Error::UsbReaderNotFound {
                what: match selector {
                    ReaderSelector::AnyCcid => "interface class 0B".to_string(),
                    ReaderSelector::VidPid(v, p) => format!("{v:04x}:{p:04x}"),
                },
            })?;
        let handle = device.open().map_err(usb_error)?;
        // Not every platform supports detaching; failure here is harmless
        // when no kernel driver holds the interface.
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle
            .claim_interface(reader.interface)
            .map_err(|e| match e {
                // Another driver has the interface: usually pcscd with
                // libccid, which the report then names.
                rusb::Error::Busy | rusb::Error::Access => Error::ReaderHeld {
                    device: format!("{:04x}:{:04x}", reader.vid, reader.pid),
                    pcscd_running: std::os::unix::net::UnixStream::connect("/run/pcscd/pcscd.comm")
                        .is_ok(),
                },
                other => usb_error(other),
            })?;
        Ok(UsbPipe {
            handle,
            endpoints,
            reader,
        })
    }

    /// Which reader this is.
    pub fn reader(&self) -> &FoundReader {
        &self.reader
    }
}

impl fmt::Debug for UsbPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsbPipe")
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

impl Drop for UsbPipe {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.reader.interface);
    }
}

fn usb_error(e: rusb::Error) -> Error {
    match e {
        rusb::Error::Timeout => Error::Timeout {
            device: Device::SsCardReader,
        },
        // Unplugged: the kiosk reopens it until it is back.
        rusb::Error::NoDevice => Error::Disconnected {
            device: Device::SsCardReader,
            source: std::io::Error::new(std::io::ErrorKind::NotConnected, e),
        },
        rusb::Error::Io | rusb::Error::Pipe => {
            Error::Io(std::io::Error::new(std::io::ErrorKind::BrokenPipe, e))
        }
        other => Error::Usb(other.to_string()),
    }
}

impl BulkPipe for UsbPipe {
    fn write_bulk(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error> {
        let n = self
            .handle
            .write_bulk(self.endpoints.bulk_out, data, timeout)
            .map_err(usb_error)?;
        if n == data.len() {
            Ok(())
        } else {
            Err(Error::Io(std::io::ErrorKind::WriteZero.into()))
        }
    }

    fn read_bulk(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        self.handle
            .read_bulk(self.endpoints.bulk_in, buf, timeout)
            .map_err(usb_error)
    }

    fn read_interrupt(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        let Some(ep) = self.endpoints.interrupt_in else {
            return Ok(0);
        };
        match self.handle.read_interrupt(ep, buf, timeout) {
            Ok(n) => Ok(n),
            Err(rusb::Error::Timeout) => Ok(0),
            Err(e) => Err(usb_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_parsing() {
        assert_eq!(
            ReaderSelector::parse("076b:3031"),
            Some(ReaderSelector::VidPid(0x076B, 0x3031))
        );
        assert_eq!(ReaderSelector::parse("xyz"), None);
        assert_eq!(ReaderSelector::parse("1:zz"), None);
    }

    #[test]
    fn listing_readers_does_not_fail_without_any() {
        // The build machine has no reader; listing must still work (or
        // report a typed error when libusb cannot see the bus at all).
        match list_readers(ReaderSelector::AnyCcid) {
            Ok(_) | Err(Error::Usb(_)) | Err(Error::Io(_)) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
}
