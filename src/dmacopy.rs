// SPDX-License-Identifier: GPL-2.0

//! dmacopy: copy memory with a DMA controller, from user space.
//!
//! For every DMA channel it binds, the driver puts the channel in its idle state, requests its
//! IRQ, allocates a coherent SRC and DST buffer of `buf_size` bytes each and registers
//! `/dev/dmacopyN`, numbered in probe order across all devices. Two controller families sit
//! behind one engine interface ([`engine`]): ZynqMP/Versal ZDMA (`xlnx,zynqmp-dma-1.0`, one
//! device per channel, [`zdma`]) and the Raspberry Pi's BCM2835 DMA (`brcm,bcm2835-dma`, one
//! device with many channels, [`bcm2835`]).
//!
//! User space sees a window of `2 * buf_size` bytes (SRC, then DST) through `mmap`, `read`,
//! `write` and `lseek`, and asks for copies with `ioctl`:
//!
//! ```c
//! #include <linux/dmacopy.h>
//!
//! int fd = open("/dev/dmacopy0", O_RDWR);
//! struct dmacopy_info info;
//! ioctl(fd, DMACOPY_IOC_INFO, &info);
//! char *win = mmap(NULL, 2 * info.buf_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
//! memset(win, 0xab, 4096);                       /* fill SRC */
//! struct dmacopy_copy c = { .len = 4096, .mode = DMACOPY_MODE_DMA };
//! ioctl(fd, DMACOPY_IOC_COPY, &c);               /* DST[0..4096) = SRC[0..4096) */
//! ```
//!
//! The user-space contract (`include/uapi/linux/dmacopy.h`) lists every ioctl, struct and errno.
//! Debugfs `dmacopy/dmacopyN/stats` counts copies; `inject` arms faults for testing.
//! The `channels` parameter limits the devices it binds ([`select`]); `driver_override` claims
//! more at run time.

use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    device::{
        Bound,
        Core,
        Device, //
    },
    dma::Coherent,
    driver, irq, of,
    page::PAGE_SIZE,
    platform,
    prelude::*,
    sync::Arc,
};

mod bcm2835;
mod channel;
mod engine;
mod node;
mod select;
mod stand_in;
mod tune;
mod uapi;
mod zdma;

use channel::{
    Channel,
    Config,
    Fault, //
};
use engine::{
    Family,
    HwChannel, //
};
use stand_in::window::Buffer;
use stand_in::{
    irq::Line,
    miscdev,
    registry, //
};

/// Channels one module instance can drive.
const MAX_CHANNELS: usize = 32;

/// Largest `buf_size`: one ZDMA descriptor's size field holds up to 1 GiB - 1.
const MAX_BUF_SIZE: usize = 512 << 20;

/// Node names, in probe order.
const NAMES: [&CStr; MAX_CHANNELS] = [
    c"dmacopy0",
    c"dmacopy1",
    c"dmacopy2",
    c"dmacopy3",
    c"dmacopy4",
    c"dmacopy5",
    c"dmacopy6",
    c"dmacopy7",
    c"dmacopy8",
    c"dmacopy9",
    c"dmacopy10",
    c"dmacopy11",
    c"dmacopy12",
    c"dmacopy13",
    c"dmacopy14",
    c"dmacopy15",
    c"dmacopy16",
    c"dmacopy17",
    c"dmacopy18",
    c"dmacopy19",
    c"dmacopy20",
    c"dmacopy21",
    c"dmacopy22",
    c"dmacopy23",
    c"dmacopy24",
    c"dmacopy25",
    c"dmacopy26",
    c"dmacopy27",
    c"dmacopy28",
    c"dmacopy29",
    c"dmacopy30",
    c"dmacopy31",
];

/// State shared by all channels of the module.
pub(crate) struct Registry {
    /// Bit `n` is set while `/dev/dmacopyN` exists.
    used: u32,
    /// debugfs `dmacopy/`, the parent of each channel's directory.
    root: Option<Dir>,
    /// The module is loading: probes count their buffer allocation failures in
    /// `alloc_failures` for one message at the end, instead of one each.
    loading: bool,
    /// Channels whose buffers could not be allocated while loading.
    alloc_failures: u32,
}

