#include "lib/exec_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool exec_path_found(const char *cmd)
{
	if (cmd[0] == '\0')
		return false;
	if (strchr(cmd, '/') != NULL)
		return access(cmd, X_OK) == 0;
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		char full[4096];
		snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, cmd);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return true;
		path += n + (end != NULL);
	}
	return false;
}
