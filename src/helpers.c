// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for what 7.2's Rust bindings cannot reach: static inline functions and arch
 * macros of the memory-management and DMA APIs that rust/helpers/ does not wrap yet, called
 * only from src/stand_in/mapping.rs and src/stand_in/user_pages.rs; a string module
 * parameter, which 7.2's module! macro does not offer, and a device's driver_override, which
 * struct device keeps under its own spinlock, both read only through src/stand_in/binding.rs.
 * Each is a thin wrapper in the shape of a rust/helpers entry.
 */

#include <linux/dma-map-ops.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "helpers.h"

/*
 * channels=: the devices to bind, a comma-separated list of platform device names or register
 * base addresses (checked at load, matched at probe: src/select.rs). Read-only after the load
 * (0444), so the string stays the same for the module's lifetime.
 */
static char *channels;
module_param(channels, charp, 0444);
MODULE_PARM_DESC(channels,
		 "Bind only these devices: comma-separated platform device names (ffa80000.dma) or register addresses (0xffa80000); empty: all. A driver_override of dmacopy always binds");

/* The channels= string, or NULL when it was not given. */
const char *dmacopy_helper_channels(void)
{
	return channels;
}

/* Whether @dev's driver_override names the driver @name (device_match_driver_override()). */
bool dmacopy_helper_driver_override_is(struct device *dev, const char *name)
{
	guard(spinlock)(&dev->driver_override.lock);
	return dev->driver_override.name && !strcmp(dev->driver_override.name, name);
}

/* The longest segment of a mapping @dev takes (dma_get_max_seg_size(), static inline). */
unsigned int dmacopy_helper_dma_max_seg_size(struct device *dev)
{
	return dma_get_max_seg_size(dev);
}

/*
 * Prepares a VMA of the buffer window for pages inserted by its fault handler: PFN-mapped I/O
 * memory that is never expanded, copied into core dumps or merged, with the page protection
 * that dma_mmap_attrs() would give the device's coherent memory (dma_pgprot(), which is not
 * exported: write-combined unless the device is cache coherent).
 */
void dmacopy_helper_vma_init(struct vm_area_struct *vma, struct device *dev,
			     const struct vm_operations_struct *ops)
{
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	if (!dev_is_dma_coherent(dev))
		vma->vm_page_prot = pgprot_dmacoherent(vma->vm_page_prot);
	vma->vm_ops = ops;
}

/*
 * The page frame behind a kernel address of a coherent DMA buffer: remapped (vmalloc space)
 * for a non-coherent device or an IOMMU, in the linear map otherwise.
 */
unsigned long dmacopy_helper_kaddr_to_pfn(const void *addr)
{
	if (is_vmalloc_addr(addr))
		return vmalloc_to_pfn(addr);
	return virt_to_pfn(addr);
}

/*
 * Makes @mapping, a device's own address_space, the mapping of @file (as drm_open() does with
 * its anonymous inode's). The VFS reads mapping->host right after ->open() (readahead state,
 * fadvise), so the first opener's inode becomes the host, held until
 * dmacopy_helper_release_mapping().
 */
void dmacopy_helper_install_mapping(struct file *file, struct address_space *mapping)
{
	struct inode *inode = file_inode(file);

	if (!READ_ONCE(mapping->host)) {
		ihold(inode);
		if (cmpxchg(&mapping->host, NULL, inode))
			iput(inode);
	}
	file->f_mapping = mapping;
}

/* Drops the host inode of a mapping that no file uses any more. */
void dmacopy_helper_release_mapping(struct address_space *mapping)
{
	if (mapping->host)
		iput(mapping->host);
	mapping->host = NULL;
}
