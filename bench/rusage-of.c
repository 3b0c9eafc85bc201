/* SPDX-License-Identifier: ISC */
/* rusage-of.c: runs a command and appends the CPU it used (user and system
 * microseconds, its own and its reaped children's) as one line to a file,
 * then exits as the command did. bench/e2e.sh puts it in front of what
 * Postfix's pipe runs, so that the CPU of convene-deliver and of mlmmj can
 * be told apart from Postfix's own. It must stay small: it runs once per
 * message. */

#include "autoconfig.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct rusage ru;
	char line[64];
	pid_t pid;
	int status, fd, len;

	if (argc < 3) {
		fputs("usage: rusage-of FILE COMMAND [ARG...]\n", stderr);
		return 78;
	}
	if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) {
		perror(argv[2]);
		return 75;
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 75;
	len = snprintf(line, sizeof line, "%ld %ld\n",
		       (long)(ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec),
		       (long)(ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec));
	/* One write with O_APPEND: concurrent deliveries' lines never mix. */
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd >= 0) {
		if (write(fd, line, (size_t)len) != len)
			perror(argv[1]);
		close(fd);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 75;
}