impl Registry {
    const fn new() -> Self {
        Self {
            used: 0,
            root: None,
            loading: false,
            alloc_failures: 0,
        }
    }
}

/// A node number, released when dropped.
struct Slot(u32);

impl Slot {
    /// Takes the lowest free node number and the debugfs root.
    fn take() -> Result<(Self, Option<Dir>)> {
        let mut reg = registry::lock();
        let free = !reg.used;
        if free == 0 {
            return Err(EBUSY);
        }
        let n = free.trailing_zeros();
        reg.used |= 1 << n;
        Ok((Slot(n), reg.root.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        registry::lock().used &= !(1 << self.0);
    }
}

/// What the driver keeps for each bound channel.
///
/// Dropping it (at unbind, or when a later step of the probe fails) revokes the channel first:
/// no file opened in between can keep the buffers past the binding.
#[pin_data(PinnedDrop)]
struct ChannelData {
    chan: Arc<Channel>,
    #[pin]
    _irq: irq::Registration<channel::IrqHandler>,
    #[pin]
    _stats: File<Arc<Channel>>,
    #[pin]
    _inject: File<Arc<Channel>>,
    _dir: Dir,
    /// The node's name.
    name: &'static CStr,
    // Released after the node is gone (`DeviceData::nodes` drop first), so that its name is
    // free again.
    _slot: Slot,
}

#[pinned_drop]
impl PinnedDrop for ChannelData {
    fn drop(self: Pin<&mut Self>) {
        // A no-op after `unbind`; on a failed probe, the same revocation.
        self.chan.shutdown();
    }
}

/// What the driver keeps for each bound device: its channels, in probe order, and their nodes.
///
/// The nodes are registered last, once every channel is set up and calibrated, so that no user
/// copy runs (and is counted) during calibration; they are dropped first.
#[pin_data]
struct DeviceData {
    nodes: KVec<Pin<KBox<miscdev::Registration>>>,
    chans: KVec<Pin<KBox<ChannelData>>>,
}

struct DmacopyDriver;

kernel::of_device_table!(
    OF_TABLE,
    MODULE_OF_TABLE,
    <DmacopyDriver as platform::Driver>::IdInfo,
    [
        (of::DeviceId::new(c"xlnx,zynqmp-dma-1.0"), zdma::FAMILY),
        (of::DeviceId::new(c"brcm,bcm2835-dma"), bcm2835::FAMILY),
    ]
);

fn show_stats(chan: &Arc<Channel>, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
    chan.stats.show(f)
}

fn show_inject(chan: &Arc<Channel>, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
    writeln!(f, "{}", chan.armed_fault().name())
}

fn store_inject(chan: &Arc<Channel>, reader: &mut kernel::uaccess::UserSliceReader) -> Result {
    let mut buf = [0u8; 16];
    let n = reader.len();
    if n > buf.len() {
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..n])?;
    let word = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?.trim();
    chan.arm_fault(Fault::from_name(word).ok_or(EINVAL)?)
}

impl platform::Driver for DmacopyDriver {
    type IdInfo = Family;
    type Data<'bound> = DeviceData;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<DeviceData, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let family = info.ok_or(ENODEV)?;
            // Not in `channels=`: left for another driver, quietly (the driver core logs no
            // error for ENODEV).
            if !select::wanted(pdev) {
                return Err(ENODEV);
            }
            let buf_size = buf_size_param()?;
            let fixed_threshold = *module_parameters::auto_threshold.value();
            let found = (family.probe)(pdev, buf_size)?;
            let mut chans = KVec::with_capacity(found.len(), GFP_KERNEL)?;
            // AUTO thresholds measured on this device, by `max_block`: its channels that are
            // alike share one calibration.
            let mut measured = KVec::<(usize, u64)>::new();
            let count = found.len();
            for hw in found {
                let data = KBox::pin_init(
                    channel_data(pdev.as_ref(), hw, buf_size, count)?,
                    GFP_KERNEL,
                )?;
                // 0: measure the crossover.
                if fixed_threshold == 0 {
                    let chan = &data.chan;
                    match measured.iter().find(|(b, _)| *b == chan.max_block()) {
                        Some(&(_, threshold)) => chan.set_auto_threshold(threshold),
                        None => {
                            let threshold = chan.calibrate()?;
                            measured.push((chan.max_block(), threshold), GFP_KERNEL)?;
                        }
                    }
                }
                chans.push(data, GFP_KERNEL)?;
            }
            let mut nodes = KVec::with_capacity(chans.len(), GFP_KERNEL)?;
            for data in &chans {
                let node = miscdev::Registration::new(data.name, pdev.as_ref(), data.chan.clone());
                nodes.push(KBox::pin_init(node, GFP_KERNEL)?, GFP_KERNEL)?;
            }
            Ok(try_pin_init!(DeviceData { nodes, chans }))
        })
    }

    fn unbind<'bound>(_pdev: &'bound platform::Device<Core<'_>>, this: Pin<&DeviceData>) {
        // Every channel's copiers are told first; then each channel waits for its users.
        for data in &this.chans {
            data.chan.begin_shutdown();
        }
        for data in &this.chans {
            data.chan.shutdown();
        }
    }
}

