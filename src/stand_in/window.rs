// SPDX-License-Identifier: GPL-2.0

//! The buffer window of a channel: SRC and DST, the users that may sleep while they touch them,
//! and their revocation when the device is unbound.
//!
//! The kernel's `Revocable` guards its data with RCU, so its users must not sleep; but a
//! `read`, a `write`, a CPU copy, a page fault and a DMA copy all may. [`Window`] is the same
//! idea with a sleeping lock: users [`enter`](Window::enter) and get a guard that keeps the
//! buffer alive; [`revoke`](Window::revoke) closes the window to new users, waits for the
//! current ones to leave, zaps every user mapping and frees the buffer, all while the device
//! is still bound (as `rust/kernel/dma.rs` requires of a coherent allocation).
//!
//! # Lock order
//!
//! `Channel::queue` (the copy turn) before `Window::state`; `Window::state` is never held
//! while sleeping on anything else, and never across a page fault.

use core::ops::Deref;

use kernel::{
    device::Device,
    dma::Coherent,
    fs::File,
    mm::virt::VmaNew,
    new_mutex,
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::{
        delay::fsleep,
        Delta, //
    },
};

use super::mapping::{
    Fault,
    FaultResult,
    Mapping, //
};

/// SRC (window offsets `[0, buf_size)`) and DST (`[buf_size, 2 * buf_size)`): two coherent
/// allocations rather than one, so that each stays within the page allocator's largest block
/// (4 MiB with 4 KiB pages) on a system without CMA. A mapping of the window is put together
/// page by page ([`Window::fault`]), so the two need not be adjacent.
pub(crate) struct Buffer {
    src: Coherent<[u8]>,
    dst: Coherent<[u8]>,
}

impl Buffer {
    /// Both halves must have the same length.
    pub(crate) fn new(src: Coherent<[u8]>, dst: Coherent<[u8]>) -> Result<Self> {
        if src.len() != dst.len() {
            return Err(EINVAL);
        }
        Ok(Self { src, dst })
    }

    /// Bytes in the window: `2 * buf_size`.
    pub(crate) fn len(&self) -> usize {
        2 * self.src.len()
    }

    /// SRC.
    pub(crate) fn src(&self) -> &Coherent<[u8]> {
        &self.src
    }

    /// DST.
    pub(crate) fn dst(&self) -> &Coherent<[u8]> {
        &self.dst
    }

    /// The half that holds window offset `pos`, the offset in it and the bytes from there to
    /// its end; `None` at or past the end of the window. A range of the window that crosses
    /// from SRC into DST is two pieces.
    pub(crate) fn piece(&self, pos: usize) -> Option<(&Coherent<[u8]>, usize, usize)> {
        let half = self.src.len();
        let (buf, off) = if pos < half {
            (&self.src, pos)
        } else {
            (&self.dst, pos - half)
        };
        (off < half).then_some((buf, off, half - off))
    }
}

struct State {
    /// The buffer; `None` once revoked.
    buf: Option<Arc<Buffer>>,
    /// Users inside the window.
    users: usize,
}

/// A channel's buffer window; see the module documentation.
#[pin_data]
pub(crate) struct Window {
    /// Bytes in the window: `2 * buf_size`.
    size: usize,
    #[pin]
    state: Mutex<State>,
    /// The address space of every file of the channel, so that revocation reaches every user
    /// mapping.
    #[pin]
    mapping: Mapping,
}

/// A user of the window: the buffer stays allocated while this lives.
pub(crate) struct WindowGuard<'a> {
    // Fields drop in order: the reference to the buffer goes before the user leaves, so that
    // once `users` is 0, `revoke` holds the last reference.
    buf: Arc<Buffer>,
    _user: User<'a>,
}

impl Deref for WindowGuard<'_> {
    type Target = Buffer;

    fn deref(&self) -> &Buffer {
        &self.buf
    }
}

/// Counts one user in [`State::users`] while it lives.
struct User<'a>(&'a Window);

impl Drop for User<'_> {
    fn drop(&mut self) {
        self.0.state.lock().users -= 1;
    }
}

impl Window {
    pub(crate) fn new(buf: Buffer) -> Result<impl PinInit<Self, Error>> {
        let size = buf.len();
        let buf = Arc::new(buf, GFP_KERNEL)?;
        Ok(try_pin_init!(Self {
            size,
            state <- new_mutex!(State {
                buf: Some(buf),
                users: 0,
            }),
            mapping <- Mapping::new(),
        }? Error))
    }

    /// Bytes in the window.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Enters the window; fails with `ENODEV` once it is revoked.
    pub(crate) fn enter(&self) -> Result<WindowGuard<'_>> {
        let mut state = self.state.lock();
        let buf = state.buf.clone().ok_or(ENODEV)?;
        state.users += 1;
        Ok(WindowGuard {
            buf,
            _user: User(self),
        })
    }

    /// Makes `file` share the window's address space, so that [`Window::revoke`] reaches its
    /// mappings.
    pub(crate) fn install(&self, file: &File) {
        self.mapping.install(file);
    }

    /// Prepares a new user mapping of the window by `dev`: its pages come from
    /// [`Window::fault`].
    pub(crate) fn mmap(&self, vma: &VmaNew, dev: &Device) -> Result {
        let _guard = self.enter()?;
        self.mapping.setup_vma(vma, dev);
        Ok(())
    }

    /// Maps the window page `pgoff` at `address` in a mapping made by [`Window::mmap`];
    /// `SIGBUS` past the window or once it is revoked.
    pub(crate) fn fault(&self, vmf: &Fault) -> FaultResult {
        let Ok(guard) = self.enter() else {
            return FaultResult::SIGBUS;
        };
        let Some((half, off, _)) = vmf
            .pgoff()
            .checked_mul(PAGE_SIZE)
            .and_then(|pos| guard.piece(pos))
        else {
            return FaultResult::SIGBUS;
        };
        // The guard keeps the buffer allocated until the page is in the page table; `revoke`
        // zaps it afterwards. Both halves are whole pages, so a page lies in one of them.
        self.mapping.insert(vmf, half, off)
    }

    /// Revokes the window: no new user gets in, `kick` is called until the current users have
    /// left (it must make a waiting user give up), every user mapping is zapped (a later touch
    /// raises `SIGBUS`), and the buffer is freed. Returns at once if already revoked.
    pub(crate) fn revoke(&self, kick: impl Fn()) {
        let Some(buf) = self.state.lock().buf.take() else {
            return;
        };
        loop {
            kick();
            if self.state.lock().users == 0 {
                break;
            }
            // TIMEOUT: users leave within one copy's completion or signal; `kick` ends a copy
            // that waits for the controller. Polling, rather than waiting to be told, kicks
            // again a user that started waiting after the previous kick.
            fsleep(Delta::from_millis(1));
        }
        // No user is left: any fault that inserted a page has returned. Zap the pages before
        // the memory behind them goes.
        self.mapping.revoke();
        drop(buf);
    }
}
