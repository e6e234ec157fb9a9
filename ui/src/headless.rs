//! A Slint platform without a display: the software renderer draws into
//! memory only when a screenshot is asked for, and a small event loop runs
//! timers and closures sent from other threads. Used on kiosks started
//! without a display, in CI, and for screenshots.

use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{EventLoopProxy, Platform, WindowAdapter};
use slint::{EventLoopError, PhysicalSize, PlatformError};

type Task = Box<dyn FnOnce() + Send>;

/// Longest the loop sleeps when nothing is scheduled: bounds the latency of
/// a missed wake-up without costing measurable CPU.
const MAX_IDLE_WAIT: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Queue {
    tasks: Mutex<VecDeque<Task>>,
    wake: Condvar,
    quit: AtomicBool,
}

/// The headless platform. Install it with [`install`] before creating any
/// component.
pub struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    queue: Arc<Queue>,
}

/// Installs the headless platform with a window of `size` pixels.
pub fn install(size: PhysicalSize) -> Result<(), PlatformError> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    window.set_size(size);
    slint::platform::set_platform(Box::new(HeadlessPlatform {
        window,
        queue: Arc::new(Queue::default()),
    }))
    .map_err(|e| PlatformError::Other(e.to_string()))
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }

    fn run_event_loop(&self) -> Result<(), PlatformError> {
        loop {
            slint::platform::update_timers_and_animations();
            let tasks: Vec<Task> = match self.queue.tasks.lock() {
                Ok(mut q) => q.drain(..).collect(),
                Err(_) => return Err(PlatformError::Other("event queue poisoned".into())),
            };
            for task in tasks {
                task();
            }
            if self.queue.quit.swap(false, Ordering::SeqCst) {
                return Ok(());
            }
            let wait = if self.window.has_active_animations() {
                Duration::from_millis(16)
            } else {
                slint::platform::duration_until_next_timer_update()
                    .unwrap_or(MAX_IDLE_WAIT)
                    .min(MAX_IDLE_WAIT)
            };
            let guard = self
                .queue
                .tasks
                .lock()
                .map_err(|_| PlatformError::Other("event queue poisoned".into()))?;
            if guard.is_empty() && !self.queue.quit.load(Ordering::SeqCst) {
                let _ = self.queue.wake.wait_timeout(guard, wait);
            }
        }
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(Proxy(Arc::clone(&self.queue))))
    }
}

struct Proxy(Arc<Queue>);

impl EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), EventLoopError> {
        self.0.quit.store(true, Ordering::SeqCst);
        self.0.wake.notify_all();
        Ok(())
    }

    fn invoke_from_event_loop(&self, event: Task) -> Result<(), EventLoopError> {
        self.0
            .tasks
            .lock()
            .map_err(|_| EventLoopError::EventLoopTerminated)?
            .push_back(event);
        self.0.wake.notify_all();
        Ok(())
    }
}
