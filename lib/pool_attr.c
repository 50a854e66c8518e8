/*
 * pool_attr.c - pool attributes: what workq_pool_start_attr() may be
 * told beyond the queue, the thread count and fn.
 *
 * The type is opaque and made by workq_pool_attr_create(), as
 * pthread_attr_t would be if it were opaque, so that new attributes can
 * be added without changing any caller's binary.  Every setter checks
 * its arguments first and changes nothing on EINVAL.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "workq-internal.h"

void workq__pool_attr_init(struct workq_pool_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->alloc = workq__default_alloc;
	a->release = workq__default_release;
}

int workq_pool_attr_create(workq_pool_attr_t **attrp)
{
	workq_pool_attr_t *a;
	int saved_errno;

	if (attrp == NULL)
		return EINVAL;
	saved_errno = errno;    /* malloc may set it; the API never does */
	a = malloc(sizeof(*a));
	errno = saved_errno;
	if (a == NULL)
		return ENOMEM;
	workq__pool_attr_init(a);
	*attrp = a;
	return 0;
}

int workq_pool_attr_destroy(workq_pool_attr_t *attr)
{
	if (attr == NULL)
		return EINVAL;
	free(attr);
	return 0;
}

int workq_pool_attr_set_name(workq_pool_attr_t *attr, const char *prefix)
{
	size_t len;

	if (attr == NULL)
		return EINVAL;
	if (prefix == NULL) {
		attr->prefix[0] = '\0';
		return 0;
	}
	/* strnlen would do, but it is not C99: look at one byte more than
	 * fits, never further. */
	for (len = 0; len <= WORKQ__PREFIX_MAX && prefix[len] != '\0'; len++)
		;
	if (len == 0 || len > WORKQ__PREFIX_MAX)
		return EINVAL;
	memcpy(attr->prefix, prefix, len);
	attr->prefix[len] = '\0';
	return 0;
}

int workq_pool_attr_set_stack_size(workq_pool_attr_t *attr, size_t bytes)
{
	if (attr == NULL || bytes < (size_t)PTHREAD_STACK_MIN)
		return EINVAL;
	attr->stack_size = bytes;
	return 0;
}

int workq_pool_attr_set_hooks(workq_pool_attr_t *attr,
                              void (*on_start)(size_t index, void *arg),
                              void (*on_stop)(size_t index, void *arg),
                              void *arg)
{
	if (attr == NULL)
		return EINVAL;
	attr->on_start = on_start;
	attr->on_stop = on_stop;
	attr->hook_arg = arg;
	return 0;
}

int workq_pool_attr_set_allocator(workq_pool_attr_t *attr,
                                  void *(*alloc)(size_t size, void *ctx),
                                  void (*release)(void *ptr, void *ctx),
                                  void *ctx)
{
	if (attr == NULL || (alloc == NULL) != (release == NULL))
		return EINVAL;
	if (alloc == NULL) {
		/* Both NULL: back to malloc and free. */
		attr->alloc = workq__default_alloc;
		attr->release = workq__default_release;
		attr->alloc_ctx = NULL;
		return 0;
	}
	attr->alloc = alloc;
	attr->release = release;
	attr->alloc_ctx = ctx;
	return 0;
}
