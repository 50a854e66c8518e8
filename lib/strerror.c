/*
 * strerror.c - workq_strerror: what each code the library returns means
 * when a workq call returned it.
 *
 * Every string is static, so the function is thread-safe without a
 * buffer: codes workq never returns get the C library's static
 * description where there is one (strerrordesc_np), else a fixed text.
 * strerror() is not used: it may write a shared buffer.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "workq-internal.h"

/* The codes workq returns, in words that fit the calls returning them. */
static const char *workq_message(int err)
{
	switch (err) {
	case 0:
		return "success";
	case WORKQ_CLOSED:
		return "queue closed";
	case EAGAIN:
		return "would have to wait, or a thread could not be created";
	case ETIMEDOUT:
		return "timed out before the call could complete";
	case EINVAL:
		return "invalid argument";
	case ENOMEM:
		return "out of memory";
	case EBUSY:
		return "in use by another thread or pool";
	case EDEADLK:
		return "would wait for the calling thread itself";
	case ERANGE:
		return "nothing left to count down";
	case EOVERFLOW:
		return "count would overflow";
	case EMFILE:
		return "too many open files in the process";
	case ENFILE:
		return "too many open files in the system";
	default:
		return NULL;
	}
}

const char *workq_strerror(int err)
{
	const char *msg = workq_message(err);

	if (msg != NULL)
		return msg;
#ifdef HAVE_STRERRORDESC_NP
	msg = strerrordesc_np(err);
	if (msg != NULL)
		return msg;
#endif
	return "unknown error";
}
