/* Mapping the pages a process is about to touch in one system call.
 *
 * Where page tables are paravirtualised (PVM and the like) each page
 * fault is a trip through the hypervisor: 15-30 us, as much as ten
 * system calls. madvise(MADV_POPULATE_WRITE) maps a range in one call,
 * about 1 us a page, and breaks copy-on-write sharing the same way.
 * Both functions are hints: on a kernel without it (before 5.14) they
 * do nothing, and nothing depends on them. */
#ifndef CORDON_LINUX_PREFAULT_H
#define CORDON_LINUX_PREFAULT_H

#include <stddef.h>

/* The bytes of stack below the caller's frame, as far as the stack is
 * mapped. */
void linux_prefault_stack(size_t bytes);

/* The heap malloc has already taken from the system, up to bytes. */
void linux_prefault_heap(size_t bytes);

#endif
