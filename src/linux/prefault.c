/* Mapping the pages a process is about to touch in one system call. */
#include "prefault.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Kept from the first call: in a process cloned since, asking again
 * would fault in the text of sysconf. */
static uintptr_t page_size;

static bool populate(uintptr_t low, uintptr_t high, int advice)
{
	if (page_size == 0)
		page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	low &= ~(page_size - 1);
	high = (high + page_size - 1) & ~(page_size - 1);
	return high > low && madvise((void *)low, high - low, advice) == 0;
}

__attribute__((noinline)) void linux_prefault_stack(size_t bytes)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
	/* The main thread's stack grows on demand; below its mapped part
	 * madvise fails (ENOMEM) having done nothing, so try less. */
	for (size_t size = bytes; size >= 16384; size /= 2)
		if (populate(frame - size, frame, MADV_POPULATE_WRITE))
			return;
}

void linux_prefault_heap(size_t bytes)
{
	void *first = malloc(1);
	if (first == NULL)
		return;
	uintptr_t low = (uintptr_t)first;
	uintptr_t top = (uintptr_t)sbrk(0);
	free(first);
	/* Only a brk heap: malloc may have used mmap, and then top says
	 * nothing about where its pages are. */
	if (top <= low || top - low > 64u * 1024u * 1024u)
		return;
	(void)populate(low, top - low > bytes ? low + bytes : top, MADV_POPULATE_WRITE);
}
