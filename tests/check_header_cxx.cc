// check_header_cxx.cc - <workq.h> compiles and links as C++ (extern "C",
// no C-only constructs), and WORKQ_DONE converts as C++ expects.
#include <workq.h>

int main()
{
	workq_t *q = 0;
	void *item = 0;

	if (workq_create(&q, 2) != 0)
		return 1;
	if (workq_try_put(q, 0) != 0 || workq_close(q) != 0)
		return 2;
	if (workq_try_get(q, &item) != 0 || item != 0)
		return 3;
	if (workq_try_get(q, &item) != WORKQ_CLOSED || item != WORKQ_DONE)
		return 4;
	return workq_destroy(q) == 0 ? 0 : 5;
}
