/*
 * queue_attr.c - queue attributes: what workq_create_attr() may be told
 * beyond the capacity.
 *
 * The type is opaque and made by workq_attr_create(), as the pool's
 * attributes are (pool_attr.c), so that new attributes can be added
 * without changing any caller's binary.  Every setter checks its
 * arguments first and changes nothing on EINVAL.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "workq-internal.h"

void *workq__default_alloc(size_t size, void *ctx)
{
	(void)ctx;
	return malloc(size);
}

void workq__default_release(void *ptr, void *ctx)
{
	(void)ctx;
	free(ptr);
}

void workq__attr_init(struct workq_attr *a)
{
	a->spin = WORKQ_SPIN_ADAPTIVE;
	a->bound_unfinished = 0;
	a->alloc = workq__default_alloc;
	a->release = workq__default_release;
	a->alloc_ctx = NULL;
}

int workq_attr_create(workq_attr_t **attrp)
{
	workq_attr_t *a;
	int saved_errno;

	if (attrp == NULL)
		return EINVAL;
	saved_errno = errno;    /* malloc may set it; the API never does */
	a = malloc(sizeof(*a));
	errno = saved_errno;
	if (a == NULL)
		return ENOMEM;
	workq__attr_init(a);
	*attrp = a;
	return 0;
}

int workq_attr_destroy(workq_attr_t *attr)
{
	if (attr == NULL)
		return EINVAL;
	free(attr);
	return 0;
}

int workq_attr_set_spin(workq_attr_t *attr, int policy)
{
	if (attr == NULL ||
	    (policy != WORKQ_SPIN_ADAPTIVE && policy != WORKQ_SPIN_NEVER))
		return EINVAL;
	attr->spin = policy;
	return 0;
}

int workq_attr_set_allocator(workq_attr_t *attr,
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

int workq_attr_set_bound_unfinished(workq_attr_t *attr, int on)
{
	if (attr == NULL || (on != 0 && on != 1))
		return EINVAL;
	attr->bound_unfinished = on;
	return 0;
}
