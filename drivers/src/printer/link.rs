//! The link to the printer. One URI picks it; this skeleton speaks raw TCP
//! (`tcp://host:9100`), the link of networked kiosk printers and of the
//! printer simulator.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Device, Error};

/// An open link to a printer.
#[derive(Debug)]
pub struct PrinterLink {
    stream: TcpStream,
}

impl PrinterLink {
    /// Opens the printer at `uri` with `timeout` for connecting and each write.
    pub fn open(uri: &str, timeout: Duration) -> Result<PrinterLink, Error> {
        let Some(address) = uri.strip_prefix("tcp://") else {
            return Err(Error::PrinterUri(uri.to_string()));
        };
        let addr = address
            .to_socket_addrs()
            .map_err(|_| Error::PrinterUri(uri.to_string()))?
            .next()
            .ok_or_else(|| Error::PrinterUri(uri.to_string()))?;
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                Error::Timeout {
                    device: Device::Printer,
                }
            } else {
                Error::PrinterUnreachable(e)
            }
        })?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(PrinterLink { stream })
    }

    /// Sends a whole job.
    pub fn send(&mut self, job: &[u8]) -> Result<(), Error> {
        self.stream.write_all(job)?;
        self.stream.flush()?;
        Ok(())
    }
}