/// Sets up one channel found by a family's probe: its buffers, node number, interrupt and
/// debugfs files (the node is registered by the caller, last). The device has `count` channels,
/// all declined if this one cannot get its buffers.
fn channel_data<'a>(
    dev: &'a Device<Bound>,
    hw: HwChannel<'a>,
    buf_size: usize,
    count: usize,
) -> Result<impl PinInit<ChannelData, Error> + 'a> {
    let irq = hw.irq.irq();
    let reg_base = hw.engine.reg_base();

    // No allocation-failure splat: the failure is reported below, once.
    let gfp = GFP_KERNEL | kernel::alloc::flags::__GFP_NOWARN;
    let alloc = || Coherent::<u8>::zeroed_slice(dev, buf_size, gfp);
    let buf = alloc()
        .and_then(|src| Buffer::new(src, alloc()?))
        .map_err(|e| {
            let mut reg = registry::lock();
            if reg.loading {
                // One message for all channels when the load ends, not one per channel from us
                // and another from the driver core: decline the device quietly (the driver
                // core logs an error for any probe failure but these two).
                // The whole device is declined: every one of its channels has no node.
                reg.alloc_failures += u32::try_from(count).unwrap_or(u32::MAX);
                ENODEV
            } else {
                dev_err!(
                    dev,
                    "cannot allocate 2 x {} bytes of coherent memory (buf_size)\n",
                    buf_size
                );
                e
            }
        })?;

    let (slot, root) = Slot::take().inspect_err(|_| {
        dev_err!(dev, "more than {} channels\n", MAX_CHANNELS);
    })?;
    // CAST: `slot.0 < MAX_CHANNELS`.
    let name = NAMES[slot.0 as usize];
    let chan = Arc::pin_init(
        Channel::new(
            Config {
                dev: dev.into(),
                buf_size,
                irq: Line::of(&hw.irq),
                shared_irq: hw.shared_irq,
                timeout_ms: *module_parameters::timeout_ms.value(),
            },
            hw.engine,
            buf,
            *module_parameters::auto_threshold.value(),
        )?,
        GFP_KERNEL,
    )?;
    let dir = root.map_or_else(|| Dir::new(name), |r| r.subdir(name));
    let flags = if hw.shared_irq {
        irq::Flags::SHARED
    } else {
        irq::Flags::TRIGGER_NONE
    };

    dev_info!(
        dev,
        "/dev/{} (registers {:#x}, irq {}{}, 2 x {} KiB buffers)\n",
        name.to_str().unwrap_or("dmacopy"),
        reg_base,
        irq,
        if hw.shared_irq { " shared" } else { "" },
        buf_size / 1024
    );

    Ok(try_pin_init!(ChannelData {
        _irq <- irq::Registration::new(
            hw.irq,
            flags,
            c"dmacopy",
            channel::IrqHandler::new(chan.clone()),
        ),
        _stats <- dir.read_callback_file(c"stats", chan.clone(), &show_stats),
        _inject <- dir.read_write_callback_file(
            c"inject",
            chan.clone(),
            &show_inject,
            &store_inject,
        ),
        _dir: dir,
        name,
        chan,
        _slot: slot,
    }))
}

