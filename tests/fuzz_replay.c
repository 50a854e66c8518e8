/*
 * fuzz_replay.c - runs every file of a corpus folder through the fuzz
 * harness (tests/fuzz_api.c) once, without libFuzzer: make check uses it
 * on tests/corpus so that the harness and its seed inputs stay working
 * on any compiler.  A failed check in the harness aborts.
 *
 * Usage: fuzz_replay [DIR]   (default: the source tree's tests/corpus)
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *dir, const char *name)
{
	static uint8_t buf[1 << 20];
	char path[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : CORPUS_DIR;
	struct dirent *e;
	int files = 0, bad = 0;
	DIR *d = opendir(dir);

	if (d == NULL) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		bad += replay(dir, e->d_name);
		files++;
	}
	closedir(d);
	printf("fuzz_replay: %d inputs from %s replayed\n", files, dir);
	return bad == 0 && files > 0 ? 0 : 1;
}
