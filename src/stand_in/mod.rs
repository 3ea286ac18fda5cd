// SPDX-License-Identifier: GPL-2.0

//! Stand-ins for kernel abstractions that Rust-for-Linux 7.2 lacks, or lacks in the shape this
//! driver needs: every `unsafe` block of the driver's own logic lives here, each behind a safe
//! interface shaped like the upstream API it replaces, so that the rest of the crate uses only
//! safe code. Each submodule names the gap it covers; each is a candidate for an upstream
//! abstraction, after which it can go.
//!
//! | module | upstream C API | the gap in 7.2's `kernel` crate |
//! |---|---|---|
//! | [`binding`] | `module_param(.., charp, ..)`, `device_match_driver_override` | `module!` has no string parameter; `Device` has no `driver_override` accessor |
//! | [`completion`] | `struct completion` | no `Completion` with re-init and a bounded interruptible wait |
//! | [`miscdev`] | `misc_register` | `MiscDeviceRegistration` has no `llseek`, no `owner`, no `parent` |
//! | [`mapping`] | `address_space`, `vm_operations_struct`, `vmf_insert_pfn` | no revocable user mapping of coherent memory |
//! | [`coherent`] | `memcpy`, `_copy_to_iter`, `_copy_from_iter` on coherent memory | `Coherent` has no bulk copy between allocations or to/from an `iov_iter` |
//! | [`irq`] | `synchronize_irq`, `irq_set_irqchip_state`, `generic_handle_irq_safe` | not wrapped |
//! | [`dma`] | `dma_set_mask_and_coherent`, `dma_set_max_seg_size` | `unsafe` even in probe, where nothing can race with it |
//! | [`registry`] | `DEFINE_MUTEX` | `global_lock!` needs an `unsafe` initialisation |
//! | [`user_pages`] | `pin_user_pages_fast`, `sg_alloc_table_from_pages_segment`, `dma_map_sgtable`, `dma_get_max_seg_size` | no pinning of user pages; `SGTable<Owned>` takes only its own (vmalloc) pages and unmaps through a `Devres` |
//! | [`window`] | `Revocable`, `drm_dev_enter`/`drm_dev_unplug` | `Revocable` is RCU-only: its users cannot sleep, but reads, writes, copies and faults of the window do |

pub(crate) mod binding;
pub(crate) mod coherent;
pub(crate) mod completion;
pub(crate) mod dma;
pub(crate) mod irq;
pub(crate) mod mapping;
pub(crate) mod miscdev;
pub(crate) mod registry;
pub(crate) mod user_pages;
pub(crate) mod window;
