//! The driver's `BulkPipe` over the simulated CCID reader, for the card
//! tests and the card-read benchmark (included with `#[path]` by both).

use std::collections::VecDeque;
use std::time::Duration;

use kiosk_drivers::Error;
use kiosk_drivers::error::Device;
use kiosk_drivers::sscard::BulkPipe;
use kiosk_sim::sscard::SimCcidReader;

/// The adapter: the driver's pipe trait over the simulated reader.
pub struct Pipe {
    pub sim: SimCcidReader,
    pub pending: VecDeque<Vec<u8>>,
}

impl BulkPipe for Pipe {
    fn write_bulk(&mut self, data: &[u8], _: Duration) -> Result<(), Error> {
        if self.sim.is_unplugged() {
            return Err(Error::Disconnected {
                device: Device::SsCardReader,
                source: std::io::ErrorKind::BrokenPipe.into(),
            });
        }
        self.pending.clear();
        self.pending.extend(self.sim.handle_bulk_out(data));
        Ok(())
    }
    fn read_bulk(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, Error> {
        let m = self.pending.pop_front().ok_or(Error::Timeout {
            device: Device::SsCardReader,
        })?;
        let n = m.len().min(buf.len());
        buf[..n].copy_from_slice(&m[..n]);
        Ok(n)
    }
    fn read_interrupt(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        Ok(match self.sim.wait_interrupt(timeout) {
            Some(m) => {
                buf[..m.len()].copy_from_slice(&m);
                m.len()
            }
            None => 0,
        })
    }
}