/// `buf_size`, checked and rounded up to a page.
fn buf_size_param() -> Result<usize> {
    let want = *module_parameters::buf_size.value();
    if want == 0 || want > MAX_BUF_SIZE {
        pr_err!(
            "buf_size must be 1 ..= {} bytes, not {}\n",
            MAX_BUF_SIZE,
            want
        );
        return Err(EINVAL);
    }
    Ok(want.next_multiple_of(PAGE_SIZE))
}

/// `timeout_ms`, checked: 0 would be a bound of no time at all, under which every copy by DMA
/// could time out (the spec gives it no meaning), so it fails the load.
fn timeout_ms_param() -> Result<u32> {
    let ms = *module_parameters::timeout_ms.value();
    if ms == 0 {
        pr_err!("timeout_ms must be at least 1 (milliseconds), not 0\n");
        return Err(EINVAL);
    }
    Ok(ms)
}

/// The debugfs root `dmacopy/` in [`REGISTRY`], removed when this is dropped (also when the
/// load fails after it was made).
struct DebugfsRoot;

impl DebugfsRoot {
    fn new() -> Self {
        registry::lock().root = Some(Dir::new(c"dmacopy"));
        DebugfsRoot
    }
}

impl Drop for DebugfsRoot {
    fn drop(&mut self) {
        // The directory goes once the channels' directories have gone too.
        registry::lock().root = None;
    }
}

#[pin_data]
struct DmacopyModule {
    _root: DebugfsRoot,
    #[pin]
    _driver: driver::Registration<platform::Adapter<DmacopyDriver>>,
}

impl kernel::InPlaceModule for DmacopyModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            let buf_size = buf_size_param()?;
            timeout_ms_param()?;
            select::check_param()?;
            registry::lock().loading = true;
            Ok(try_pin_init!(Self {
                _root: DebugfsRoot::new(),
                _driver <- driver::Registration::new(c"dmacopy", module),
            })
            .pin_chain(move |_| {
                let mut reg = registry::lock();
                reg.loading = false;
                let failed = core::mem::take(&mut reg.alloc_failures);
                if failed == 0 {
                    return Ok(());
                }
                let bound = reg.used.count_ones();
                pr_err!(
                    "buf_size {}: cannot allocate 2 x {} bytes of coherent memory for {} of {} channels\n",
                    buf_size,
                    buf_size,
                    failed,
                    failed + bound
                );
                // No channel at all: the load fails (the spec's "clear message"); with some
                // channels bound, those work and the others have no node.
                if bound == 0 {
                    Err(ENOMEM)
                } else {
                    Ok(())
                }
            }))
        })
    }
}

module! {
    type: DmacopyModule,
    name: "dmacopy",
    authors: ["The dmacopy developers"],
    description: "Copy memory with a DMA controller from user space",
    license: "GPL",
    params: {
        buf_size: usize {
            default: 1048576,
            description: "Bytes in each of the SRC and DST buffers (rounded up to a page)",
        },
        timeout_ms: u32 {
            default: 1000,
            description: "Default per-copy timeout in milliseconds (at least 1)",
        },
        auto_threshold: u64 {
            default: 0,
            description: "AUTO mode copies shorter than this many bytes with the CPU (0: measure the crossover at probe)",
        },
    },
}

const _: () = assert!(MAX_CHANNELS <= u32::BITS as usize);
const _: () = assert!(2 * MAX_BUF_SIZE as u64 <= zdma::MAX_LEN + 1);
