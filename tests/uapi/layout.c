// SPDX-License-Identifier: GPL-2.0
/*
 * <linux/dmacopy.h> against the ABI's literal values (abi.h), in C11: every
 * struct size, field offset, field type, constant and ioctl number is a
 * _Static_assert, so a wrong header does not compile. Unless built with
 * -DLAYOUT_STATIC_ONLY (check.sh does that for targets it cannot run, such
 * as -m32), main() checks the same values again at run time and prints a
 * summary line.
 */
#include <stddef.h>

#include <linux/dmacopy.h>

#include "abi.h"

#define MEMBER(s, m) (((struct s *)0)->m)

#define STRUCT_ASSERT(s, size)						\
	_Static_assert(sizeof(struct s) == (size),			\
		       "sizeof(struct " #s ") == " #size);

#define FIELD_ASSERT(s, m, off, type)					\
	_Static_assert(offsetof(struct s, m) == (off),			\
		       "offsetof(struct " #s ", " #m ") == " #off);	\
	_Static_assert(_Generic(MEMBER(s, m), type : 1, default : 0),	\
		       "struct " #s "." #m " is " #type);

#define ARRAY_ASSERT(s, m, off, type, n)				\
	_Static_assert(offsetof(struct s, m) == (off),			\
		       "offsetof(struct " #s ", " #m ") == " #off);	\
	_Static_assert(_Generic(MEMBER(s, m)[0], type : 1, default : 0),	\
		       "struct " #s "." #m "[] is " #type);		\
	_Static_assert(sizeof(MEMBER(s, m)) == (n) * sizeof(type),	\
		       "struct " #s "." #m " has " #n " elements");

#define VALUE_ASSERT(e, v) _Static_assert((e) == (v), #e " == " #v);

DMACOPY_ABI_STRUCTS(STRUCT_ASSERT)
DMACOPY_ABI_FIELDS(FIELD_ASSERT, ARRAY_ASSERT)
DMACOPY_ABI_VALUES(VALUE_ASSERT)

#ifndef LAYOUT_STATIC_ONLY
#include <stdio.h>

static int checks;
static int failures;

static void check(const char *what, unsigned long long got,
		  unsigned long long want)
{
	checks++;
	if (got != want) {
		failures++;
		printf("%s is %#llx, want %#llx\n", what, got, want);
	}
}

#define STRUCT_CHECK(s, size)						\
	check("sizeof(struct " #s ")", sizeof(struct s), (size));

#define FIELD_CHECK(s, m, off, type)					\
	check("offsetof(struct " #s ", " #m ")",			\
	      offsetof(struct s, m), (off));				\
	check("sizeof(struct " #s "." #m ")",				\
	      sizeof(MEMBER(s, m)), sizeof(type));

#define ARRAY_CHECK(s, m, off, type, n)					\
	check("offsetof(struct " #s ", " #m ")",			\
	      offsetof(struct s, m), (off));				\
	check("sizeof(struct " #s "." #m ")",				\
	      sizeof(MEMBER(s, m)), (n) * sizeof(type));

#define VALUE_CHECK(e, v) check(#e, (e), (v));

int main(void)
{
	DMACOPY_ABI_STRUCTS(STRUCT_CHECK)
	DMACOPY_ABI_FIELDS(FIELD_CHECK, ARRAY_CHECK)
	DMACOPY_ABI_VALUES(VALUE_CHECK)
	printf("layout (C): %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
#endif
