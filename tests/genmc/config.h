/*
 * tests/genmc/config.h - what lib/ expects from configure, for the
 * GenMC harnesses only (make check-genmc).  Every file of lib/ includes
 * <config.h> first, so the stand-ins for what GenMC cannot run are
 * declared here, before lib/ sees <pthread.h>:
 *
 *  - condition variables (GenMC has none): the stand-in in shim.c;
 *  - cancellation (GenMC has none): not modelled; the cleanup handlers
 *    compile but never run, and pthread_setcancelstate does nothing;
 *  - ECANCELED, missing from GenMC's <errno.h>.
 *
 * No HAVE_* macro is defined: lib/sync.c then uses plain mutexes and
 * condition variables on CLOCK_REALTIME.
 */
#ifndef WORKQ_GENMC_CONFIG_H
#define WORKQ_GENMC_CONFIG_H

#include <errno.h>      /* GenMC's own: it lacks ECANCELED */
#include <pthread.h>    /* GenMC's own: threads and mutexes */
#include <time.h>

#ifndef ECANCELED
#define ECANCELED 125   /* Linux's value */
#endif

/* A generation counter, bumped by every signal and broadcast: see
 * shim.c for what this stand-in can and cannot show. */
typedef struct {
	unsigned gen;   /* (the cv's mutex to write, a) */
} pthread_cond_t;
typedef long pthread_condattr_t;

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int pthread_cond_destroy(pthread_cond_t *c);
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                           const struct timespec *abstime);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_broadcast(pthread_cond_t *c);

#define PTHREAD_CANCEL_ENABLE 0
#define PTHREAD_CANCEL_DISABLE 1

static inline int pthread_setcancelstate(int state, int *old)
{
	(void)state;
	if (old != NULL)
		*old = PTHREAD_CANCEL_ENABLE;
	return 0;
}

/* The handler is type-checked, never called: no thread is cancelled. */
#define pthread_cleanup_push(fn, arg) do { \
	void (*genmc_cleanup_fn)(void *) = (fn); \
	void *genmc_cleanup_arg = (arg); \
	(void)genmc_cleanup_fn; (void)genmc_cleanup_arg;
#define pthread_cleanup_pop(execute) (void)(execute); } while (0)

#endif /* WORKQ_GENMC_CONFIG_H */
