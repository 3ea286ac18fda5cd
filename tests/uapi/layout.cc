// SPDX-License-Identifier: GPL-2.0
//
// <linux/dmacopy.h> against the ABI's literal values (abi.h), in C++11:
// every struct size, field offset, exact field type, constant and ioctl
// number is a static_assert, and every struct is a trivial standard-layout
// type. main() checks the same values again at run time.

#include <cstddef>
#include <cstdio>
#include <type_traits>

#include <linux/dmacopy.h>

#include "abi.h"

#define STRUCT_ASSERT(s, size)						\
	static_assert(sizeof(s) == (size), "sizeof(" #s ") == " #size);	\
	static_assert(std::is_standard_layout<s>::value &&		\
		      std::is_trivial<s>::value,			\
		      #s " is a C struct");

#define FIELD_ASSERT(s, m, off, type)					\
	static_assert(offsetof(s, m) == (off),				\
		      "offsetof(" #s ", " #m ") == " #off);		\
	static_assert(std::is_same<decltype(s::m), type>::value,	\
		      #s "::" #m " is " #type);

#define ARRAY_ASSERT(s, m, off, type, n)				\
	static_assert(offsetof(s, m) == (off),				\
		      "offsetof(" #s ", " #m ") == " #off);		\
	static_assert(std::is_same<decltype(s::m), type[n]>::value,	\
		      #s "::" #m " is " #type "[" #n "]");

#define VALUE_ASSERT(e, v) static_assert((e) == (v), #e " == " #v);

DMACOPY_ABI_STRUCTS(STRUCT_ASSERT)
DMACOPY_ABI_FIELDS(FIELD_ASSERT, ARRAY_ASSERT)
DMACOPY_ABI_VALUES(VALUE_ASSERT)

namespace {

int checks;
int failures;

void check(const char *what, unsigned long long got, unsigned long long want)
{
	checks++;
	if (got != want) {
		failures++;
		std::printf("%s is %#llx, want %#llx\n", what, got, want);
	}
}

} // namespace

#define STRUCT_CHECK(s, size) check("sizeof(" #s ")", sizeof(s), (size));

#define FIELD_CHECK(s, m, off, type)					\
	check("offsetof(" #s ", " #m ")", offsetof(s, m), (off));	\
	check("sizeof(" #s "::" #m ")", sizeof(s::m), sizeof(type));

#define ARRAY_CHECK(s, m, off, type, n)					\
	check("offsetof(" #s ", " #m ")", offsetof(s, m), (off));	\
	check("sizeof(" #s "::" #m ")", sizeof(s::m), (n) * sizeof(type));

#define VALUE_CHECK(e, v) check(#e, (e), (v));

int main()
{
	DMACOPY_ABI_STRUCTS(STRUCT_CHECK)
	DMACOPY_ABI_FIELDS(FIELD_CHECK, ARRAY_CHECK)
	DMACOPY_ABI_VALUES(VALUE_CHECK)
	std::printf("layout (C++): %d checks, %d failed\n", checks, failures);
	return failures != 0;
}
