/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C helpers of src/helpers.c, called from Rust (src/stand_in/mapping.rs,
 * src/stand_in/binding.rs and src/stand_in/user_pages.rs declare them again as extern "C").
 */
#ifndef DMACOPY_HELPERS_H
#define DMACOPY_HELPERS_H

#include <linux/types.h>

struct address_space;
struct device;
struct file;
struct vm_area_struct;
struct vm_operations_struct;

void dmacopy_helper_vma_init(struct vm_area_struct *vma, struct device *dev,
			     const struct vm_operations_struct *ops);
unsigned long dmacopy_helper_kaddr_to_pfn(const void *addr);
void dmacopy_helper_install_mapping(struct file *file, struct address_space *mapping);
void dmacopy_helper_release_mapping(struct address_space *mapping);
const char *dmacopy_helper_channels(void);
bool dmacopy_helper_driver_override_is(struct device *dev, const char *name);
unsigned int dmacopy_helper_dma_max_seg_size(struct device *dev);

#endif /* DMACOPY_HELPERS_H */
