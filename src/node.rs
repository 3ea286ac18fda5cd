// SPDX-License-Identifier: GPL-2.0

//! The `/dev/dmacopyN` node: the buffer window (read, write, mmap; lseek is in
//! [`stand_in::miscdev`](crate::stand_in::miscdev)) and the ioctls.

use core::mem::size_of;

use kernel::{
    bindings,
    fs::{
        File,
        Kiocb, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    mm::virt::{
        vm_flags_t,
        VmaNew, //
    },
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    channel::{
        Channel,
        Outcome, //
    },
    stand_in::{
        coherent,
        mapping,
        miscdev, //
    },
    uapi,
};

/// Checks a file position and returns the window range `[pos, pos + n)` with
/// `n <= want`, or `None` at or past the end of the window.
fn window_range(chan: &Channel, pos: i64, want: usize) -> Result<Option<(usize, usize)>> {
    let pos = usize::try_from(pos).map_err(|_| EINVAL)?;
    let size = chan.window().size();
    if pos >= size {
        return Ok(None);
    }
    Ok(Some((pos, want.min(size - pos))))
}

/// Bytes moved per step between the window and user memory.
const BOUNCE: usize = 16 * 1024;

/// Copies between the window range `[pos, pos + n)` and user memory through a kernel bounce
/// buffer, at most [`BOUNCE`] bytes and one half of the window (SRC and DST are separate
/// allocations) at a time. `step(window, bounce)` runs inside the window and moves bytes between
/// the window piece and the bounce buffer; `user(bounce) -> bytes moved` runs outside it, so that
/// a page fault on user memory (which may wait for anything, e.g. a FUSE daemon) never holds up
/// unbind. `read` says which way: window to bounce first, or user to bounce first. Returns the
/// bytes copied, fewer at a short user copy; `ENODEV` once the window is gone, even in the
/// middle (as the call would have failed had it started a little later).
fn bounce_copy(
    chan: &Channel,
    pos: usize,
    n: usize,
    read: bool,
    mut user: impl FnMut(&mut [u8]) -> usize,
) -> Result<usize> {
    let mut bounce = KVVec::from_elem(0u8, BOUNCE.min(n), GFP_KERNEL)?;
    let mut done = 0;
    while done < n {
        let want = bounce.len().min(n - done);
        let len = if read {
            let buf = chan.window().enter()?;
            let Some((half, off, avail)) = buf.piece(pos + done) else {
                break;
            };
            let len = want.min(avail);
            coherent::read(half, off, &mut bounce[..len])?;
            len
        } else {
            // How much of this step fits in one half.
            let avail = chan
                .window()
                .enter()?
                .piece(pos + done)
                .map_or(0, |(_, _, avail)| avail);
            want.min(avail)
        };
        if len == 0 {
            break;
        }
        let moved = if read {
            user(&mut bounce[..len])
        } else {
            let moved = user(&mut bounce[..len]);
            let buf = chan.window().enter()?;
            let Some((half, off, _)) = buf.piece(pos + done) else {
                break;
            };
            coherent::write(half, off, &bounce[..moved])?;
            moved
        };
        done += moved;
        if moved < len {
            break;
        }
    }
    Ok(done)
}

/// `DMACOPY_IOC_COPY` or `DMACOPY_IOC_COPY_USER` (the same layout) with its argument at `ptr`:
/// reads the request, runs it with `run`, and writes the out fields back on success, `EIO` and
/// `ETIMEDOUT` (whenever `run` gives an outcome).
fn copy_ioctl(
    ptr: UserPtr,
    run: impl FnOnce(&uapi::Copy) -> Result<Outcome, (Error, Option<Outcome>)>,
) -> Result<isize> {
    let (mut reader, mut writer) = UserSlice::new(ptr, size_of::<uapi::Copy>()).reader_writer();
    let mut req: uapi::Copy = reader.read()?;
    let (res, out) = match run(&req) {
        Ok(out) => (Ok(0), Some(out)),
        Err((e, out)) => (Err(e), out),
    };
    if let Some(out) = out {
        req.elapsed_ns = out.elapsed_ns;
        req.mode_used = out.mode_used;
        req.hw_status = out.hw_status;
        writer.write(&req)?;
    }
    res
}

/// `DMACOPY_IOC_COPY_BATCH` with its argument at `ptr`: reads the batch and its entries, runs
/// it, and writes back the completed entries and the batch's out fields.
fn copy_batch(chan: &Channel, ptr: UserPtr) -> Result<isize> {
    let (mut reader, mut writer) = UserSlice::new(ptr, uapi::BATCH_SIZE).reader_writer();
    let mut bytes = [0u8; uapi::BATCH_SIZE];
    reader.read_slice(&mut bytes)?;
    // Written back at the end: it must be writable, which writing it back unchanged tests
    // (before anything else, so that a read-only batch fails with EFAULT whatever it holds).
    writer.write_slice(&bytes)?;
    let mut writer = UserSlice::new(ptr, uapi::BATCH_SIZE).writer();
    let mut batch = uapi::Batch::from_bytes(&bytes);
    if batch.count == 0 || batch.count > uapi::BATCH_MAX || batch.flags != 0 || batch.reserved != 0
    {
        return Err(EINVAL);
    }
    // CAST: at most `DMACOPY_BATCH_MAX` entries; user addresses are `usize` wide.
    let count = batch.count as usize;
    let entry = size_of::<uapi::Copy>();
    let array = UserPtr::from_addr(usize::try_from(batch.copies).map_err(|_| EFAULT)?);
    let mut entries = KVec::with_capacity(count, GFP_KERNEL)?;
    let mut entry_reader = UserSlice::new(array, count * entry).reader();
    for _ in 0..count {
        entries.push(entry_reader.read::<uapi::Copy>()?, GFP_KERNEL)?;
    }
    // The completed entries are written back: the array must be writable before anything
    // runs, so that a read-only one fails with EFAULT and nothing copied (after the checks of
    // every entry, which come first). Writing it back unchanged tests exactly that.
    let end = chan.copy_batch(&mut entries, batch.timeout_ns, |entries| {
        let mut w = UserSlice::new(array, count * entry).writer();
        for e in entries {
            w.write(e)?;
        }
        Ok(())
    });
    if end.report {
        // CAST: `done <= count`.
        let done = end.done as usize;
        let mut entry_writer = UserSlice::new(array, done * entry).writer();
        for e in &entries[..done] {
            entry_writer.write(e)?;
        }
        batch.elapsed_ns = end.elapsed_ns;
        batch.done = end.done;
        writer.write_slice(&batch.to_bytes())?;
    }
    end.res.map(|()| 0)
}

#[vtable]
impl MiscDevice for Channel {
    type Ptr = Arc<Channel>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Channel>> {
        let chan = miscdev::channel_of(misc);
        chan.check_alive()?;
        chan.window().install(file);
        Ok(chan.clone())
    }

    fn read_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let chan = kiocb.file();
        chan.check_alive()?;
        let Some((pos, n)) = window_range(&chan, kiocb.ki_pos(), iov.len())? else {
            return Ok(0);
        };
        if n == 0 {
            return Ok(0);
        }
        let done = bounce_copy(&chan, pos, n, true, |bounce| iov.copy_to_iter(bounce))?;
        if done == 0 {
            return Err(EFAULT);
        }
        // CAST: `done <= n`, a window offset.
        *kiocb.ki_pos_mut() += done as i64;
        Ok(done)
    }

    fn write_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let chan = kiocb.file();
        chan.check_alive()?;
        let Some((pos, n)) = window_range(&chan, kiocb.ki_pos(), iov.len())? else {
            return Err(ENOSPC);
        };
        if n == 0 {
            return Ok(0);
        }
        let done = bounce_copy(&chan, pos, n, false, |bounce| iov.copy_from_iter(bounce))?;
        if done == 0 {
            return Err(EFAULT);
        }
        // CAST: `done <= n`, a window offset.
        *kiocb.ki_pos_mut() += done as i64;
        Ok(done)
    }

    fn mmap(chan: ArcBorrow<'_, Channel>, _file: &File, vma: &VmaNew) -> Result {
        chan.check_alive()?;
        // The 7.2 bindings define `VM_MAYSHARE` (and so `flags::MAYSHARE`) as `VM_MAYEXEC`; the
        // bit number from `include/linux/mm.h` is right.
        let may_share: vm_flags_t = 1 << bindings::VMA_MAYSHARE_BIT;
        if vma.flags() & may_share == 0 {
            return Err(EINVAL);
        }
        let pgoff = mapping::vma_pgoff(vma);
        let len = vma.end() - vma.start();
        let end = pgoff
            .checked_mul(PAGE_SIZE)
            .and_then(|off| off.checked_add(len));
        if end.is_none_or(|end| end > chan.window().size()) {
            return Err(EINVAL);
        }
        // Pages come from the fault handler, so that unbind can revoke them.
        chan.window().mmap(vma, chan.device())
    }

    fn ioctl(chan: ArcBorrow<'_, Channel>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        // Once the channel is unbound, every call fails with `ENODEV`, whatever it asks.
        chan.check_alive()?;
        let ptr = UserPtr::from_addr(arg);
        match cmd {
            uapi::IOC_INFO => {
                UserSlice::new(ptr, size_of::<uapi::Info>())
                    .writer()
                    .write(&chan.info())?;
            }
            uapi::IOC_COPY => return copy_ioctl(ptr, |req| chan.copy(req)),
            uapi::IOC_COPY_USER => return copy_ioctl(ptr, |req| chan.copy_user(req)),
            uapi::IOC_COPY_BATCH => return copy_batch(&chan, ptr),
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}
